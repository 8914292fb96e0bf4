// Rate limits as nodes, shared by kind rate_limiter and a load balancer's `rate_limit:`.
#pragma once

#include <memory>
#include <string>

#include "models/common/kind.hpp"
#include "models/rate_limiter/rate_limiter.hpp"

namespace archsim {

// A node of `c` that admits what its limit allows and forwards it to `forward_to`'s replicas.
// The nodes of one component share `shared` (made by the first) and its burst measurement.
std::unique_ptr<Node> make_rate_limiter(const Component& c, ComponentStats& st, const std::string& forward_to, Rng rng,
                                        std::shared_ptr<RateLimitShared>& shared, BuildContext& b);

// A central rate limit's counter store, as an arrow out of `c`.
void add_rate_limit_store(const Component& c, std::vector<Reference>& out);

}  // namespace archsim
