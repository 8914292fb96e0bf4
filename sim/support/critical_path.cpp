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

void CriticalPathStats::record(double latency, const std::vector<PathEntry>& path) {
  Totals& b = buckets_[bucket_of(latency)];
  ++b.requests;
  b.latency_sum += latency;
  for (const auto& e : path) b.seconds[{e.node, e.cause}] += e.seconds;
}

void CriticalPathStats::merge(const CriticalPathStats& other) {
  for (const auto& [k, o] : other.buckets_) {
    Totals& b = buckets_[k];
    b.requests += o.requests;
    b.latency_sum += o.latency_sum;
    for (const auto& [key, s] : o.seconds) b.seconds[key] += s;
  }
}

uint64_t CriticalPathStats::requests() const {
  uint64_t n = 0;
  for (const auto& [k, b] : buckets_) n += b.requests;
  return n;
}

CriticalPathStats::Totals CriticalPathStats::above(double q, double* threshold) const {
  Totals out;
  uint64_t n = requests();
  // How many of the slowest requests make up the top 1 - q; at least one.
  double want = q <= 0 ? static_cast<double>(n) : std::max(1.0, std::ceil((1 - q) * static_cast<double>(n)));
  if (threshold) *threshold = 0;
  for (auto it = buckets_.rbegin(); it != buckets_.rend(); ++it) {
    if (static_cast<double>(out.requests) >= want) break;
    const Totals& b = it->second;
    out.requests += b.requests;
    out.latency_sum += b.latency_sum;
    for (const auto& [key, s] : b.seconds) out.seconds[key] += s;
    if (threshold) *threshold = it->first == INT32_MIN ? 0 : std::pow(kGrowth, it->first);
  }
  return out;
}

}  // namespace archsim
