// kind: cache (models/cache/cache.hpp).
#include <fmt/format.h>

#include "models/cache/cache.hpp"
#include "models/common/kind.hpp"
#include "sim/support/queueing_formulas.hpp"
#include "sim/support/text.hpp"

namespace archsim {
namespace {

class CacheKind final : public Kind {
 public:
  const char* name() const override { return "cache"; }
  const char* summary() const override {
    return "answers hits from its entries and sends misses to its backend (read-through, cache-aside, write-through "
           "or write-behind; LRU, LFU or FIFO; TTLs; sharded or on a hash ring)";
  }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "caches";
      k.dot_shape = "box3d";
      k.by_key = true;
      k.can_crash = true;
      k.can_slow = true;
      k.counter_store = true;
      return k;
    }();
    return t;
  }
  void references(const Component& c, std::vector<Reference>& out) const override {
    Reference r;
    r.target = c.cache.backend;
    r.loc = c.cache.backend_loc;
    r.role = "backend";
    r.label = "miss";
    out.push_back(std::move(r));
  }
  const std::string* aside_backend(const Component& c) const override {
    return c.cache.write_policy == WritePolicy::CacheAside ? &c.cache.backend : nullptr;
  }
  void reach(const Component& c, const std::string&, CallTarget& ct, BuildContext& b) const override {
    if (ct.replicas.size() > 1 && !ct.sharded()) ct.ring = b.ring(c);
  }
  void build(const Component& c, BuildContext& b) const override {
    ComponentStats& st = b.server_stats(c);
    st.counts_hits = true;
    b.add_replicas(c, st, [&](size_t i, Rng rng) {
      Cache::Params p;
      static_cast<CacheSpec&>(p) = c.cache;
      p.station = station_params(c);
      p.cpu = c.cpu;
      p.replica = static_cast<uint32_t>(i);
      CallSpec backend;
      backend.targets = {c.cache.backend};
      p.backend_call = b.resolve(backend, c.region);
      return std::make_unique<Cache>(std::move(p), &st, rng);
    });
  }
  void analytic(const Component& c, const AnalyticInput& in, AnalyticOutput& out) const override {
    std::vector<KeyDistribution> keys;
    std::vector<double> weights;
    bool hotset = false;
    for (const auto& [type, rate] : in.by_type) {
      const RequestType* rt = in.type(type);
      if (!rt || rt->op != Op::Read || rate <= 0) continue;
      if (rt->keys.kind() == KeyDistribution::Kind::Hotset) hotset = true;
      keys.push_back(rt->keys);
      weights.push_back(rate);
    }
    double capacity = static_cast<double>(c.cache.capacity) * static_cast<double>(c.replicas);
    if (hotset) {
      out.hit_ratio = 0.0;
      out.hit_ratio_method = "assumed 0 (hotset keys are not handled analytically): every read goes to the backend";
    } else if (!keys.empty()) {
      out.hit_ratio = che_hit_ratio(keys, weights, capacity);
      out.hit_ratio_method = fmt::format(
          "Che's approximation for LRU over {} entries (steady state; writes, which invalidate, and the cold start "
          "are left out)",
          grouped_number(capacity));
    }
    out.read_pass = 1 - out.hit_ratio.value_or(0);
    out.resources.push_back({"cpu", c.cpu.mean(), c.cores});
  }
  double memory_bytes(const Component& c) const override {
    return 96.0 * static_cast<double>(c.cache.capacity) * static_cast<double>(c.replicas);
  }
};

}  // namespace

const Kind& cache_kind() {
  static const CacheKind k;
  return k;
}

}  // namespace archsim
