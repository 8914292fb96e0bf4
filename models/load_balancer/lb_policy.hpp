// How a load balancer picks a replica (docs/topology.md, "Load balancers").
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace archsim {

enum class LbPolicy { RoundRobin, Random, LeastConnections, PowerOfTwo };

// `health_check:` of a load balancer: every `interval` it probes each replica of its target; a
// replica that misses `unhealthy_after` probes in a row (no answer within `timeout`) leaves the
// rotation, and one that answers `healthy_after` in a row comes back. interval 0 = no checks.
struct HealthCheckSpec {
  double interval = 0;
  double timeout = 0;  // 0 = half the interval
  int64_t unhealthy_after = 3;
  int64_t healthy_after = 2;
  bool enabled() const { return interval > 0; }
};
const char* to_string(LbPolicy p);
// The words of `policy:`, for the kinds that take one (load balancers, rate limiters).
std::vector<std::pair<std::string, LbPolicy>> lb_policy_words();
// What `policy:` trades off, in their parameter tables.
extern const char* const kLbPolicyDoc;

}  // namespace archsim
