// Closed forms the analytic view and the kinds' own analytic views share.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/support/key_distribution.hpp"

namespace archsim {

// Che, Tung & Wang (2002): the hit ratio of an LRU cache of `capacity` entries under independent
// requests whose key popularity is the `weights`-weighted mixture of `keys` (same key space).
double che_hit_ratio(const std::vector<KeyDistribution>& keys, const std::vector<double>& weights, double capacity);

// Erlang C: the mean wait in an M/M/c queue with arrival rate `lambda` and mean service time
// `service_s`. REQUIRES: lambda x service_s < c.
double erlang_c_wait(double lambda, double service_s, int64_t c);

}  // namespace archsim
