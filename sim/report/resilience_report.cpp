#include "sim/report/resilience_report.hpp"

#include <fmt/format.h>

#include "sim/report/json_number.hpp"
namespace archsim {

namespace {


uint64_t reason(const uint64_t* counts, FailReason r) { return counts[static_cast<size_t>(r)]; }

nlohmann::ordered_json reasons_json(uint64_t rejected, uint64_t timed_out, const uint64_t* by) {
  return {{reason::kRejected, rejected},
          {reason::kTimedOut, timed_out},
          {reason::kTimeout, reason(by, FailReason::Timeout)},
          {reason::kUnavailable, reason(by, FailReason::Unavailable)},
          {reason::kCircuitOpen, reason(by, FailReason::CircuitOpen)}};
}

}  // namespace

nlohmann::ordered_json failed_by_reason_json(const ClientStats& c) {
  return reasons_json(c.rejected, c.timed_out, c.failed_by);
}

nlohmann::ordered_json failed_by_reason_json(const std::deque<ClientStats>& clients) {
  uint64_t rej = 0, to = 0, by[static_cast<size_t>(FailReason::Count)] = {};
  for (const auto& c : clients) {
    rej += c.rejected;
    to += c.timed_out;
    for (size_t i = 0; i < static_cast<size_t>(FailReason::Count); ++i) by[i] += c.failed_by[i];
  }
  return reasons_json(rej, to, by);
}

nlohmann::ordered_json calls_to_json(const ComponentStats& s) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [callee, e] : s.edges) {
    nlohmann::ordered_json j;
    j["calls"] = e.calls;
    j["attempts"] = e.attempts;
    j["attempts_per_call"] = e.calls ? d6(static_cast<double>(e.attempts) / static_cast<double>(e.calls)) : 0.0;
    j["retries"] = e.retries;
    j["retries_suppressed"] = e.retries_suppressed;
    if (e.failovers) j["failovers"] = e.failovers;
    nlohmann::ordered_json f;
    for (size_t i = 0; i < static_cast<size_t>(FailReason::Count); ++i) f[to_string(static_cast<FailReason>(i))] = e.failed[i];
    j["failed"] = f;
    j["fallback_open"] = e.fallback_open;
    j["stale_served"] = e.stale_served;
    nlohmann::ordered_json tr = nlohmann::ordered_json::array();
    for (const auto& x : e.transitions) tr.push_back({{"t_s", d6(x.t)}, {"replica", x.replica}, {"state", x.state}});
    j["circuit_breaker"] = {{"transitions", e.transitions_total}, {"log", tr}};
    out[callee] = j;
  }
  return out;
}

std::string resilience_lines(const ComponentStats& s) {
  std::string out;
  for (const auto& [callee, e] : s.edges) {
    uint64_t failed = 0;
    for (uint64_t n : e.failed) failed += n;
    out += fmt::format("{:<14} -> {}: {} calls, {:.2f} attempts per call, {} retries, {} suppressed by the budget, {} failed",
                       "", callee, e.calls, e.calls ? static_cast<double>(e.attempts) / static_cast<double>(e.calls) : 0.0,
                       e.retries, e.retries_suppressed, failed);
    if (failed) {
      std::string parts;
      for (size_t i = 0; i < static_cast<size_t>(FailReason::Count); ++i)
        if (e.failed[i]) parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", to_string(static_cast<FailReason>(i)), e.failed[i]);
      out += " (" + parts + ")";
    }
    if (e.failovers) out += fmt::format(", {} retries failed over to another region", e.failovers);
    if (e.fallback_open) out += fmt::format(", {} failed open", e.fallback_open);
    if (e.stale_served) out += fmt::format(", {} served stale", e.stale_served);
    if (e.transitions_total) out += fmt::format(", circuit breaker changed state {} times", e.transitions_total);
    out += "\n";
  }
  if (s.tracks_writes && s.writes_applied + s.idempotent_replays > 0)
    out += fmt::format("{:<14} writes of retried calls: {} applied, {} of them again, {} retries answered by idempotency key\n",
                       "", s.writes_applied, s.duplicate_applies, s.idempotent_replays);
  return out;
}

}  // namespace archsim
