// `kind: global_load_balancer` as the topology holds it (docs/topology.md, "Global load balancers").
#pragma once

#include <string>
#include <vector>

#include "sim/support/location.hpp"

namespace archsim {

struct GlobalLbSpec {
  // `latency`: each caller goes to the endpoint with the lowest round trip from its region;
  // `failover`: to the first endpoint in the list that is healthy (active-passive).
  enum class Routing { Latency, Failover };
  Routing routing = Routing::Latency;
  std::vector<std::string> endpoints;  // components, in the file's order
  std::vector<Location> endpoint_locs;
  // Where its nodes answer (one each): the topology's regions unless `regions:` names some.
  std::vector<std::string> regions;
  // Seconds a caller keeps a resolved endpoint (a DNS answer's TTL): after the balancer moves a
  // region's callers, a share of them still goes to the old endpoint, falling linearly to none
  // over `dns_ttl` (each caller re-resolves at a random time within it). 0 = an anycast or proxy
  // balancer whose moves take effect at once.
  double dns_ttl = 0;
};

}  // namespace archsim
