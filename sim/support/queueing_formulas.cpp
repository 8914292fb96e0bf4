#include "sim/support/queueing_formulas.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace archsim {


double erlang_c_wait(double lambda, double service_s, int64_t c) {
  double a = lambda * service_s;  // offered load in servers
  double n = static_cast<double>(c);
  // Erlang B by the stable recurrence, then C = B / (1 - rho (1 - B)).
  double b = 1;
  for (int64_t k = 1; k <= c; ++k) b = a * b / (static_cast<double>(k) + a * b);
  double rho = a / n;
  double pc = b / (1 - rho * (1 - b));
  return pc * service_s / (n - a);
}

namespace {

// Rank buckets for Che's approximation: ranks 1..kExact one by one, then geometric buckets 2% wide.
constexpr uint64_t kExactRanks = 1000;
constexpr double kBucketGrowth = 1.02;

struct Bucket {
  uint64_t first, last;  // ranks, 1-based, inclusive
  double keys() const { return static_cast<double>(last - first + 1); }
};

std::vector<Bucket> rank_buckets(uint64_t count) {
  std::vector<Bucket> out;
  uint64_t r = 1;
  while (r <= count) {
    uint64_t last = r <= kExactRanks ? r : std::max(r, static_cast<uint64_t>(static_cast<double>(r) * kBucketGrowth));
    last = std::min(last, count);
    out.push_back({r, last});
    r = last + 1;
  }
  return out;
}

// The unnormalized popularity mass of ranks [a, b] under `k` (zipf: sum of k^-s, by the integral
// past the exact ranks). nullopt for key distributions the estimate does not handle.
std::optional<double> rank_mass(const KeyDistribution& k, uint64_t a, uint64_t b) {
  if (a > k.count()) return 0.0;
  b = std::min(b, k.count());
  switch (k.kind()) {
    case KeyDistribution::Kind::Uniform:
      return static_cast<double>(b - a + 1);
    case KeyDistribution::Kind::Zipf: {
      double s = k.exponent();
      if (a == b) return std::pow(static_cast<double>(a), -s);
      double lo = static_cast<double>(a) - 0.5, hi = static_cast<double>(b) + 0.5;
      if (std::fabs(s - 1) < 1e-12) return std::log(hi / lo);
      return (std::pow(hi, 1 - s) - std::pow(lo, 1 - s)) / (1 - s);
    }
    case KeyDistribution::Kind::Hotset:
    case KeyDistribution::Kind::Sequential:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

double CheView::in_cache_of(uint64_t key) const {
  auto it = std::upper_bound(ranks.begin(), ranks.end(), key, [](uint64_t k, const Ranks& r) { return k < r.first; });
  if (it == ranks.begin()) return 0;
  --it;
  return key <= it->last ? it->in_cache : 0;
}

CheView che_view(const std::vector<KeyDistribution>& keys, const std::vector<double>& weights, double capacity,
                 const std::vector<const CheView*>& in_front) {
  CheView v;
  uint64_t count = 0;
  for (const auto& k : keys) count = std::max(count, k.count());
  std::vector<Bucket> buckets = rank_buckets(count);
  std::vector<double> q(buckets.size(), 0.0);  // per-key request probability in each bucket
  double wsum = 0;
  for (double w : weights) wsum += w;
  for (size_t t = 0; t < keys.size(); ++t) {
    std::vector<double> mass(buckets.size());
    double total = 0;
    for (size_t i = 0; i < buckets.size(); ++i) {
      mass[i] = rank_mass(keys[t], buckets[i].first, buckets[i].last).value_or(0);
      total += mass[i];
    }
    for (size_t i = 0; i < buckets.size(); ++i) q[i] += weights[t] / wsum * mass[i] / total / buckets[i].keys();
  }
  if (!in_front.empty()) {
    // The misses of the caches in front: each bucket (keys of about equal popularity) at its middle key.
    double sum = 0;
    for (size_t i = 0; i < buckets.size(); ++i) {
      uint64_t mid = (buckets[i].first + buckets[i].last) / 2 - 1;
      for (const CheView* f : in_front) q[i] *= 1 - f->in_cache_of(mid);
      sum += q[i] * buckets[i].keys();
    }
    if (sum > 0)
      for (double& x : q) x /= sum;
  }
  double keys_total = 0;  // keys that are read at all (all of them unless filtered out in front)
  for (size_t i = 0; i < buckets.size(); ++i)
    if (q[i] > 0) keys_total += buckets[i].keys();
  if (keys_total == 0) {  // nothing reaches it
    for (const auto& b : buckets) v.ranks.push_back({b.first - 1, b.last - 1, 0.0});
    return v;
  }
  if (capacity >= keys_total) {  // everything fits (cold misses aside)
    v.hit_ratio = 1.0;
    for (const auto& b : buckets) v.ranks.push_back({b.first - 1, b.last - 1, 1.0});
    return v;
  }
  // The characteristic time T: sum over keys of P(key requested within T requests) = capacity.
  auto occupied = [&](double T) {
    double sum = 0;
    for (size_t i = 0; i < buckets.size(); ++i) sum += buckets[i].keys() * -std::expm1(-q[i] * T);
    return sum;
  };
  double lo = 0, hi = capacity;
  while (occupied(hi) < capacity) hi *= 2;
  for (int it = 0; it < 200 && hi - lo > 1e-9 * hi; ++it) {
    double mid = 0.5 * (lo + hi);
    (occupied(mid) < capacity ? lo : hi) = mid;
  }
  double T = 0.5 * (lo + hi);
  for (size_t i = 0; i < buckets.size(); ++i) {
    double in = -std::expm1(-q[i] * T);
    v.hit_ratio += buckets[i].keys() * q[i] * in;
    v.ranks.push_back({buckets[i].first - 1, buckets[i].last - 1, in});
  }
  return v;
}

double che_hit_ratio(const std::vector<KeyDistribution>& keys, const std::vector<double>& weights, double capacity) {
  return che_view(keys, weights, capacity).hit_ratio;
}

}  // namespace archsim
