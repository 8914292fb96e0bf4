// What a run says: the summary JSON, the terminal table, the CSV files and the bottleneck
// verdict. Plot scripts read these by column name; the names below are the documented interface
// (docs/outputs.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sim/scenario/scenario.hpp"

namespace archsim {

struct Verdict {
  std::string component;  // "" when none
  std::string resource;   // cpu | io | network | contention | none
  std::string evidence;
  int64_t shard = -1;     // a sharded component's hot shard when it is the bottleneck, else -1
};

Verdict bottleneck(const RunResult& r);

// Whether the measured window was steady (sim/report/steady_state.cpp, docs/outputs.md): the
// clients' requests in flight, followed over kTrendBins slices of the window, must not grow, and no
// start-up transient (a replicated store's first election) may reach into it. Requests still in
// flight at the end enter the percentiles at their age so far (`with_in_flight`: lower bounds).
struct SteadyState {
  bool steady = true;
  struct Reason {
    std::string kind;    // backlog_growing | store_without_leader | cache_filling | retry_transient
    std::string why;     // what was measured
    std::string change;  // what to change
  };
  std::vector<Reason> reasons;
  double offered_rps = 0, served_rps = 0;  // measured requests generated / ended, per second of the window
  double completed_rps = 0;                // of those ended, the successful ones
  double backlog_growth_rps = 0;           // slope of the requests in flight over the window
  double backlog_at_start = 0, backlog_at_end = 0;  // that line at the window's start and end
  std::string growing_queue;               // the component whose queue grew fastest, if one grew
  double queue_growth_rps = 0;
  uint64_t in_flight_at_end = 0;
  LatencyHistogram in_flight_age, completed, with_in_flight;
  bool percentiles_are_lower_bounds = false;  // counting the in-flight requests moves the p99 by > 1%
};
SteadyState steady_state(const RunResult& r);
nlohmann::ordered_json steady_state_json(const SteadyState& s);
std::string steady_state_terminal(const SteadyState& s);
std::string in_flight_terminal(const SteadyState& s);  // "" when nothing was in flight at the end
nlohmann::ordered_json summary_json(const RunResult& r);
struct RunReport;
// The run's report in sections (sim/report/document.hpp): what the terminal prints and report.html shows.
RunReport run_report(const RunResult& r);
std::string terminal_summary(const RunResult& r);
// Writes summary.json, report.json, components.csv, latency_histogram.csv, timeseries.csv,
// type_timeseries.csv and topology.dot
// into `dir` (created if needed), with a copy of the topology file (topology.yaml; merged with the
// files it extends, when it extends any) and the `--set`
// overrides of the run (overrides.txt, one per line) so the folder says what was simulated. Each
// file is written under a temporary name and renamed, so an interrupted run leaves no
// complete-looking partial file.
void write_outputs(const RunResult& r, const std::string& dir, const std::vector<std::string>& overrides = {});

}  // namespace archsim

namespace archsim {

// Which hop made the tail (sim/support/critical_path.hpp): per component and cause, the share of the
// end-to-end time of the requests above the p99, and of all requests.
struct CriticalPathRow {
  std::string component;
  std::string cause;
  double share_above_p99 = 0, share_all = 0;      // of the summed end-to-end latency
  double mean_ms_above_p99 = 0, mean_ms_all = 0;  // per request of the group
};
struct CriticalPathSummary {
  uint64_t requests = 0, requests_above_p99 = 0;
  double p99_ms = 0;                  // lower latency bound of the group "above the p99"
  std::vector<CriticalPathRow> rows;  // components in file order, causes in a fixed order; empty rows left out
  std::vector<CriticalPathRow> by_cause;  // the same summed over components
  std::string verdict;                // "requests above p99 spent 71% of their time waiting for ..."
};
CriticalPathSummary critical_path(const RunResult& r);
nlohmann::ordered_json critical_path_json(const CriticalPathSummary& s);
void write_critical_path_csv(const CriticalPathSummary& s, std::ostream& out);

}  // namespace archsim

namespace archsim {

// Feeds (models/feed/feed.hpp): write amplification, delivery lag and backlog, read latency and calls
// per read, timeline cache memory. Keys documented in docs/outputs.md.
nlohmann::ordered_json feeds_json(const RunResult& r);
std::string feeds_terminal(const RunResult& r);

// Replicated stores (models/replicated_store/replicated_store.hpp): availability per region, stale reads, lost
// acknowledged writes, divergence and convergence, normal-operation latency. docs/outputs.md.
nlohmann::ordered_json stores_json(const RunResult& r);
struct RunReport;
void add_stores(RunReport& doc, const RunResult& r);  // a section per replicated store
// store_timeseries.csv: per second, store and region: operations attempted and successful, and
// the mean number of diverged keys.
void write_store_timeseries(const RunResult& r, std::ostream& out);

}  // namespace archsim

namespace archsim {

// How the network was simulated (`--network`) and, in `auto`, which links SimGrid's flow model
// carried and why. Written only when the mode is not `flow`. docs/outputs.md.
nlohmann::ordered_json network_json(const NetworkReport& n);
std::string network_terminal(const NetworkReport& n);

}  // namespace archsim
