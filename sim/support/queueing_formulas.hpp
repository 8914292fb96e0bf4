// Closed forms the analytic view and the kinds' own analytic views share.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/support/key_distribution.hpp"

namespace archsim {

// Che, Tung & Wang (2002): the hit ratio of an LRU cache of `capacity` entries under independent
// requests whose key popularity is the `weights`-weighted mixture of `keys` (same key space).
double che_hit_ratio(const std::vector<KeyDistribution>& keys, const std::vector<double>& weights, double capacity);
// The same, with each rank's probability of being in the cache in steady state, 1 - exp(-q T):
// `ranks` covers the keys 0..count-1 (rank 1 is key 0, as KeyDistribution draws them) in ascending,
// contiguous [first, last] groups of equal probability.
struct CheView {
  double hit_ratio = 0;
  struct Ranks {
    uint64_t first = 0, last = 0;
    double in_cache = 0;
  };
  std::vector<Ranks> ranks;
  // The probability that `key` is held (0 past the last rank).
  double in_cache_of(uint64_t key) const;
};
// `in_front`: caches the reads pass through first; this cache sees only their misses, so each key's
// popularity is multiplied by the probability that none of them holds it (then renormalized).
CheView che_view(const std::vector<KeyDistribution>& keys, const std::vector<double>& weights, double capacity,
                 const std::vector<const CheView*>& in_front = {});

// Erlang C: the mean wait in an M/M/c queue with arrival rate `lambda` and mean service time
// `service_s`. REQUIRES: lambda x service_s < c.
double erlang_c_wait(double lambda, double service_s, int64_t c);

}  // namespace archsim
