// Consistent hashing (Karger et al. 1997): each of N members places `vnodes` points on a 64-bit
// ring, and a key belongs to the first point at or after its hash. Adding a member moves about
// 1/(N+1) of the keys; more vnodes spread the keys more evenly at the cost of a larger ring
// (N x vnodes points, one binary search per lookup).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace archsim {

class HashRing {
 public:
  // REQUIRES: members >= 1, vnodes >= 1.
  HashRing(size_t members, size_t vnodes);
  // The member (0..members-1) that owns `key`.
  size_t owner(uint64_t key) const;
  size_t members() const { return members_; }

 private:
  size_t members_;
  std::vector<std::pair<uint64_t, uint32_t>> points_;  // (position, member), sorted
};

}  // namespace archsim
