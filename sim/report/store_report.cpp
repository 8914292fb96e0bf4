// The replicated-store part of a run's report (models/replicated_store/replicated_store.hpp, sim/support/consistency.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "sim/report/json_number.hpp"
#include "sim/report/report.hpp"
#include "sim/report/document.hpp"
#include "sim/support/units.hpp"

namespace archsim {

namespace {


double ratio(uint64_t a, uint64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 1.0; }

nlohmann::ordered_json latency_ms(const LatencyHistogram& h) {
  return {{"count", h.count()},
          {"min", r6(h.min() * 1e3)},
          {"p50", r6(h.quantile(0.5) * 1e3)},
          {"p99", r6(h.quantile(0.99) * 1e3)},
          {"max", r6(h.max() * 1e3)}};
}

}  // namespace

nlohmann::ordered_json stores_json(const RunResult& r) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& s : r.stores) {
    nlohmann::ordered_json j;
    j["consistency"] = s.consistency;
    j["replicas"] = s.regions;
    if (s.consistency == "ap")
      j["quorum"] = {{"n", s.n}, {"r", s.r}, {"w", s.w}, {"sloppy", s.sloppy},
                     {"conflict", s.siblings ? "siblings" : "lww"}};
    nlohmann::ordered_json avail = nlohmann::ordered_json::object();
    uint64_t reads = 0, reads_ok = 0, writes = 0, writes_ok = 0;
    for (size_t i = 0; i < s.region_names.size(); ++i) {
      const auto& side = s.by_region[i];
      avail[s.region_names[i]] = {{"reads", side.reads},
                                  {"reads_ok", side.reads_ok},
                                  {"read_availability", r6(ratio(side.reads_ok, side.reads))},
                                  {"writes", side.writes},
                                  {"writes_ok", side.writes_ok},
                                  {"write_availability", r6(ratio(side.writes_ok, side.writes))}};
      reads += side.reads;
      reads_ok += side.reads_ok;
      writes += side.writes;
      writes_ok += side.writes_ok;
    }
    j["availability"] = {{"read", r6(ratio(reads_ok, reads))}, {"write", r6(ratio(writes_ok, writes))}, {"by_region", avail}};
    j["stale_reads"] = s.stale_reads;
    j["reads_checked"] = s.reads_checked;
    j["stale_read_ratio"] = r6(s.reads_checked ? static_cast<double>(s.stale_reads) / static_cast<double>(s.reads_checked) : 0);
    j["staleness_ms"] = latency_ms(s.staleness);
    if (s.siblings) j["sibling_reads"] = s.sibling_reads;
    nlohmann::ordered_json vis = nlohmann::ordered_json::array();
    for (int b = 0; b < StoreStats::kVisibilityBins; ++b) {
      if (s.visibility_reads[b] == 0) continue;
      nlohmann::ordered_json row;
      row["from_ms"] = r6(StoreStats::kVisibilityEdges[b] * 1e3);
      if (b + 1 < StoreStats::kVisibilityBins) row["to_ms"] = r6(StoreStats::kVisibilityEdges[b + 1] * 1e3);
      else row["to_ms"] = nullptr;
      row["reads"] = s.visibility_reads[b];
      row["p_fresh"] = r6(ratio(s.visibility_fresh[b], s.visibility_reads[b]));
      vis.push_back(row);
    }
    j["t_visibility"] = vis;
    if (s.tracks_writes)
      j["writes_of_retried_calls"] = {{"applied", s.writes_applied},
                                      {"duplicate_applies", s.duplicate_applies},
                                      {"idempotent_replays", s.idempotent_replays}};
    j["writes_acknowledged"] = s.writes_acknowledged;
    j["lost_acknowledged_writes"] = s.lost_acknowledged_writes;
    j["divergence"] = {{"mean_keys", r6(s.diverged.mean())},
                       {"max_keys", r6(s.diverged.max())},
                       {"keys_at_end", s.diverged_at_end}};
    nlohmann::ordered_json heals = nlohmann::ordered_json::array();
    for (const auto& h : s.heals) {
      nlohmann::ordered_json row;
      row["heal_at_s"] = r6(h.at);
      row["diverged_keys"] = h.diverged;
      if (h.converged_at >= 0) row["convergence_time_s"] = r6(h.converged_at - h.at);
      else row["convergence_time_s"] = nullptr;
      heals.push_back(row);
    }
    j["convergence"] = heals;
    j["normal_operation_latency_ms"] = {{"read", latency_ms(s.read_latency)}, {"write", latency_ms(s.write_latency)}};
    if (s.log_sync > 0) {
      nlohmann::ordered_json per = nlohmann::ordered_json::array();
      double T = r.window();
      for (size_t i = 0; i < s.log_syncs.size(); ++i)
        per.push_back({{"replica", i},
                       {"region", s.regions.at(i)},
                       {"syncs_per_s", r6(static_cast<double>(s.log_syncs[i]) / T)},
                       {"bandwidth_utilization", r6(s.log_transfer_s[i] / T)}});
      j["log_disk"] = {{"sync_ms", r6(s.log_sync * 1e3)}, {"bandwidth_mb_per_s", r6(s.log_bandwidth / 8e6)},
                       {"by_replica", per}};
    }
    if (s.consistency == "cp") {
      nlohmann::ordered_json leaders = nlohmann::ordered_json::array();
      for (const auto& l : s.leaders)
        leaders.push_back({{"at_s", r6(l.at)},
                           {"replica", l.replica},
                           {"region", s.regions.at(static_cast<size_t>(l.replica))},
                           {"term", l.term}});
      j["protocol"] = {{"elections_won", s.elections}, {"forwarded", s.forwarded}, {"snapshots_sent", s.snapshots_sent},
                       {"leaders", leaders}};
    }
    else
      j["protocol"] = {{"sloppy_writes", s.sloppy_writes},   {"sloppy_reads", s.sloppy_reads},
                       {"hints_stored", s.hints_stored},     {"hints_delivered", s.hints_delivered},
                       {"hints_dropped", s.hints_dropped},   {"read_repairs", s.read_repairs},
                       {"anti_entropy_rounds", s.anti_entropy_rounds}, {"anti_entropy_keys", s.anti_entropy_keys}};
    out[s.name] = j;
  }
  return out;
}

void add_stores(RunReport& doc, const RunResult& r) {
  for (const auto& s : r.stores) {
    ReportSection& sec = doc.add("store:" + s.name, "Replicated store " + s.name);
    sec.text(fmt::format("\nstore {} ({}{}), replicas in {}\n", s.name, s.consistency,
                         s.consistency == "ap" ? fmt::format(", N={} R={} W={}{}{}", s.n, s.r, s.w,
                                                             s.sloppy ? " sloppy" : "", s.siblings ? ", siblings" : ", LWW")
                                               : "",
                         fmt::format("{}", fmt::join(s.regions, ", "))));
    ReportTable sides{{"region", "reads", "reads ok", "writes", "writes ok"}, "lrrrr", {}};
    std::string text;
    for (size_t i = 0; i < s.region_names.size(); ++i) {
      const auto& side = s.by_region[i];
      ReportTable::Row row{{s.region_names[i], fmt::format("{}", side.reads),
                            fmt::format("{:.2f}%", 100 * ratio(side.reads_ok, side.reads)), fmt::format("{}", side.writes),
                            fmt::format("{:.2f}%", 100 * ratio(side.writes_ok, side.writes))},
                           ""};
      text += fmt::format("  {:<12} reads {:>7} ok {:>7}   writes {:>7} ok {:>7}\n", row.cells[0], row.cells[1],
                          row.cells[2], row.cells[3], row.cells[4]);
      sides.rows.push_back(std::move(row));
    }
    sec.table(text, sides);
    std::string out;
    out += fmt::format("  stale reads {} of {} ({:.2f}%), staleness p99 {:.1f} ms; lost acknowledged writes {} of {}\n",
                       s.stale_reads, s.reads_checked,
                       s.reads_checked ? 100.0 * static_cast<double>(s.stale_reads) / static_cast<double>(s.reads_checked) : 0.0,
                       s.staleness.quantile(0.99) * 1e3, s.lost_acknowledged_writes, s.writes_acknowledged);
    if (s.tracks_writes)
      out += fmt::format("  writes of retried calls: {} applied, {} of them again, {} retries answered by idempotency key\n",
                         s.writes_applied, s.duplicate_applies, s.idempotent_replays);
    out += fmt::format("  normal operation: read p50 {:.2f} ms p99 {:.2f} ms, write p50 {:.2f} ms p99 {:.2f} ms\n",
                       s.read_latency.quantile(0.5) * 1e3, s.read_latency.quantile(0.99) * 1e3,
                       s.write_latency.quantile(0.5) * 1e3, s.write_latency.quantile(0.99) * 1e3);
    if (s.consistency == "cp") {
      out += "  leaders:";
      if (s.leaders.empty()) out += " none elected";
      constexpr size_t kShown = 8;
      for (size_t i = 0; i < s.leaders.size() && i < kShown; ++i) {
        const auto& l = s.leaders[i];
        out += fmt::format("{} replica {} ({}) from {:g} s (term {}{})", i ? ";" : "", l.replica,
                           s.regions.at(static_cast<size_t>(l.replica)), l.at, l.term,
                           l.at == 0 && l.term == 1 ? ", at the start" : ", elected");
      }
      if (s.leaders.size() > kShown) out += fmt::format("; and {} more elections", s.leaders.size() - kShown);
      out += "\n";
    }
    if (s.log_sync > 0) {
      out += fmt::format("  log disks ({:g} ms sync, {:g} MB/s):", s.log_sync * 1e3, s.log_bandwidth / 8e6);
      for (size_t i = 0; i < s.log_syncs.size(); ++i)
        out += fmt::format("{} replica {} ({}) {:.0f} syncs/s, writing {:.1f}% of the time", i ? ";" : "", i, s.regions.at(i),
                           static_cast<double>(s.log_syncs[i]) / r.window(), 100 * s.log_transfer_s[i] / r.window());
      out += "\n";
    }
    out += fmt::format("  diverged keys: max {:.0f}, {} at the end", s.diverged.max(), s.diverged_at_end);
    for (const auto& h : s.heals) {
      if (h.converged_at >= 0) out += fmt::format("; healed at {:g} s, converged {:.3f} s later", h.at, h.converged_at - h.at);
      else out += fmt::format("; healed at {:g} s, not converged by the end", h.at);
    }
    out += "\n";
    sec.text(out);
  }
}

void write_store_timeseries(const RunResult& r, std::ostream& out) {
  out << "t_s,store,region,attempted,ok,availability,diverged_keys\n";
  size_t seconds = static_cast<size_t>(std::ceil(r.window_end - 1e-9));
  for (size_t sec = 0; sec < seconds; ++sec)
    for (const auto& s : r.stores) {
      const auto& per = s.diverged.per_second();
      double diverged = sec < per.size() ? per[sec] : 0.0;
      for (size_t i = 0; i < s.region_names.size(); ++i) {
        const auto& series = s.series[i];
        StoreStats::SecondAvail a = sec < series.size() ? series[sec] : StoreStats::SecondAvail{};
        out << fmt::format("{},{},{},{},{},{:.6g},{:.6g}\n", sec, s.name, s.region_names[i], a.attempted, a.ok,
                           a.attempted ? static_cast<double>(a.ok) / a.attempted : 1.0, diverged);
      }
    }
}

}  // namespace archsim
