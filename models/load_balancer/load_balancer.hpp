// A layer-7 load balancer: picks a replica of its target for each request and proxies the
// response back. Policies: round_robin, random, least_connections (fewest requests outstanding
// from this balancer), power_of_two (the less loaded of two random replicas). It has no queue of
// its own; its optional `delay` models proxy processing.
// With `health_check:` it probes every replica each interval (models/common/health_check.hpp) and
// leaves out of the rotation the replicas that missed `unhealthy_after` probes in a row until they
// answer `healthy_after` in a row. With every replica out it sends to all of them (fails open), as
// cloud balancers do. A crash of the balancer fails the requests it holds; it comes back with every
// replica in the rotation.
// Left out: connection reuse, TLS termination cost, passive (in-band) health checks.
#pragma once

#include <vector>

#include "models/common/health_check.hpp"
#include "models/common/proxy.hpp"
#include "models/load_balancer/lb_policy.hpp"
#include "sim/support/distribution.hpp"
#include "models/common/message.hpp"
#include "sim/support/metrics.hpp"
#include "sim/support/random.hpp"

namespace archsim {

class LoadBalancer : public ModelNode {
 public:
  struct Params {
    LbPolicy policy;
    std::vector<NodeId> targets;
    Distribution delay;
    HealthCheckSpec health;
  };
  LoadBalancer(Params params, ComponentStats* stats, Rng rng);

  void on_start(Context& ctx) override;
  void on_message(Context& ctx, MessagePtr msg) override;
  void on_timer(Context& ctx, uint64_t tag) override;
  void on_end(Context& ctx) override;
  void on_crash(Context& ctx) override;
  void on_recover(Context& ctx) override;

 private:
  // Timer tags: a pending request's id (its `delay`), or the health checker's.
  size_t choose();
  void forward(Context& ctx, uint64_t id);
  void start_checks(Context& ctx);

  Params p_;
  ComponentStats* stats_;
  Rng rng_;
  std::vector<int64_t> outstanding_;
  HealthChecker health_;  // each target alone is a group
  Proxy proxy_;
  uint64_t rr_ = 0;
};

}  // namespace archsim
