// kind: rate_limiter (models/rate_limiter/rate_limiter.hpp).
#include "models/rate_limiter/rate_limiter_kind.hpp"

#include "sim/support/hash_ring.hpp"

namespace archsim {

std::unique_ptr<Node> make_rate_limiter(const Component& c, ComponentStats& st, const std::string& forward_to, Rng rng,
                                        std::shared_ptr<RateLimitShared>& shared, BuildContext& b) {
  const RateLimitSpec& spec = *c.rate_limit;
  if (!shared) {
    shared = std::make_shared<RateLimitShared>(spec);
    auto rs = std::make_shared<RateLimitStats>();
    rs->algorithm = to_string(spec.algorithm);
    rs->per = spec.per == RateLimitSpec::Per::Global ? "global" : spec.per == RateLimitSpec::Per::Key ? "key" : "client";
    rs->state = spec.state == RateLimitSpec::State::Central ? "central" : "local";
    rs->burst_window = burst_window(spec);
    rs->nominal_limit = nominal_limit(spec, rs->burst_window);
    st.rate_limit = rs;
  }
  RateLimiter::Params p;
  p.spec = spec;
  p.forward = LoadBalancer::Params{c.policy, b.replicas(forward_to), c.delay};
  if (spec.state == RateLimitSpec::State::Central) {
    p.store = b.target(spec.store, c.region);
    p.store_writes = b.topology().find(spec.store)->kind->traits().has_disk;
  }
  p.store_salt = stable_hash(c.name);
  p.shared = shared;
  st.workers_per_replica = -1;
  st.cores_per_replica = 0;
  return std::make_unique<RateLimiter>(std::move(p), &st, rng);
}

void add_rate_limit_store(const Component& c, std::vector<Reference>& out) {
  if (!c.rate_limit || c.rate_limit->state != RateLimitSpec::State::Central) return;
  Reference r;
  r.target = c.rate_limit->store;
  r.loc = c.rate_limit->store_loc;
  r.role = "store";
  r.label = "store";
  r.store = true;
  r.load = false;
  out.push_back(std::move(r));
}

namespace {

class RateLimiterKind final : public Kind {
 public:
  const char* name() const override { return "rate_limiter"; }
  const char* summary() const override {
    return "admits requests within a limit (token bucket, fixed or sliding window; global, per key or per client) "
           "and forwards them";
  }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "rate limiters";
      k.dot_shape = "octagon";
      k.forwards = true;
      return k;
    }();
    return t;
  }
  void references(const Component& c, std::vector<Reference>& out) const override {
    Reference r;
    r.target = c.target;
    r.loc = c.target_loc;
    r.role = "target";
    out.push_back(std::move(r));
    add_rate_limit_store(c, out);
  }
  void build(const Component& c, BuildContext& b) const override {
    ComponentStats& st = b.server_stats(c);
    std::shared_ptr<RateLimitShared> shared;
    b.add_replicas(c, st, [&](size_t, Rng rng) { return make_rate_limiter(c, st, c.target, rng, shared, b); });
  }
};

}  // namespace

const Kind& rate_limiter_kind() {
  static const RateLimiterKind k;
  return k;
}

}  // namespace archsim
