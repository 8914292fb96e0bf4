#include "sim/support/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace archsim {

namespace bh = boost::histogram;

// 100 ns to 10^5 s in 12 decades, 230 buckets per decade: each bucket is 1.0% wide.
static constexpr double kLow = 1e-7;
static constexpr double kHigh = 1e5;
static constexpr unsigned kBuckets = 12 * 230;

// Boost's log axis finds a value's bucket with a log() per value, and record() runs several times
// per simulated request. BucketIndex finds the same bucket from the value's bits: a table indexed
// by the binary exponent and the top 8 bits of the mantissa (a cell 0.4% wide, narrower than a
// bucket) gives the bucket holding the cell's lowest value, one step over the buckets' lower
// bounds may follow, and a value within 1e-10 (relative) of a bound, where the axis's own
// rounding could place it either side, is left to the axis, as is anything outside its range.
class LatencyHistogram::BucketIndex {
 public:
  BucketIndex() : axis_(kBuckets, kLow, kHigh) {
    for (unsigned i = 0; i <= kBuckets; ++i) lower_[i] = axis_.value(i);
    first_exp_ = exponent(kLow);
    last_exp_ = exponent(kHigh);
    guess_.resize(static_cast<size_t>(last_exp_ - first_exp_ + 1) * 256);
    int b = 0;
    for (size_t cell = 0; cell < guess_.size(); ++cell) {
      double x0 = cell_low(cell);
      while (b < static_cast<int>(kBuckets) && lower_[static_cast<size_t>(b) + 1] <= x0) ++b;
      guess_[cell] = static_cast<int16_t>(x0 < lower_[0] ? 0 : b);
    }
  }
  // The axis's index of x: -1 below its range, kBuckets above.
  int index(double x) const {
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    int e = static_cast<int>(bits >> 52);  // with the sign bit: a negative x lands outside
    if (e < first_exp_ || e > last_exp_ || !(x >= lower_[0]) || !(x < lower_[kBuckets])) return axis_.index(x);
    size_t cell = static_cast<size_t>(e - first_exp_) * 256 + ((bits >> 44) & 0xFF);
    auto i = static_cast<size_t>(guess_[cell]);
    while (x >= lower_[i + 1]) ++i;
    if (x - lower_[i] <= 1e-10 * lower_[i] || lower_[i + 1] - x <= 1e-10 * lower_[i + 1]) return axis_.index(x);
    return static_cast<int>(i);
  }

 private:
  static int exponent(double x) {
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    return static_cast<int>(bits >> 52);
  }
  double cell_low(size_t cell) const {
    uint64_t bits = (static_cast<uint64_t>(first_exp_ + static_cast<int>(cell / 256)) << 52) |
                    (static_cast<uint64_t>(cell % 256) << 44);
    double x;
    std::memcpy(&x, &bits, sizeof x);
    return x;
  }
  Axis axis_;
  double lower_[kBuckets + 1];
  int first_exp_ = 0, last_exp_ = 0;
  std::vector<int16_t> guess_;
};

LatencyHistogram::LatencyHistogram()
    : hist_(bh::make_histogram_with(std::vector<uint64_t>(), Axis(kBuckets, kLow, kHigh))) {}

void LatencyHistogram::record(double s) {
  static const BucketIndex buckets;
  ++hist_.at(buckets.index(s));
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
