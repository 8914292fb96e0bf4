// The run's random streams.
//
// One seeded generator per run; each component replica draws from its own stream derived from the
// run seed and a stable name, so adding a component does not shift the draws of another. The
// generator (xoshiro256**) and every transformation below are written out here rather than taken
// from <random>, whose distributions differ between standard libraries: same seed, same numbers,
// on every machine.
#pragma once

#include <cstdint>
#include <string_view>

namespace archsim {

class Rng {
 public:
  explicit Rng(uint64_t seed = 1);
  // A stream for `name`, independent of the streams of other names under the same seed.
  static Rng derive(uint64_t run_seed, std::string_view name);

  uint64_t next_u64();
  // Uniform in [0, 1).
  double uniform();
  // Uniform in (0, 1]: safe to take the logarithm of.
  double uniform_pos();
  // Uniform integer in [0, n). REQUIRES: n > 0.
  uint64_t below(uint64_t n);
  double exponential(double mean);
  double standard_normal();

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0;
};

// FNV-1a, used for stable stream names and key hashing.
uint64_t stable_hash(std::string_view text);
// A bijective 64-bit mixer (splitmix64 finalizer).
uint64_t mix64(uint64_t x);

}  // namespace archsim
