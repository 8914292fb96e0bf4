// A stateless service tier (app servers, API gateways, microservices): each request burns CPU,
// optionally waits without CPU (`delay`, e.g. an external API), then makes its downstream calls in
// order, each call a single request, a parallel group, or a fan-out; a failed call fails the
// request. Adding replicas adds cores and workers; it does nothing for a downstream bottleneck.
// A call to a cache_aside cache is the application's own cache-aside code: get, and on a miss read
// the backend and set; for a write, update the backend and delete the key (models/cache/cache.hpp).
#pragma once

#include <vector>

#include "models/common/station.hpp"
#include "sim/support/distribution.hpp"

namespace archsim {

class Service : public Station {
 public:
  struct Params {
    StationParams station;
    Distribution cpu;    // CPU demand per request (seconds of one core)
    Distribution delay;  // worker held without CPU
    std::vector<std::vector<ResolvedCall>> calls_by_type;  // index: request type
  };
  Service(Params params, ComponentStats* stats, Rng rng);

 protected:
  void step(Context& ctx, Job& job) override;

 private:
  bool continue_cache_aside(Context& ctx, Job& job, const ResolvedCall& c);
  Params p_;
};

}  // namespace archsim
