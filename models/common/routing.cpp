#include "models/common/routing.hpp"

#include "sim/support/random.hpp"

namespace archsim {

namespace {

NodeId route_sharded(const CallTarget& t, uint64_t key, bool write, uint64_t& rr) {
  size_t n = t.replicas.size();
  size_t group = static_cast<size_t>(t.group);
  size_t shard = t.shard_map ? t.shard_map->shard_of(key) : mix64(key) % (n / group);
  size_t base = shard * group;
  size_t primary = t.primaries ? t.primaries->primary[shard] : 0;
  if (write || group == 1 || t.reads == CallTarget::ReadRoute::Primary) return t.replicas[base + primary];
  bool replicas_only = t.reads == CallTarget::ReadRoute::Replicas;
  size_t copies = replicas_only ? group - 1 : group;
  size_t first = rr++ % copies;
  // The next copy in the rotation that the view has not taken out (else the first).
  for (size_t step = 0; step < copies; ++step) {
    size_t j = (first + step) % copies;
    size_t copy = replicas_only && j >= primary ? j + 1 : j;  // the j-th copy that is not the primary
    if (!t.primaries || t.primaries->out.empty() || !t.primaries->out[base + copy]) return t.replicas[base + copy];
  }
  size_t copy = replicas_only && first >= primary ? first + 1 : first;
  return t.replicas[base + copy];
}

}  // namespace

NodeId route(const CallTarget& t, uint64_t key, bool write, uint64_t& rr) {
  size_t n = t.replicas.size();
  if (n == 1) return t.replicas[0];
  if (t.sharded()) return route_sharded(t, key, write, rr);
  if (t.ring) return t.replicas[t.ring->owner(key)];
  if (t.by_key) return t.replicas[mix64(key) % n];
  return t.replicas[rr++ % n];
}

}  // namespace archsim
