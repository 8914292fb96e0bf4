// The critical-path part of a run's report: critical_path.csv, its summary.json section and the
// one-line verdict ("requests above p99 spent 71% of their time waiting for a connection at ...").
#include <fmt/format.h>
#include "models/common/kind.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <string_view>
#include <vector>

#include "sim/support/critical_path.hpp"
#include "sim/report/json_number.hpp"
#include "sim/report/report.hpp"

namespace archsim {

namespace {


// What a component's wait on its calls beyond the answer it used can be made of, from what it
// has: hedged or tied calls, retries (failed attempts and their backoff), fan-out answers it did not
// wait for, a database's synchronous replication.
std::string downstream_sources(const Component& comp) {
  bool hedge = false, retries = comp.call_policy.retries(), fanout = false;
  for (const auto& [type, specs] : comp.calls)
    for (const auto& s : specs) {
      hedge = hedge || s.hedge_after > 0 || s.hedge_quantile > 0 || s.tied;
      retries = retries || s.policy.retries();
      fanout = fanout || s.shape != CallSpec::Shape::Single;
    }
  std::vector<std::string> parts;
  if (hedge) parts.push_back("hedge delays");
  if (retries) parts.push_back("failed attempts and their backoff");
  if (fanout) parts.push_back("parallel calls");
  if (comp.db.replication == ReplicationMode::Sync && std::string_view(comp.kind->name()) == "database")
    parts.push_back("its replicas' acknowledgements");
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i == 0 ? ": " : i + 1 == parts.size() ? " or " : ", ") + parts[i];
  return out;
}

// `pool`: what bounds the component's concurrent requests, plural ("workers", "connections").
std::string phrase(uint8_t c, const std::string& where, const Component& comp) {
  const std::string& pool = comp.kind->traits().pool;
  switch (c) {
    case cause::kNetwork: return "on the network to and from " + where;
    case cause::kQueue: return "waiting for a " + pool.substr(0, pool.size() - 1) + " at " + where;
    case cause::kCpu: return "on CPU at " + where;
    case cause::kIo: return "on disk I/O at " + where;
    case cause::kDelay: return "in the fixed delay of " + where;
    case cause::kDownstream:
      return "at " + where + " waiting on its calls beyond the time of the answer it used" + downstream_sources(comp);
    case cause::kReplication:
      return "in the replication protocol of " + where;
  }
  return "at " + where;
}

}  // namespace

CriticalPathSummary critical_path(const RunResult& r) {
  CriticalPathSummary s;
  CriticalPathStats all;
  for (const auto& c : r.clients) all.merge(c.critical);
  double threshold = 0;
  CriticalPathStats::Totals top = all.above(0.99, &threshold);
  CriticalPathStats::Totals every = all.above(0);
  s.requests = every.requests;
  s.requests_above_p99 = top.requests;
  s.p99_ms = threshold * 1e3;
  if (every.requests == 0) return s;

  // (component index, cause) → seconds, components in file order.
  std::map<std::string, size_t> order;
  const Topology& t = *r.topology;
  for (size_t i = 0; i < t.components.size(); ++i) order[t.components[i].name] = i;
  auto fold = [&](const CriticalPathStats::Totals& tot) {
    std::map<std::pair<size_t, uint8_t>, double> m;
    for (const auto& [key, sec] : tot.seconds) m[{order.at(r.node_names.at(key.first).first), key.second}] += sec;
    return m;
  };
  auto m_top = fold(top), m_all = fold(every);
  std::map<std::pair<size_t, uint8_t>, bool> keys;
  for (const auto& [k, v] : m_top) keys[k] = true;
  for (const auto& [k, v] : m_all) keys[k] = true;
  double by_cause_top[cause::kCount] = {}, by_cause_all[cause::kCount] = {};
  double attributed_top = 0, attributed_all = 0;
  for (const auto& [k, unused] : keys) {
    CriticalPathRow row;
    row.component = t.components[k.first].name;
    row.cause = cause_name(k.second);
    double a = m_top.count(k) ? m_top.at(k) : 0, b = m_all.count(k) ? m_all.at(k) : 0;
    row.share_above_p99 = top.latency_sum > 0 ? a / top.latency_sum : 0;
    row.share_all = every.latency_sum > 0 ? b / every.latency_sum : 0;
    row.mean_ms_above_p99 = top.requests ? a / static_cast<double>(top.requests) * 1e3 : 0;
    row.mean_ms_all = b / static_cast<double>(every.requests) * 1e3;
    by_cause_top[k.second] += a;
    by_cause_all[k.second] += b;
    attributed_top += a;
    attributed_all += b;
    s.rows.push_back(row);
  }
  for (uint8_t c = 0; c < cause::kCount; ++c) {
    CriticalPathRow row;
    row.component = "*";
    row.cause = cause_name(c);
    row.share_above_p99 = top.latency_sum > 0 ? by_cause_top[c] / top.latency_sum : 0;
    row.share_all = by_cause_all[c] / every.latency_sum;
    row.mean_ms_above_p99 = top.requests ? by_cause_top[c] / static_cast<double>(top.requests) * 1e3 : 0;
    row.mean_ms_all = by_cause_all[c] / static_cast<double>(every.requests) * 1e3;
    s.by_cause.push_back(row);
  }
  // Whatever the pieces do not cover (they should cover everything; a gap is shown, not hidden).
  double gap_top = top.latency_sum - attributed_top, gap_all = every.latency_sum - attributed_all;
  if (std::fabs(gap_all) > 1e-6 * every.latency_sum || std::fabs(gap_top) > 1e-6 * top.latency_sum) {
    CriticalPathRow row;
    row.component = "*";
    row.cause = "unattributed";
    row.share_above_p99 = top.latency_sum > 0 ? gap_top / top.latency_sum : 0;
    row.share_all = gap_all / every.latency_sum;
    row.mean_ms_above_p99 = top.requests ? gap_top / static_cast<double>(top.requests) * 1e3 : 0;
    row.mean_ms_all = gap_all / static_cast<double>(every.requests) * 1e3;
    s.rows.push_back(row);
  }

  // The verdict: the largest (component, cause) above the p99, down to the replica when one
  // replica carries most of it.
  auto largest = [&](const CriticalPathStats::Totals& tot, const std::map<std::pair<size_t, uint8_t>, double>& m) {
    std::pair<size_t, uint8_t> best{0, 0};
    double best_s = -1;
    for (const auto& [k, v] : m)
      if (v > best_s) {
        best_s = v;
        best = k;
      }
    const Component& comp = t.components[best.first];
    std::string where = comp.name;
    if (comp.replicas > 1) {
      std::map<int, double> per_replica;
      for (const auto& [key, sec] : tot.seconds) {
        const auto& nn = r.node_names.at(key.first);
        if (key.second == best.second && nn.first == comp.name) per_replica[nn.second] += sec;
      }
      for (const auto& [rep, sec] : per_replica)
        if (sec > 0.5 * best_s)
          where = fmt::format("{} {} {}", comp.name, comp.kind->traits().part, rep);
    }
    double share = tot.latency_sum > 0 ? best_s / tot.latency_sum : 0;
    return fmt::format("{:.0f}% of their time {}", 100 * share, phrase(best.second, where, comp));
  };
  // The causes over all components, largest first (ties in the fixed cause order).
  std::vector<std::pair<double, uint8_t>> causes;
  for (uint8_t c = 0; c < cause::kCount; ++c)
    if (by_cause_all[c] > 0) causes.emplace_back(-by_cause_all[c], c);
  std::stable_sort(causes.begin(), causes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string by;
  for (size_t i = 0; i < causes.size() && i < 3; ++i)
    by += fmt::format("{}{} {:.0f}%", i ? ", " : "", cause_name(causes[i].second), -100 * causes[i].first / every.latency_sum);
  s.verdict = fmt::format("requests above p99 (>= {:.3g} ms) spent {} (all requests: {}; by cause: {})", s.p99_ms,
                          largest(top, m_top), largest(every, m_all), by);
  return s;
}

nlohmann::ordered_json critical_path_json(const CriticalPathSummary& s) {
  nlohmann::ordered_json j;
  j["requests"] = s.requests;
  j["requests_above_p99"] = s.requests_above_p99;
  j["p99_ms"] = r6(s.p99_ms);
  j["verdict"] = s.verdict;
  nlohmann::ordered_json bc = nlohmann::ordered_json::object();
  for (const auto& row : s.by_cause)
    bc[row.cause] = {{"share_above_p99", r6(row.share_above_p99)}, {"share_all", r6(row.share_all)},
                     {"mean_ms_above_p99", r6(row.mean_ms_above_p99)}, {"mean_ms_all", r6(row.mean_ms_all)}};
  j["by_cause"] = bc;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : s.rows)
    rows.push_back({{"component", row.component}, {"cause", row.cause}, {"share_above_p99", r6(row.share_above_p99)},
                    {"share_all", r6(row.share_all)}, {"mean_ms_above_p99", r6(row.mean_ms_above_p99)},
                    {"mean_ms_all", r6(row.mean_ms_all)}});
  j["rows"] = rows;
  return j;
}

void write_critical_path_csv(const CriticalPathSummary& s, std::ostream& out) {
  out << "component,cause,share_above_p99,share_all,mean_ms_above_p99,mean_ms_all\n";
  auto line = [&](const CriticalPathRow& row) {
    out << fmt::format("{},{},{:.6g},{:.6g},{:.6g},{:.6g}\n", row.component, row.cause, row.share_above_p99, row.share_all,
                       row.mean_ms_above_p99, row.mean_ms_all);
  };
  for (const auto& row : s.rows) line(row);
  for (const auto& row : s.by_cause) line(row);
}

}  // namespace archsim
