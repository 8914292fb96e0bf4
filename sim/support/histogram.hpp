// Latency histogram with log-spaced buckets (about 1% relative width, HDR-style): percentiles
// without storing every sample, so memory does not grow with the number of requests.
#pragma once

#include <boost/histogram.hpp>
#include <cstdint>
#include <functional>

namespace archsim {

class LatencyHistogram {
 public:
  LatencyHistogram();
  void record(double seconds);
  void reset();
  void merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0; }
  double min() const { return count_ ? min_ : 0; }
  double max() const { return count_ ? max_ : 0; }
  double sum() const { return sum_; }
  // q in [0, 1]; geometric interpolation inside the bucket, clamped to the observed range.
  double quantile(double q) const;
  // Calls f(low_s, high_s, count) for every non-empty bucket, in increasing order.
  void for_each_bucket(const std::function<void(double, double, uint64_t)>& f) const;

 private:
  using Axis = boost::histogram::axis::regular<double, boost::histogram::axis::transform::log>;
  using Hist = decltype(boost::histogram::make_histogram_with(std::vector<uint64_t>(), std::declval<Axis>()));
  class BucketIndex;
  Hist hist_;
  uint64_t count_ = 0;
  double sum_ = 0, min_ = 0, max_ = 0;
};

}  // namespace archsim
