#include "sim/report/edge_report.hpp"

#include <fmt/format.h>

#include <cmath>

#include "sim/report/json_number.hpp"
namespace archsim {
namespace {
}  // namespace

nlohmann::ordered_json rate_limit_json(const ComponentStats& s) {
  const RateLimitStats& r = *s.rate_limit;
  nlohmann::ordered_json j;
  j["algorithm"] = r.algorithm;
  j["per"] = r.per;
  j["state"] = r.state;
  j["admitted"] = r.admitted;
  j["limited"] = r.limited;
  uint64_t decided = r.admitted + r.limited;
  j["limited_share"] = decided ? r6(static_cast<double>(r.limited) / static_cast<double>(decided)) : 0.0;
  j["largest_burst"] = {{"admitted", r.largest_burst},
                        {"window_s", r6(r.burst_window)},
                        {"nominal_limit", r6(r.nominal_limit)},
                        {"ratio", r.nominal_limit > 0 ? r6(static_cast<double>(r.largest_burst) / r.nominal_limit) : 0.0},
                        {"ended_at_s", r6(r.largest_burst_at)}};
  j["decision_ms"] = {{"mean", ms(r.decision.mean())}, {"p99", ms(r.decision.quantile(0.99))}};
  if (r.state == "central")
    j["store"] = {{"errors", r.store_errors}, {"failed_open", r.failed_open}, {"failed_closed", r.failed_closed}};
  return j;
}

nlohmann::ordered_json queue_json(const ComponentStats& s, double window_s) {
  const QueueStats& q = *s.queue;
  nlohmann::ordered_json j;
  j["partitions"] = q.partitions;
  j["consumers"] = q.consumers;
  j["ordering"] = q.ordered ? "partition" : "none";
  j["enqueued"] = q.enqueued;
  j["processed"] = q.processed;
  j["dead_lettered"] = q.dead_lettered;
  j["retries"] = q.retries;
  j["rejected_full"] = q.rejected_full;
  j["processed_per_s"] = r6(static_cast<double>(q.processed) / window_s);
  const LatencyHistogram& d = q.delay;
  j["delay_ms"] = {{"count", d.count()},           {"mean", ms(d.mean())},          {"p50", ms(d.quantile(0.5))},
                   {"p90", ms(d.quantile(0.9))},  {"p99", ms(d.quantile(0.99))},   {"p999", ms(d.quantile(0.999))},
                   {"max", ms(d.max())}};
  // The backlog is every accepted message not yet processed or dead-lettered: Kafka's consumer lag
  // summed over the partitions.
  nlohmann::ordered_json by_second = nlohmann::ordered_json::array();
  for (double v : q.lag.per_second()) by_second.push_back(r6(v));
  j["lag"] = {{"mean_messages", r6(q.lag.mean())},
              {"max_messages", r6(q.lag.max())},
              {"max_partition_messages", q.max_partition_lag},
              {"at_end_messages", q.backlog_at_end},
              {"oldest_at_end_s", r6(q.oldest_age_at_end)}};
  j["backlog_by_second"] = by_second;
  return j;
}

std::string edge_summary_lines(const ComponentStats& s, double window_s) {
  std::string out;
  if (s.rate_limit) {
    const RateLimitStats& r = *s.rate_limit;
    out += fmt::format("{:<14} {} per {} ({}): {} admitted, {} limited; largest burst {} in {:g} s (nominal {:g})\n", "",
                       r.algorithm, r.per, r.state, r.admitted, r.limited, r.largest_burst, r.burst_window,
                       r.nominal_limit);
    if (r.state == "central" && r.store_errors)
      out += fmt::format("{:<14} store failed {} times: {} failed open, {} failed closed\n", "", r.store_errors,
                         r.failed_open, r.failed_closed);
  }
  if (s.queue) {
    const QueueStats& q = *s.queue;
    out += fmt::format("{:<14} {} processed ({:.1f}/s), {} dead-lettered, {} retries; delay p50 {:.3f} ms p99 {:.3f} ms; "
                       "lag mean {:.1f} max {:.0f}, {} at the end\n",
                       "", q.processed, static_cast<double>(q.processed) / window_s, q.dead_lettered, q.retries,
                       q.delay.quantile(0.5) * 1e3, q.delay.quantile(0.99) * 1e3, q.lag.mean(), q.lag.max(),
                       q.backlog_at_end);
  }
  return out;
}

}  // namespace archsim
