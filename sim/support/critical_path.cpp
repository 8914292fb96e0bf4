#include "sim/support/critical_path.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

namespace archsim {

const char* cause_name(uint8_t c) {
  switch (c) {
    case cause::kNetwork: return "network";
    case cause::kQueue: return "queue";
    case cause::kCpu: return "cpu";
    case cause::kIo: return "io";
    case cause::kDelay: return "delay";
    case cause::kDownstream: return "downstream";
    case cause::kReplication: return "replication";
  }
  return "unknown";
}

namespace {
constexpr double kGrowth = 1.02;  // bucket width: 2%
}

int CriticalPathStats::bucket_of(double latency) {
  if (latency <= 1e-9) return INT32_MIN;
  return static_cast<int>(std::floor(std::log(latency) / std::log(kGrowth)));
}

void CriticalPathStats::record(double latency, const Path& path) {
  Bucket& b = buckets_[bucket_of(latency)];
  ++b.requests;
  b.latency_sum += latency;
  for (const auto& e : path) {
    uint64_t key = pack(e.node, e.cause);
    double* s = b.seconds.find(key);
    if (s) *s += e.seconds;
    else b.seconds.insert(key) = e.seconds;
  }
}

void CriticalPathStats::merge(const CriticalPathStats& other) {
  for (const auto& [k, o] : other.buckets_) {
    Bucket& b = buckets_[k];
    b.requests += o.requests;
    b.latency_sum += o.latency_sum;
    o.seconds.for_each([&](uint64_t key, double s) {
      double* mine = b.seconds.find(key);
      if (mine) *mine += s;
      else b.seconds.insert(key) = s;
    });
  }
}

uint64_t CriticalPathStats::requests() const {
  uint64_t n = 0;
  for (const auto& [k, b] : buckets_) n += b.requests;  // integers: the order does not matter
  return n;
}

CriticalPathStats::Totals CriticalPathStats::above(double q, double* threshold) const {
  Totals out;
  uint64_t n = requests();
  // How many of the slowest requests make up the top 1 - q; at least one.
  double want = q <= 0 ? static_cast<double>(n) : std::max(1.0, std::ceil((1 - q) * static_cast<double>(n)));
  if (threshold) *threshold = 0;
  std::vector<int> order;  // slowest first
  order.reserve(buckets_.size());
  for (const auto& [k, b] : buckets_) order.push_back(k);
  std::sort(order.begin(), order.end(), std::greater<int>());
  for (int k : order) {
    if (static_cast<double>(out.requests) >= want) break;
    const Bucket& b = buckets_.at(k);
    out.requests += b.requests;
    out.latency_sum += b.latency_sum;
    // In key order, so that a key's sum adds its buckets in the same order on every library.
    std::vector<std::pair<uint64_t, double>> keys;
    b.seconds.for_each([&](uint64_t key, double s) { keys.emplace_back(key, s); });
    std::sort(keys.begin(), keys.end());
    for (const auto& [key, s] : keys) out.seconds[{static_cast<NodeId>(key >> 8), static_cast<uint8_t>(key & 0xFF)}] += s;
    if (threshold) *threshold = k == INT32_MIN ? 0 : std::pow(kGrowth, k);
  }
  return out;
}

}  // namespace archsim
