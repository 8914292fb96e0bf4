// A rate limit as the topology sets it (docs/topology.md, "Rate limiters").
#pragma once

#include <cstdint>
#include <string>

#include "sim/support/location.hpp"

namespace archsim {

// A rate limit: `kind: rate_limiter`, or a load balancer's `rate_limit:` (docs/topology.md).
struct RateLimitSpec {
  enum class Algorithm { TokenBucket, SlidingWindowLog, FixedWindow };
  enum class Per { Global, Key, Client };
  enum class State { Local, Central };
  Algorithm algorithm = Algorithm::TokenBucket;
  double capacity = 0;        // token bucket: tokens, the largest burst
  double refill = 0;          // token bucket: tokens per second, the sustained rate
  int64_t limit = 0;          // windows: requests admitted per window
  double window = 0;          // windows: seconds
  Per per = Per::Global;      // one limit for all, per request key, or per client component
  State state = State::Local; // local: counters per limiter replica; central: in `store`
  std::string store;          // central: the component holding the counters (e.g. a Redis cache)
  Location store_loc;
  bool fail_open = true;      // central: when the store fails or times out, admit (else reject)
  double store_timeout = 0.05;  // seconds a decision waits for the store
  double burst_window = 0;    // seconds of the largest-burst measurement; 0 = `window` (token bucket: 1 s)
  Location loc;
};
const char* to_string(RateLimitSpec::Algorithm a);

}  // namespace archsim
