// A global load balancer: DNS-based (Route 53, GeoDNS) or anycast (a cloud's global front end)
// routing of each region's callers to a regional endpoint. One node per region answers that
// region's callers; each probes every endpoint with the health check and sends a request to the
// first healthy endpoint in its order: nearest first by the network's round trip (`latency`), or
// the file's order (`failover`: a primary and its standbys). With every endpoint out it sends to
// the first (fails open, as Route 53 does).
//
// The node proxies the request and its answer, so a caller's path gains the hop to its region's
// node (the intra-region round trip); a DNS answer costs nothing per request in reality, an
// anycast edge about that. With `dns_ttl` a move is seen by callers as their cached answers
// expire: a share 1 - u/ttl of the region's requests still goes to the endpoint it left, u seconds
// after the first request that saw the move.
// It runs outside any region: a region_down fault leaves it up. Its health checks travel the
// network from its node's region, so a partition looks, to each side, like the loss of the other.
// Left out: weighted and geoproximity routing, per-resolver caching, EDNS client subnet.
#pragma once

#include <string>
#include <vector>

#include "models/common/health_check.hpp"
#include "models/common/message.hpp"
#include "models/common/proxy.hpp"
#include "models/common/routing.hpp"
#include "sim/support/distribution.hpp"
#include "sim/support/metrics.hpp"
#include "sim/support/random.hpp"

namespace archsim {

class GlobalLoadBalancer : public ModelNode {
 public:
  struct Endpoint {
    std::string name;
    CallTarget target;  // its replicas as this node's region reaches them
    double rtt = 0;     // seconds, from this node's region
  };
  struct Params {
    std::vector<Endpoint> endpoints;  // in this node's order of preference
    Distribution delay;               // its processing per request
    HealthCheckSpec health;
    double dns_ttl = 0;  // seconds
  };
  GlobalLoadBalancer(Params params, ComponentStats* stats, Rng rng);

  void on_start(Context& ctx) override;
  void on_message(Context& ctx, MessagePtr msg) override;
  void on_timer(Context& ctx, uint64_t tag) override;
  void on_end(Context& ctx) override;

 private:
  size_t choose(double now);
  void forward(Context& ctx, uint64_t id);

  Params p_;
  ComponentStats* stats_;
  Rng rng_;
  HealthChecker health_;  // one group per endpoint: its replicas
  // The endpoint the region's callers resolve now, the one before it and when they moved.
  size_t current_ = 0, previous_ = 0;
  double moved_at_ = -1e300;
  std::vector<uint64_t> rr_;  // per endpoint: the round robin over its replicas
  Proxy proxy_;
};

}  // namespace archsim
