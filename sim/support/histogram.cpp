#include "sim/support/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace archsim {

namespace bh = boost::histogram;

// 100 ns to 10^5 s in 12 decades, 230 buckets per decade: each bucket is 1.0% wide.
static constexpr double kLow = 1e-7;
static constexpr double kHigh = 1e5;
static constexpr unsigned kBuckets = 12 * 230;

LatencyHistogram::LatencyHistogram()
    : hist_(bh::make_histogram_with(std::vector<uint64_t>(), Axis(kBuckets, kLow, kHigh))) {}

void LatencyHistogram::record(double s) {
  hist_(s);
  if (count_ == 0) {
    min_ = max_ = s;
  } else {
    min_ = std::min(min_, s);
    max_ = std::max(max_, s);
  }
  ++count_;
  sum_ += s;
}

void LatencyHistogram::reset() {
  hist_.reset();
  count_ = 0;
  sum_ = min_ = max_ = 0;
}

void LatencyHistogram::merge(const LatencyHistogram& o) {
  if (o.count_ == 0) return;
  hist_ += o.hist_;
  if (count_ == 0) {
    min_ = o.min_;
    max_ = o.max_;
  } else {
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }
  count_ += o.count_;
  sum_ += o.sum_;
}

double LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  double target = q * static_cast<double>(count_);
  double cum = 0;
  for (auto&& x : bh::indexed(hist_, bh::coverage::all)) {
    double c = static_cast<double>(*x);
    if (c == 0) continue;
    if (cum + c >= target) {
      double lo = x.bin().lower(), hi = x.bin().upper();
      if (!std::isfinite(lo) || lo <= 0) lo = min_;
      if (!std::isfinite(hi)) hi = max_;
      double frac = c > 0 ? (target - cum) / c : 0;
      frac = std::clamp(frac, 0.0, 1.0);
      double v = lo > 0 && hi > 0 ? lo * std::pow(hi / lo, frac) : lo + (hi - lo) * frac;
      return std::clamp(v, min_, max_);
    }
    cum += c;
  }
  return max_;
}

void LatencyHistogram::for_each_bucket(const std::function<void(double, double, uint64_t)>& f) const {
  for (auto&& x : bh::indexed(hist_, bh::coverage::all)) {
    uint64_t c = *x;
    if (c == 0) continue;
    double lo = x.bin().lower(), hi = x.bin().upper();
    if (!std::isfinite(lo) || lo < 0) lo = 0;
    if (!std::isfinite(hi)) hi = max_;
    f(lo, hi, c);
  }
}

}  // namespace archsim
