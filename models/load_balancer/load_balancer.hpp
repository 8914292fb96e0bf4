// A layer-7 load balancer: picks a replica of its target for each request and proxies the
// response back. Policies: round_robin, random, least_connections (fewest requests outstanding
// from this balancer), power_of_two (the less loaded of two random replicas). It has no queue of
// its own; its optional `delay` models proxy processing.
// With `health_check:` it probes every replica each interval (any live node answers a probe at
// once; a crashed or cut-off one does not) and leaves out of the rotation the replicas that missed
// `unhealthy_after` probes in a row until they answer `healthy_after` in a row. With every replica
// out it sends to all of them (fails open), as cloud balancers do.
// Left out: connection reuse, TLS termination cost, passive (in-band) health checks.
#pragma once

#include <vector>

#include "models/load_balancer/lb_policy.hpp"
#include "sim/support/distribution.hpp"
#include "sim/support/id_map.hpp"
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

 private:
  // Timer tags: a pending request's id (its `delay`), or a probe round's start or judgement.
  static constexpr uint64_t kProbeRound = uint64_t(1) << 63;
  static constexpr uint64_t kProbeJudge = uint64_t(1) << 62;
  static constexpr int kTargetBits = 20;  // a probe's call id: round << kTargetBits | target

  size_t choose();
  void forward(Context& ctx, uint64_t id);
  void start_round(Context& ctx);
  void judge_round(Context& ctx, uint64_t round);
  void set_down(double t, size_t target, bool down);

  struct Pending {
    MessagePtr request;  // until forwarded
    NodeId caller = 0;
    uint64_t caller_call = 0;
    size_t target = 0;
    double arrived = 0;
    double network_in = 0;  // the request's hop to the balancer (critical path)
    double forwarded = 0;   // when it left for the target
    bool measured = false;
  };
  Params p_;
  ComponentStats* stats_;
  Rng rng_;
  std::vector<int64_t> outstanding_;
  // Health checks: per target, the last round it answered in time, its streaks, whether it is out
  // of the rotation and since when; how many are out.
  uint64_t round_ = 0;
  std::vector<uint64_t> answered_;
  std::vector<int64_t> missed_, passed_;
  std::vector<char> down_;
  std::vector<double> down_since_;
  size_t down_count_ = 0;
  IdMap<Pending> pending_;
  uint64_t next_id_ = 1;
  uint64_t rr_ = 0;
};

}  // namespace archsim
