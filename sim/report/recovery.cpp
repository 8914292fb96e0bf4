#include "sim/report/recovery.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/report/json_number.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/support/units.hpp"

namespace archsim {

namespace {

constexpr double kRecovered = 0.9;  // of the level before
constexpr int kHold = 3;            // consecutive seconds
constexpr int kBefore = 10;         // seconds before the fault that set its level

double mean_of(const std::vector<double>& v, long a, long b) {  // [a, b)
  a = std::max(a, 0L);
  b = std::min(b, static_cast<long>(v.size()));
  if (b <= a) return 0;
  double s = 0;
  for (long i = a; i < b; ++i) s += v[static_cast<size_t>(i)];
  return s / static_cast<double>(b - a);
}

// What keeps goodput down at the end: retries that multiply the callee's load, a queue that stays
// full or keeps the backlog the fault built.
std::string sustained_by(const RunResult& r, long before_from, long before_to, long n) {
  std::string out;
  double worst = 0;
  std::string edge;
  for (const auto& c : r.components)
    for (const auto& [callee, e] : c.stats.edges)
      if (e.retries > 0 && e.calls > 0) {
        double amp = static_cast<double>(e.attempts) / static_cast<double>(e.calls);
        if (amp > worst) {
          worst = amp;
          edge = fmt::format("from {} to {}", c.stats.name, callee);
        }
      }
  if (worst >= 1.5)
    out = fmt::format("retries (amplification {:.1f}x: {:.2f} attempts per call {} over the measured window)", worst,
                      worst, edge);
  for (const auto& c : r.components) {
    const auto& q = c.stats.queue_len.per_second();
    double end = mean_of(q, n - kHold, n), before = mean_of(q, before_from, before_to);
    std::string backlog;
    if (c.spec && c.spec->queue > 0) {
      double cap = static_cast<double>(c.spec->queue * c.spec->replicas);
      if (end >= 0.8 * cap)
        backlog = fmt::format("the backlog at {} (its queue full: {:.0f} of {:.0f} waiting at the end)", c.stats.name,
                              end, cap);
    } else if (end >= 10 && end > 2 * before + 1) {
      backlog = fmt::format("the backlog at {} ({:.0f} waiting at the end, {:.0f} before the fault)", c.stats.name, end,
                            before);
    }
    if (!backlog.empty()) {
      out += (out.empty() ? "" : " and by ") + backlog;
      break;
    }
  }
  return out.empty() ? "neither retries nor a backlog: the run cannot name what holds it down" : out;
}

}  // namespace

std::vector<Recovery> fault_recoveries(const RunResult& r) {
  std::vector<Recovery> out;
  // Goodput per simulated second, all clients.
  std::vector<double> good;
  for (const auto& c : r.clients) {
    const auto& rows = c.series.rows();
    if (good.size() < rows.size()) good.resize(rows.size(), 0);
    for (size_t i = 0; i < rows.size(); ++i) good[i] += static_cast<double>(rows[i].completed);
  }
  long n = static_cast<long>(std::floor(r.window_end + 1e-9));  // full seconds of the run
  n = std::min(n, static_cast<long>(good.size()));
  for (size_t i = 0; i < r.faults.size(); ++i) {
    const FaultOutcome& f = r.faults[i];
    Recovery v;
    v.fault = i;
    long from = std::max(1L, static_cast<long>(std::floor(f.start)) - kBefore), to = static_cast<long>(std::floor(f.start));
    v.before_rps = mean_of(good, from, to);
    if (f.end < 0) {
      v.not_judged = "it lasts to the end of the run";
    } else if (to - from < 2) {
      v.not_judged = "it starts in the run's first seconds: there is no level before it to return to";
    } else if (v.before_rps <= 0) {
      v.not_judged = "nothing completed in the seconds before it";
    } else if (n - static_cast<long>(std::ceil(f.end)) < kHold) {
      v.not_judged = fmt::format("it ends less than {} s before the run does: too late to see a recovery", kHold);
    }
    if (!v.not_judged.empty()) {
      out.push_back(v);
      continue;
    }
    long e = static_cast<long>(std::ceil(f.end));
    v.during_rps = mean_of(good, static_cast<long>(std::ceil(f.start)), static_cast<long>(std::floor(f.end)));
    v.at_end_rps = mean_of(good, n - kHold, n);
    for (long k = e; k + kHold <= n; ++k)
      if (mean_of(good, k, k + kHold) >= kRecovered * v.before_rps) {
        v.recovered = true;
        v.recovery_s = std::max(0.0, static_cast<double>(k) - f.end);
        break;
      }
    if (!v.recovered) v.sustained_by = sustained_by(r, from, to, n);
    out.push_back(v);
  }
  return out;
}

nlohmann::ordered_json recovery_json(const Recovery& v) {
  nlohmann::ordered_json j;
  if (!v.not_judged.empty()) {
    j["judged"] = false;
    j["why"] = v.not_judged;
    return j;
  }
  j["judged"] = true;
  j["goodput_before_rps"] = r6(v.before_rps);
  j["goodput_during_rps"] = r6(v.during_rps);
  j["goodput_at_end_rps"] = r6(v.at_end_rps);
  j["recovered"] = v.recovered;
  j["recovery_s"] = v.recovered ? nlohmann::ordered_json(r6(v.recovery_s)) : nlohmann::ordered_json(nullptr);
  if (!v.recovered) j["sustained_by"] = v.sustained_by;
  return j;
}

std::string recovery_line(const Recovery& v) {
  if (!v.not_judged.empty()) return fmt::format("  after it: not judged ({})\n", v.not_judged);
  if (v.recovered)
    return fmt::format("  after it: goodput back to {:.0f}% of its level before ({}) {} after it ended (during it: {})\n",
                       100 * kRecovered, format_rate(v.before_rps),
                       v.recovery_s < 1 ? std::string("within the second") : format_duration(v.recovery_s),
                       format_rate(v.during_rps));
  return fmt::format("  after it: did not recover by the end of the run (goodput {} over its last {} s against {} before "
                     "the fault): sustained by {}\n",
                     format_rate(v.at_end_rps), kHold, format_rate(v.before_rps), v.sustained_by);
}

}  // namespace archsim
