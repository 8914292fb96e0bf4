// How numbers are written into summary.json and the CSVs: short, stable across platforms, never
// NaN, infinity or negative zero (a sum that should be 0 and came out -2e-16 is written 0).
#pragma once

#include <cmath>
#include <string>

#include <fmt/format.h>

namespace archsim {

// Six significant digits; non-finite values and magnitudes below 1e-12 as 0.
inline double r6(double x) {
  if (!std::isfinite(x) || std::fabs(x) < 1e-12) return 0;
  return std::stod(fmt::format("{:.6g}", x));
}
// Six decimals (fractions and seconds whose absolute precision is what matters); -0 as 0.
inline double d6(double x) {
  if (!std::isfinite(x)) return 0;
  return std::round(x * 1e6) / 1e6 + 0.0;
}
// Seconds as milliseconds, six significant digits.
inline double ms(double s) { return r6(s * 1e3); }

}  // namespace archsim
