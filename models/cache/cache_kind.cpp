// kind: cache (models/cache/cache.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "models/cache/cache.hpp"
#include "models/common/kind.hpp"
#include "sim/support/hash_ring.hpp"
#include "sim/support/queueing_formulas.hpp"
#include "sim/support/sharding.hpp"
#include "sim/support/text.hpp"
#include "sim/support/units.hpp"

namespace archsim {
namespace {

const ParamTable& cache_table() {
  using S = CacheSpec;
  static const ParamTable t =
      ParamTable()
          .station_keys()
          .in(&Component::cache)
          .section("shards", "integer", "shards, each owning a share of the keys (the key picks the shard, by `sharding:`); more shards spread the load and the data, and make a hot key one hot shard", "shards", "none")
          .section("sharding", "`{strategy: hash_mod | consistent_hash | range | directory, key, vnodes, boundaries, directory}`", "how a key picks its shard (\"Sharding\" below); needs `shards:`", "shards", "hash_mod")
          .section("capacity", "integer, or a size",
                   "per replica: a number of entries (`100000`), or bytes with a unit (`4GB`), each value then charged "
                   "its size; more = a higher hit ratio for more memory. The hit ratio is never an input: it emerges "
                   "from the clients' key popularity, this and the cold start",
                   "cache_capacity")
          .required()
          .distribution("hit", &S::hit, "lookup time of a hit (a miss pays it before it goes to the backend)")
          .text("backend", &S::backend, &S::backend_loc, "the component a miss reads (and a write goes to)")
          .required()
          .choice("eviction", &S::eviction,
                  {{"lru", CacheEviction::Lru}, {"lfu", CacheEviction::Lfu}, {"fifo", CacheEviction::Fifo}},
                  "`lru` (least recently used leaves), `lfu` (fewest hits since inserted leaves, ties to the least "
                  "recent; one-off keys cannot flush popular ones, but no aging), `fifo` (oldest insertion leaves, "
                  "hits ignored)")
          .duration("ttl", &S::ttl,
                    "an entry expires this long after it was written (checked when it is next read, counted in "
                    "`expired`); shorter = fresher data, more misses, and a stampede when a hot key expires; 0 = never",
                    false)
          .size("value_size", &S::value_size,
                "bytes charged per value when `capacity` is in bytes; 0 = the request type's response size (a write's "
                "request size)")
          .check([](const Component& c, const ParamGiven&) {
            return c.cache.value_size <= 0 ? std::string("value_size must be greater than zero") : std::string();
          })
          .choice("write_policy", &S::write_policy,
                  {{"read_through", WritePolicy::ReadThrough},
                   {"cache_aside", WritePolicy::CacheAside},
                   {"write_through", WritePolicy::WriteThrough},
                   {"write_behind", WritePolicy::WriteBehind}},
                  "`read_through`: a miss reads the backend and fills; a write invalidates and goes to the backend. "
                  "`cache_aside`: the calling service reads the backend on a miss and writes the value back, and on a "
                  "write updates the backend then deletes the key. `write_through`: a write goes to the backend, then "
                  "updates the cache (write latency = cache + backend). `write_behind`: a write is acknowledged at "
                  "once and reaches the backend at the next `flush_interval`; a crash loses the unflushed ones")
          .at(&S::write_policy_loc)
          .duration("flush_interval", &S::flush_interval,
                    "write_behind only: longer = fewer backend writes, more acknowledged writes at risk", false)
          .check(
              [](const Component& c, const ParamGiven&) {
                return c.cache.write_policy != WritePolicy::WriteBehind
                           ? std::string("flush_interval applies only to write_policy: write_behind")
                           : std::string();
              },
              true)
          .flag("coalesce_misses", &S::coalesce_misses,
                "one backend read per key in flight; concurrent misses of that key wait for it instead of each "
                "reading the backend (the stampede fix). Not with `cache_aside`")
          .at(&S::coalesce_loc)
          .check([](const Component& c, const ParamGiven&) {
            return c.cache.coalesce_misses && c.cache.write_policy == WritePolicy::CacheAside
                       ? std::string("coalesce_misses needs a cache that reads its backend itself; with cache_aside "
                                     "the caller reads the database (use read_through)")
                       : std::string();
          })
          .flag("warm", &S::warm,
                "start full instead of empty: each replica holds the most popular keys it owns (the lowest ranks of "
                "the callers' key distributions, the contents a Zipf or hot-set workload keeps in it), as many as "
                "its capacity takes, with TTL ages spread over [0, ttl); without it a short run measures a cache "
                "still filling (the run then says so)")
          .count("vnodes", &S::vnodes, 1, 10000,
                 "with `replicas` > 1, keys are placed on a consistent-hash ring with this many points per replica "
                 "(callers send each key to its owner): a hot key makes one hot replica")
          .finish([](Component& c) {
            // Entries, roughly, for the estimates; the model charges each value its size.
            CacheSpec& k = c.cache;
            if (k.capacity_bytes > 0)
              k.capacity = std::max<int64_t>(
                  1, static_cast<int64_t>(k.capacity_bytes / (k.value_size > 0 ? k.value_size : 1024)));
          });
  return t;
}

// Entries a cache holds in all (capacity over the value's charge), and that charge.
double value_charge(const Topology& t, const Component& c) {
  double charge = 1;
  for (const auto& x : t.components)
    for (const auto& rt : x.requests)
      if (rt.op == Op::Read) charge = std::max(charge, rt.response_bytes);
  if (c.cache.capacity_bytes <= 0) return 1;
  return c.cache.value_size > 0 ? c.cache.value_size : charge;
}

// Che's view of the keys `c` holds in steady state: the clients' read mix (each client at its rate,
// closed loops at users / think time), seen through the caches in front of it. Null for hot sets
// (not handled analytically) or no reads.
std::shared_ptr<const CheView> warm_view_of(const Topology& t, const Component& c, int depth) {
  std::vector<KeyDistribution> keys;
  std::vector<double> weights;
  for (const auto& x : t.components) {
    double rate = x.arrival.rate > 0 ? x.arrival.rate
                  : x.arrival.users > 0 && x.arrival.think_time.mean() > 0
                      ? static_cast<double>(x.arrival.users) / x.arrival.think_time.mean()
                      : 1;
    for (const auto& rt : x.requests) {
      if (rt.op != Op::Read || rt.keys.kind() == KeyDistribution::Kind::Sequential) continue;
      if (rt.keys.kind() == KeyDistribution::Kind::Hotset) return nullptr;
      keys.push_back(rt.keys);
      weights.push_back(rate * rt.weight);
    }
  }
  if (keys.empty()) return nullptr;
  std::vector<std::shared_ptr<const CheView>> front;
  if (depth < 8)
    for (const auto& x : t.components)
      if (&x != &c && x.kind == c.kind && x.cache.backend == c.name)
        if (auto v = warm_view_of(t, x, depth + 1)) front.push_back(v);
  std::vector<const CheView*> raw;
  for (const auto& v : front) raw.push_back(v.get());
  double entries = (c.cache.capacity_bytes > 0 ? c.cache.capacity_bytes / value_charge(t, c)
                                               : static_cast<double>(c.cache.capacity)) *
                   static_cast<double>(c.shards > 0 ? c.shards : c.replicas);
  CheView v = che_view(keys, weights, entries, raw);
  if (!std::isfinite(v.hit_ratio)) return nullptr;
  return std::make_shared<const CheView>(std::move(v));
}

class CacheKind final : public Kind {
 public:
  const char* name() const override { return "cache"; }
  const ParamTable& params() const override { return cache_table(); }
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
    // `warm`: which keys a full cache holds, from the clients' read types weighted by their rates,
    // filtered by the caches whose `backend:` it is (it sees their misses).
    std::shared_ptr<const CheView> warm_view = c.cache.warm ? warm_view_of(b.topology(), c, 0) : nullptr;
    b.add_replicas(c, st, [&](size_t i, Rng rng) {
      Cache::Params p;
      static_cast<CacheSpec&>(p) = c.cache;
      p.station = station_params(c);
      p.cpu = c.cpu;
      p.replica = static_cast<uint32_t>(i);
      if (c.cache.warm) {
        // The key space: the largest of the request types' (keys are ranks, 0 the most popular);
        // a value's charge: value_size, else the largest read response.
        for (const auto& x : b.topology().components)
          for (const auto& rt : x.requests)
            if (rt.keys.kind() != KeyDistribution::Kind::Sequential) p.warm_keys = std::max(p.warm_keys, rt.keys.count());
        p.warm_charge = value_charge(b.topology(), c);
        p.warm_view = warm_view;
        p.warm_seed = b.topology().run.seed * 0xD1B54A32D192ED03ULL + 1;
        if (c.shards > 0) {
          auto map = std::make_shared<const ShardMap>(c.sharding, c.shards);
          p.owns = [map, i](uint64_t key) { return map->shard_of(key) == i; };
        } else if (c.replicas > 1) {
          auto ring = b.ring(c);
          p.owns = [ring, i](uint64_t key) { return ring->owner(key) == i; };
        }
      }
      CallSpec backend;
      backend.targets = {c.cache.backend};
      p.backend_call = b.resolve(backend, c.region);
      return std::make_unique<Cache>(std::move(p), &st, rng);
    });
  }
  void analytic(const Component& c, const AnalyticInput& in, AnalyticOutput& out) const override {
    std::vector<KeyDistribution> keys;
    std::vector<double> weights;
    std::vector<const CheView*> front;
    bool hotset = false;
    for (const auto& [type, rate] : in.by_type) {
      const RequestType* rt = in.type(type);
      if (!rt || rt->op != Op::Read || rate <= 0) continue;
      if (rt->keys.kind() == KeyDistribution::Kind::Hotset) hotset = true;
      keys.push_back(rt->keys);
      weights.push_back(rate);
      if (auto it = in.in_front.find(type); it != in.in_front.end())
        for (const auto& v : it->second)
          if (std::find(front.begin(), front.end(), v.get()) == front.end()) front.push_back(v.get());
    }
    double capacity = static_cast<double>(c.cache.capacity) * static_cast<double>(c.replicas);
    if (hotset) {
      out.hit_ratio = 0.0;
      out.hit_ratio_method = "assumed 0 (hotset keys are not handled analytically): every read goes to the backend";
    } else if (!keys.empty()) {
      // The reads' popularity: the clients' mixture, filtered by the caches in front (their misses).
      auto view = std::make_shared<const CheView>(che_view(keys, weights, capacity, front));
      out.hit_ratio = view->hit_ratio;
      out.holds = view;
      out.hit_ratio_method = fmt::format(
          "Che's approximation for LRU over {} entries{} (steady state; writes, which invalidate, and the cold start "
          "are left out)",
          grouped_number(capacity),
          front.empty() ? "" : fmt::format(", of the misses of the {} in front", front.size() == 1 ? "cache" : "caches"));
    }
    out.read_pass = 1 - out.hit_ratio.value_or(0);
    out.resources.push_back({"cpu", c.cpu.mean(), c.cores});
  }
  double memory_bytes(const Component& c) const override {
    return 96.0 * static_cast<double>(c.cache.capacity) * static_cast<double>(c.replicas);
  }
  // Write-behind: a flush timer per node per tick, while writes wait (at most one tick per write).
  void background_events(const Topology& t, const Component& c, double requests,
                         std::vector<BackgroundEvents>& out) const override {
    if (c.cache.write_policy != WritePolicy::WriteBehind) return;
    double ticks = std::min(t.run.duration / c.cache.flush_interval, requests);
    out.push_back({fmt::format("write-behind flushes every {}", format_duration(c.cache.flush_interval)),
                   ticks * static_cast<double>(nodes(c))});
  }
};

}  // namespace

const Kind& cache_kind() {
  static const CacheKind k;
  return k;
}

}  // namespace archsim
