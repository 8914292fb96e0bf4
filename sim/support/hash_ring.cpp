#include "sim/support/hash_ring.hpp"

#include <algorithm>

#include "sim/support/random.hpp"

namespace archsim {

HashRing::HashRing(size_t members, size_t vnodes) : members_(members) {
  points_.reserve(members * vnodes);
  for (size_t m = 0; m < members; ++m)
    for (size_t v = 0; v < vnodes; ++v)
      points_.emplace_back(mix64(mix64(m + 1) ^ (v * 0x9E3779B97F4A7C15ull)), static_cast<uint32_t>(m));
  std::sort(points_.begin(), points_.end());
}

size_t HashRing::owner(uint64_t key) const {
  uint64_t h = mix64(key);
  auto it = std::lower_bound(points_.begin(), points_.end(), std::make_pair(h, uint32_t(0)));
  if (it == points_.end()) it = points_.begin();
  return it->second;
}

}  // namespace archsim
