// kind: load_balancer (models/load_balancer/load_balancer.hpp).
#include "models/common/kind.hpp"
#include "models/load_balancer/load_balancer.hpp"
#include "models/rate_limiter/rate_limiter_kind.hpp"

namespace archsim {
namespace {

const ParamTable& load_balancer_table() {
  static const ParamTable t =
      ParamTable()
          .text("targets", &Component::lb_targets, &Component::lb_targets_loc,
                "the component whose replicas it spreads requests over; it proxies their answers back")
          .required()
          .choice("policy", &Component::policy, lb_policy_words(), kLbPolicyDoc)
          .distribution("delay", &Component::delay, "its processing time per request (the proxy hop)")
          .section("health_check", "`{interval: 1s, timeout: 500ms, unhealthy_after: 3, healthy_after: 2}`",
                   "probes every replica of the target each `interval`; one that misses `unhealthy_after` probes in a "
                   "row (no answer within `timeout`, default half the interval) leaves the rotation, and comes back "
                   "after answering `healthy_after` in a row. A shorter interval takes a crashed replica out sooner "
                   "for more probe traffic; with every replica out it sends to all (fails open)",
                   "health_check", "none")
          .section("rate_limit", "the keys of a `rate_limiter` (below)",
                   "limits the balancer itself: a request over the limit is answered at once with a rejection",
                   "rate_limit", "none");
  return t;
}

class LoadBalancerKind final : public Kind {
 public:
  const char* name() const override { return "load_balancer"; }
  const char* summary() const override {
    return "spreads requests over its target's replicas (round robin, random, least connections, power of two), "
           "optionally behind a rate limit";
  }
  const ParamTable& params() const override { return load_balancer_table(); }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "load balancers";
      k.dot_shape = "diamond";
      k.single_node = true;
      k.forwards = true;
      k.can_crash = true;
      return k;
    }();
    return t;
  }
  std::vector<SectionValue> section(const Component& c, const ComponentStats& s, double) const override {
    if (!c.health_check.enabled()) return {};
    auto get = [&](const char* k) {
      auto it = s.counters.find(k);
      return it == s.counters.end() ? 0.0 : static_cast<double>(it->second);
    };
    return {{"health_probe_rounds", "health checks: probe rounds", get("health_probe_rounds")},
            {"health_marked_down", "replicas taken out", get("health_marked_down")},
            {"health_marked_up", "put back", get("health_marked_up")},
            {"health_out_replica_s", "replica-seconds out of rotation", get("health_out_us") / 1e6}};
  }
  void references(const Component& c, std::vector<Reference>& out) const override {
    Reference r;
    r.target = c.lb_targets;
    r.loc = c.lb_targets_loc;
    r.role = "targets";
    out.push_back(std::move(r));
    add_rate_limit_store(c, out);
  }
  void build(const Component& c, BuildContext& b) const override {
    ComponentStats& st = b.server_stats(c);
    std::shared_ptr<RateLimitShared> shared;
    b.add_replicas(c, st, [&](size_t, Rng rng) -> std::unique_ptr<Node> {
      if (c.rate_limit) return make_rate_limiter(c, st, c.lb_targets, rng, shared, b);
      LoadBalancer::Params p{c.policy, b.replicas(c.lb_targets), c.delay, c.health_check};
      st.workers_per_replica = -1;
      st.cores_per_replica = 0;
      return std::make_unique<LoadBalancer>(std::move(p), &st, rng);
    });
  }
};

}  // namespace

const Kind& load_balancer_kind() {
  static const LoadBalancerKind k;
  return k;
}

}  // namespace archsim
