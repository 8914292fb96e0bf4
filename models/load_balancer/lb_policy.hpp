// How a load balancer picks a replica (docs/topology.md, "Load balancers").
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace archsim {

enum class LbPolicy { RoundRobin, Random, LeastConnections, PowerOfTwo };
const char* to_string(LbPolicy p);
// The words of `policy:`, for the kinds that take one (load balancers, rate limiters).
std::vector<std::pair<std::string, LbPolicy>> lb_policy_words();
// What `policy:` trades off, in their parameter tables.
extern const char* const kLbPolicyDoc;

}  // namespace archsim
