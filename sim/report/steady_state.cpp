// Whether the measured window was in steady state, and what the run cannot answer when it was
// not: a backlog that grows (the percentiles then depend on the run's length and leave out the
// requests still waiting) or a start-up transient still under way after the warm-up (a replicated
// store's first election).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/report/json_number.hpp"
#include "sim/report/report.hpp"
#include "models/common/resilience.hpp"
#include "sim/topology/topology.hpp"
#include "sim/support/units.hpp"

namespace archsim {
namespace {


// Least-squares trend of equally spaced means over a window of `length` seconds.
struct Trend {
  double slope = 0;      // per second
  double level = 0;      // mean over the window
  double resid_sd = 0;   // scatter around the line
  double first = 0, last = 0;  // the line's value at the window's start and end
};
Trend fit(const std::vector<double>& y, double length) {
  Trend t;
  size_t n = y.size();
  if (n < 2 || length <= 0) return t;
  double w = length / static_cast<double>(n), sx = 0, sy = 0;
  for (size_t i = 0; i < n; ++i) {
    sx += (static_cast<double>(i) + 0.5) * w;
    sy += y[i];
  }
  double mx = sx / static_cast<double>(n), my = sy / static_cast<double>(n), sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    double dx = (static_cast<double>(i) + 0.5) * w - mx;
    sxx += dx * dx;
    sxy += dx * (y[i] - my);
  }
  t.slope = sxy / sxx;
  t.level = my;
  double ss = 0;
  for (size_t i = 0; i < n; ++i) {
    double e = y[i] - (my + t.slope * ((static_cast<double>(i) + 0.5) * w - mx));
    ss += e * e;
  }
  t.resid_sd = std::sqrt(ss / static_cast<double>(n - 2 > 0 ? n - 2 : 1));
  t.first = my - t.slope * mx;
  t.last = my + t.slope * (length - mx);
  return t;
}

// A backlog grows when its line rises over the window by more than the noise around it, by more
// than a quarter of its level (a long-lived queue that drifts is not a growing one) and by more
// than kMinGrowth requests.
constexpr double kMinGrowth = 20;
bool grows(const Trend& t, double length) {
  double rise = t.slope * length;
  return rise > kMinGrowth && rise > 4 * t.resid_sd && rise > 0.25 * t.level;
}

std::string count(double x) { return fmt::format("{:.0f}", x); }

}  // namespace

SteadyState steady_state(const RunResult& r) {
  SteadyState s;
  double len = r.window();
  uint64_t generated = 0, ended = 0, completed = 0;
  std::vector<double> backlog(kTrendBins, 0.0);
  for (const auto& c : r.clients) {
    generated += c.generated;
    ended += c.completed + c.rejected + c.timed_out + c.failed_downstream;
    completed += c.completed;
    s.in_flight_at_end += c.in_flight_at_end;
    s.in_flight_age.merge(c.in_flight_age);
    s.with_in_flight.merge(c.all);
    s.with_in_flight.merge(c.in_flight_age);
    s.completed.merge(c.all);
    std::vector<double> m = c.outstanding.window_means();
    for (size_t i = 0; i < m.size() && i < backlog.size(); ++i) backlog[i] += m[i];
  }
  s.offered_rps = len > 0 ? static_cast<double>(generated) / len : 0;
  s.served_rps = len > 0 ? static_cast<double>(ended) / len : 0;
  s.completed_rps = len > 0 ? static_cast<double>(completed) / len : 0;
  Trend b = fit(backlog, len);
  s.backlog_growth_rps = b.slope;
  s.backlog_at_start = std::max(0.0, b.first);
  s.backlog_at_end = std::max(0.0, b.last);
  // Percentiles of the completed requests leave out those still waiting; counted at their age so
  // far, the in-flight requests make them lower bounds. Marked when that moves the p99 by 1%.
  double p99 = s.completed.quantile(0.99), p99_open = s.with_in_flight.quantile(0.99);
  s.percentiles_are_lower_bounds = s.in_flight_at_end > 0 && p99_open > p99 * 1.01;

  // The component whose queue grows fastest: where the backlog sits.
  const ComponentStats* growing = nullptr;
  for (const auto& c : r.components) {
    Trend q = fit(c.stats.queue_len.window_means(), len);
    if (grows(q, len) && (growing == nullptr || q.slope > s.queue_growth_rps)) {
      growing = &c.stats;
      s.queue_growth_rps = q.slope;
    }
  }
  if (growing) s.growing_queue = growing->name;

  if (grows(b, len)) {
    Verdict v = bottleneck(r);
    std::string where = v.resource != "none" && !v.component.empty() ? v.component
                        : growing                                     ? growing->name
                                                                      : std::string();
    SteadyState::Reason why;
    why.kind = "backlog_growing";
    why.why = fmt::format(
        "{}offered {}, served {}; requests in flight grew {} over the measured window ({} at its start, {} at its "
        "end; {} measured requests still waiting when the run ended, the oldest for {}){}. The percentiles leave "
        "out the requests still waiting and grow with the run's length.",
        where.empty() ? "" : where + " is overloaded: ", format_rate(s.offered_rps), format_rate(s.served_rps),
        format_rate(b.slope), count(s.backlog_at_start), count(s.backlog_at_end), s.in_flight_at_end,
        format_duration(s.in_flight_age.max()),
        growing ? fmt::format("; {}'s queue grew {}", growing->name, format_rate(s.queue_growth_rps)) : "");
    std::string resource = v.resource == "cpu"          ? "cores per replica"
                           : v.resource == "io"         ? "disk channels per replica"
                           : v.resource == "network"    ? "network bandwidth"
                           : v.resource == "contention" ? "workers or connections"
                                                        : "capacity per replica";
    why.change = where.empty()
                     ? fmt::format("offer less than ~{}, or add capacity where the requests wait", format_rate(s.served_rps))
                     : fmt::format("offer less than ~{}, or give {} more replicas or {}", format_rate(s.served_rps), where,
                                   resource);
    s.reasons.push_back(why);
  }

  // Start-up transients still under way when the window opened.
  for (const auto& st : r.stores) {
    if (st.consistency != "cp") continue;
    SteadyState::Reason why;
    why.kind = "store_without_leader";
    if (st.leaders.empty()) {
      why.why = fmt::format("replicated store {} elected no leader in the run: every write failed or waited", st.name);
      why.change = "check its election_timeout against the round trip between its replicas, or run longer";
    } else if (st.leaders.front().at > r.window_start) {
      why.why = fmt::format(
          "replicated store {} had no leader until {} (its first election), after the {} warm-up: the measured "
          "window includes its cold start, when writes waited or failed",
          st.name, format_duration(st.leaders.front().at), format_duration(r.window_start));
      why.change = fmt::format("set run.warmup to at least {}", format_duration(std::ceil(st.leaders.front().at * 2) / 2 + 0.5));
    } else {
      continue;
    }
    s.reasons.push_back(why);
  }
  // A cache still filling: nothing evicted, capacity left at the end, and a hit ratio that rose
  // between the window's halves by more than three standard errors. Its capacity played no part
  // yet, and the hit ratio is below what the same cache gives once full.
  for (const auto& c : r.components) {
    const ComponentStats& cs = c.stats;
    const CacheStats& k = cs.cache;
    uint64_t lookups = cs.hits + cs.misses;
    if (!cs.counts_hits || k.capacity <= 0 || k.evictions > 0 || k.used_at_end >= 0.99 * k.capacity) continue;
    uint64_t n1 = k.first_half_lookups, n2 = lookups - k.first_half_lookups;
    if (n1 < 100 || n2 < 100) continue;
    double h1 = static_cast<double>(k.first_half_hits) / static_cast<double>(n1);
    double h2 = static_cast<double>(cs.hits - k.first_half_hits) / static_cast<double>(n2);
    double p = static_cast<double>(cs.hits) / static_cast<double>(lookups);
    double se = std::sqrt(p * (1 - p) * (1.0 / static_cast<double>(n1) + 1.0 / static_cast<double>(n2)));
    if (h2 - h1 <= std::max(0.01, 3 * se)) continue;
    double fill = k.used_at_end / k.capacity;
    SteadyState::Reason why;
    why.kind = "cache_filling";
    why.why = fmt::format(
        "cache {} was still filling: {:.1f}% of its capacity used at the end and nothing evicted, and its hit ratio "
        "rose from {:.1f}% in the first half of the window to {:.1f}% in the second; its capacity has not mattered "
        "yet (a smaller or larger one gives the same result), and its {:.1f}% is below what it gives once full",
        cs.name, 100 * fill, 100 * h1, 100 * h2, 100 * p);
    double needed = fill > 0 ? r.window_end / fill : 0;
    why.change = needed > 0 ? fmt::format("set warm: true on {} (it starts full, in steady state), or run with a "
                                          "warm-up of at least ~{} (at the rate it filled so far; filling slows as "
                                          "the hit ratio rises, so likely more)",
                                          cs.name, format_duration(std::ceil(needed)))
                            : fmt::format("set warm: true on {}, or run longer: nothing was stored yet", cs.name);
    s.reasons.push_back(why);
  }
  // Timeouts and retries: a call can stay in flight for its retry horizon (every attempt timing
  // out, every backoff at its cap), a client's request for its timeout. A warm-up shorter than
  // that counts in the window failures of requests that began before it, and the window's start
  // sees fewer timeouts and retries than steady state has. Judged only where some fired.
  double longest = 0;
  std::string what;
  for (const auto& c : r.components)
    for (const auto& [type, list] : c.spec->calls)
      for (const auto& call : list) {
        const CallPolicy& p = call.policy;
        if (call.shape != CallSpec::Shape::Single || call.targets.empty() || (p.timeout <= 0 && !p.retries())) continue;
        auto e = c.stats.edges.find(call.targets[0]);
        if (e == c.stats.edges.end()) continue;
        if (e->second.retries == 0 && e->second.failed[static_cast<size_t>(FailReason::Timeout)] == 0) continue;
        double h = 0;
        if (p.timeout > 0) {
          h = p.retry_horizon();
        } else {
          for (int64_t k = 1; k <= p.max_retries; ++k) h += backoff_cap(p, k);
        }
        if (h > longest) {
          longest = h;
          what = fmt::format("{}'s calls to {} ({} attempts of up to {} each, with their backoffs)", c.stats.name,
                             call.targets[0], p.max_retries + 1, format_duration(p.timeout));
        }
      }
  for (const auto& cl : r.clients) {
    const Component* spec = r.topology ? r.topology->find(cl.name) : nullptr;
    if (!spec || cl.timed_out == 0 || spec->timeout <= longest) continue;
    longest = spec->timeout;
    what = fmt::format("{}'s requests (its timeout)", cl.name);
  }
  // With faults, the timeouts may all be theirs (the run measures the fault, not a start-up):
  // judged only when requests failed in the seconds before the first fault began.
  double first_fault = INFINITY;
  if (r.topology)
    for (const auto& f : r.topology->faults) first_fault = std::min(first_fault, f.at);
  bool before_faults = !std::isfinite(first_fault);
  for (const auto& cl : r.clients) {
    const auto& rows = cl.series.rows();
    for (size_t sec = 0; sec < rows.size() && static_cast<double>(sec + 1) <= first_fault && !before_faults; ++sec)
      before_faults = rows[sec].errors > 0;
  }
  if (longest > r.window_start + 1e-9 && before_faults) {
    SteadyState::Reason why;
    why.kind = "retry_transient";
    why.why = fmt::format(
        "{} can stay in flight for {}, longer than the {} warm-up, and timeouts or retries happened: the window "
        "opens before its timeouts and retries reach their steady level (its first seconds see fewer of them), so "
        "failure and retry counts are biased low",
        what, format_duration(longest), format_duration(r.window_start));
    why.change = fmt::format("set run.warmup to at least {}", format_duration(std::ceil(longest * 2) / 2));
    s.reasons.push_back(why);
  }
  s.steady = s.reasons.empty();
  return s;
}

nlohmann::ordered_json steady_state_json(const SteadyState& s) {
  nlohmann::ordered_json j;
  j["steady"] = s.steady;
  nlohmann::ordered_json reasons = nlohmann::ordered_json::array();
  for (const auto& w : s.reasons) reasons.push_back({{"kind", w.kind}, {"why", w.why}, {"change", w.change}});
  j["reasons"] = reasons;
  j["offered_rps"] = d6(s.offered_rps);
  j["served_rps"] = d6(s.served_rps);
  j["completed_rps"] = d6(s.completed_rps);
  j["backlog_growth_rps"] = d6(s.backlog_growth_rps);
  j["backlog_at_start"] = d6(s.backlog_at_start);
  j["backlog_at_end"] = d6(s.backlog_at_end);
  if (!s.growing_queue.empty())
    j["growing_queue"] = {{"component", s.growing_queue}, {"growth_rps", d6(s.queue_growth_rps)}};
  j["in_flight_at_end"] = {{"count", s.in_flight_at_end},
                           {"age_ms", {{"p50", d6(s.in_flight_age.quantile(0.5) * 1e3)},
                                       {"p99", d6(s.in_flight_age.quantile(0.99) * 1e3)},
                                       {"max", d6(s.in_flight_age.max() * 1e3)}}}};
  j["latency_ms_with_in_flight"] = {{"p50", d6(s.with_in_flight.quantile(0.5) * 1e3)},
                                    {"p99", d6(s.with_in_flight.quantile(0.99) * 1e3)},
                                    {"p999", d6(s.with_in_flight.quantile(0.999) * 1e3)}};
  j["percentiles_are_lower_bounds"] = s.percentiles_are_lower_bounds;
  return j;
}

std::string steady_state_terminal(const SteadyState& s) {
  std::string out;
  if (s.steady) {
    double failed = s.served_rps - s.completed_rps;
    out = fmt::format("steady state: yes (offered {}, served {}{}, requests in flight {} at the window's start and {} "
                      "at its end)\n",
                      format_rate(s.offered_rps), format_rate(s.served_rps),
                      failed > 0 ? fmt::format(" of which {} failed", format_rate(failed)) : "",
                      count(s.backlog_at_start), count(s.backlog_at_end));
  } else {
    out = "steady state: NO. This run cannot answer what a steady design would:\n";
    for (const auto& w : s.reasons) out += fmt::format("  - {}\n    change: {}\n", w.why, w.change);
  }
  return out;
}

std::string in_flight_terminal(const SteadyState& s) {
  if (s.in_flight_at_end == 0) return "";
  std::string out = fmt::format(
      "{} measured requests were still in flight at the end (age p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms); "
      "counted at their age so far: p50 >= {:.3f} ms, p99 >= {:.3f} ms, p99.9 >= {:.3f} ms{}\n",
      s.in_flight_at_end, s.in_flight_age.quantile(0.5) * 1e3, s.in_flight_age.quantile(0.99) * 1e3,
      s.in_flight_age.max() * 1e3, s.with_in_flight.quantile(0.5) * 1e3, s.with_in_flight.quantile(0.99) * 1e3,
      s.with_in_flight.quantile(0.999) * 1e3,
      s.percentiles_are_lower_bounds ? " (the table's percentiles are lower bounds)" : "");
  return out;
}

}  // namespace archsim
