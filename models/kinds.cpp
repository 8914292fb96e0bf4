// The registry of component kinds: one line per kind, in the order the docs list them. Each kind
// lives in models/<kind>/ and defines the function named here (models/common/kind.hpp).
#include "models/common/kind.hpp"

#define ARCHSIM_KINDS(X) \
  X(client)              \
  X(load_balancer)       \
  X(global_load_balancer) \
  X(service)             \
  X(cache)               \
  X(database)            \
  X(rate_limiter)        \
  X(queue)               \
  X(feed)                \
  X(replicated_store)    \
  X(object_store)

namespace archsim {

#define ARCHSIM_DECLARE_KIND(k) const Kind& k##_kind();
ARCHSIM_KINDS(ARCHSIM_DECLARE_KIND)

const std::vector<const Kind*>& kinds() {
#define ARCHSIM_LIST_KIND(k) &k##_kind(),
  static const std::vector<const Kind*> all = {ARCHSIM_KINDS(ARCHSIM_LIST_KIND)};
  return all;
}

}  // namespace archsim
