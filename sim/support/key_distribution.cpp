#include "sim/support/key_distribution.hpp"

#include <algorithm>
#include <cmath>

namespace archsim {
namespace {
// log1p(x)/x, continuous at 0.
double helper1(double x) { return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x)); }
// expm1(x)/x, continuous at 0.
double helper2(double x) { return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x)); }
}  // namespace

KeyDistribution KeyDistribution::uniform(uint64_t count) {
  KeyDistribution k;
  k.kind_ = Kind::Uniform;
  k.count_ = count;
  return k;
}

KeyDistribution KeyDistribution::zipf(uint64_t count, double s) {
  KeyDistribution k;
  k.kind_ = Kind::Zipf;
  k.count_ = count;
  k.s_ = s;
  k.h_integral_x1_ = k.h_integral(1.5) - 1;
  k.h_integral_n_ = k.h_integral(static_cast<double>(count) + 0.5);
  k.threshold_ = 2 - k.h_integral_inverse(k.h_integral(2.5) - k.h(2));
  return k;
}

KeyDistribution KeyDistribution::hotset(uint64_t count, double hot_fraction, double hot_share) {
  KeyDistribution k;
  k.kind_ = Kind::Hotset;
  k.count_ = count;
  k.hot_count_ = std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(hot_fraction * static_cast<double>(count))));
  k.hot_count_ = std::min(k.hot_count_, count);
  k.hot_share_ = hot_share;
  return k;
}

KeyDistribution KeyDistribution::sequential(uint64_t count, uint64_t start) {
  KeyDistribution k;
  k.kind_ = Kind::Sequential;
  k.count_ = count;
  k.next_ = start;
  return k;
}

double KeyDistribution::h(double x) const { return std::exp(-s_ * std::log(x)); }
double KeyDistribution::h_integral(double x) const {
  double lx = std::log(x);
  return helper2((1 - s_) * lx) * lx;
}
double KeyDistribution::h_integral_inverse(double x) const {
  double t = x * (1 - s_);
  if (t < -1) t = -1;
  return std::exp(helper1(t) * x);
}

uint64_t KeyDistribution::sample(Rng& rng) const {
  switch (kind_) {
    case Kind::Uniform:
      return rng.below(count_);
    case Kind::Hotset:
      if (hot_count_ == count_ || rng.uniform() < hot_share_) return rng.below(hot_count_);
      return hot_count_ + rng.below(count_ - hot_count_);
    case Kind::Sequential:
      return next_++;
    case Kind::Zipf:
      for (;;) {
        double u = h_integral_n_ + rng.uniform() * (h_integral_x1_ - h_integral_n_);
        double x = h_integral_inverse(u);
        double kd = std::floor(x + 0.5);
        if (kd < 1) kd = 1;
        if (kd > static_cast<double>(count_)) kd = static_cast<double>(count_);
        if (kd - x <= threshold_ || u >= h_integral(kd + 0.5) - h(kd)) return static_cast<uint64_t>(kd) - 1;
      }
  }
  return 0;
}

}  // namespace archsim
