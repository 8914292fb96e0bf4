// Time distributions: wherever a topology gives a time, it may give a distribution instead.
//
//   500us                                   constant
//   {dist: exponential, mean: 1ms}
//   {dist: lognormal, median: 1ms, p99: 8ms}   sigma = ln(p99/median) / z(0.99)
//   {dist: uniform, min: 1ms, max: 3ms}
//   {dist: empirical, values: [[10ms, 0.99], [1s, 0.01]]}   a discrete mixture of point masses
//   {dist: mixture, of: [[0.99, {dist: uniform, min: 1ms, max: 2ms}], [0.01, 50ms]]}   a mixture of distributions
//
// A Distribution is a small value type; sampling takes the caller's stream.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/support/random.hpp"

namespace archsim {

class Distribution {
 public:
  enum class Kind { Constant, Exponential, Lognormal, Uniform, Empirical, Mixture };

  Distribution() = default;
  static Distribution constant(double v);
  static Distribution exponential(double mean);
  // REQUIRES: 0 < median < p99.
  static Distribution lognormal(double median, double p99);
  // REQUIRES: 0 <= min <= max.
  static Distribution uniform(double min, double max);
  // REQUIRES: points non-empty, probabilities positive and summing to 1.
  static Distribution empirical(std::vector<std::pair<double, double>> points);
  // (probability, distribution) parts. REQUIRES: parts non-empty, probabilities positive, summing to 1.
  static Distribution mixture(std::vector<std::pair<double, Distribution>> parts);

  double sample(Rng& rng) const;
  // A draw of the time left until the next renewal, seen at a random instant of a long run of
  // back-to-back draws (the equilibrium residual, density (1 - F(x)) / mean): a length-biased draw
  // times a uniform. Starting each of many independent sources at this phase starts their
  // superposition in its steady state instead of in a burst.
  double sample_residual(Rng& rng) const;
  // A draw with density x f(x) / mean: the length of the interval that covers a random instant.
  double sample_length_biased(Rng& rng) const;
  double mean() const;
  // Squared coefficient of variation (variance / mean^2); 1 for exponential, 0 for constant.
  double scv() const;
  bool is_zero() const { return kind_ == Kind::Constant && a_ == 0; }
  Kind kind() const { return kind_; }
  std::string describe() const;

 private:
  Kind kind_ = Kind::Constant;
  double a_ = 0, b_ = 0;  // constant: a; exponential: mean a; lognormal: mu a, sigma b; uniform: [a, b]
  std::vector<std::pair<double, double>> cumulative_;  // empirical: (value, cumulative probability)
  std::vector<Distribution> parts_;                     // mixture: the parts; cumulative_ holds (index, cumulative probability)
};

}  // namespace archsim
