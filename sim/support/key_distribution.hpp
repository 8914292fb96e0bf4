// Key popularity of a request type: which key a request touches.
//
// `uniform` over `count` keys; `zipf` with exponent `s` (rank k drawn with probability
// proportional to 1/k^s, sampled in O(1) by rejection-inversion, Hörmann & Derflinger 1996);
// `hotset` (a `hot_fraction` of the keys receives a `hot_share` of the requests). Keys are
// returned as ranks 0..count-1, rank 0 the most popular: caches and shards hash them.
// `sequential`: monotonically increasing new ids (sign-ups, orders, auto-increment keys): each
// request takes the next key, starting at `start` (by default `count`, just past the `count` keys
// that already exist), one counter per request type of each client.
#pragma once

#include <cstdint>

#include "sim/support/random.hpp"

namespace archsim {

class KeyDistribution {
 public:
  enum class Kind { Uniform, Zipf, Hotset, Sequential };

  static KeyDistribution uniform(uint64_t count);
  // REQUIRES: count >= 1, s > 0.
  static KeyDistribution zipf(uint64_t count, double s);
  // REQUIRES: 0 < hot_fraction < 1, 0 <= hot_share <= 1.
  static KeyDistribution hotset(uint64_t count, double hot_fraction, double hot_share);

  // REQUIRES: count >= 1. `start` is the first key handed out.
  static KeyDistribution sequential(uint64_t count, uint64_t start);

  // Sequential draws advance the distribution's own counter, hence `mutable` below.
  uint64_t sample(Rng& rng) const;
  uint64_t count() const { return count_; }
  Kind kind() const { return kind_; }
  double exponent() const { return s_; }

 private:
  double h_integral(double x) const;
  double h(double x) const;
  double h_integral_inverse(double x) const;

  Kind kind_ = Kind::Uniform;
  uint64_t count_ = 1;
  double s_ = 0;
  // Zipf rejection-inversion constants.
  double h_integral_x1_ = 0, h_integral_n_ = 0, threshold_ = 0;
  // Hotset.
  uint64_t hot_count_ = 0;
  double hot_share_ = 0;
  // Sequential: the next key.
  mutable uint64_t next_ = 0;
};

}  // namespace archsim
