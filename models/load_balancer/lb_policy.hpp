// How a load balancer picks a replica (docs/topology.md, "Load balancers").
#pragma once

#include <cstdint>

namespace archsim {

enum class LbPolicy { RoundRobin, Random, LeastConnections, PowerOfTwo };
const char* to_string(LbPolicy p);

}  // namespace archsim
