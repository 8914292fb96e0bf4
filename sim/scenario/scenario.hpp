// Wiring and running: a Topology becomes an engine with one node per component replica, runs for
// the configured time, and leaves its statistics in a RunResult. The end-of-run invariants are
// checked here (every request accounted for exactly once); a broken one is an internal error that
// names the reason.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "sim/support/consistency.hpp"
#include "sim/engine/network.hpp"
#include "sim/support/metrics.hpp"
#include "sim/topology/topology.hpp"

namespace archsim {

struct ComponentResult {
  const Component* spec = nullptr;
  ComponentStats stats;
  double network_util = 0;  // the busiest NIC direction of its replicas over the window
};

// What one fault of the topology did (summary `faults`, docs/outputs.md).
struct FaultOutcome {
  const Fault* spec = nullptr;
  double start = 0;
  double end = -1;       // seconds; -1 = the end of the run
  const char* effect = "";  // what `count` counts: "requests_refused", "messages_lost", ...
  uint64_t count = 0;    // filled in by the engine or the node while the fault holds
  std::vector<std::string> links;  // link faults: the region links it acts on
};

struct RunResult {
  const Topology* topology = nullptr;
  double window_start = 0, window_end = 0;
  std::vector<std::string> type_names;  // global request type index → name
  std::deque<ClientStats> clients;
  std::deque<ComponentResult> components;  // every non-client, non-feed component, in file order
  std::deque<FeedStats> feeds;             // every feed, in file order
  std::deque<StoreStats> stores;           // every replicated store, in file order
  std::vector<LinkUsage> region_links;
  NetworkReport network;  // how the engine simulated the network, and which links SimGrid carried
  std::deque<FaultOutcome> faults;  // in time order (start, then file order); stable addresses
  uint64_t events = 0;
  double wall_seconds = 0;
  // Node id → (component, replica index): names the pieces of the critical path.
  std::vector<std::pair<std::string, int>> node_names;

  double window() const { return window_end - window_start; }
};


struct RunOptions {
  NetworkMode network = NetworkMode::Auto;  // `--network` (sim/engine/network.hpp)
  // The wall-time guard (Engine::set_wall_limit): a run projected past this many seconds of wall
  // time stops with RunStopped; 0 = none.
  double max_wall_seconds = 0;
  bool progress = false;  // a progress line on stderr (only shown on a terminal)
  // When set: every client operation on a replicated store, as a history (sim/support/history.hpp).
  // The second and later stores of a file have their keys offset by index x 2^40 (processes by
  // index x 2^32).
  std::string history_path;
  // The analytic view's NIC utilization by component (predicted_nic_utilization in
  // sim/analysis/estimate.hpp), handed to the engine (NetworkPlan::predicted_nic).
  std::vector<std::pair<std::string, double>> predicted_nic;
};

// A run the wall-time guard stopped: what() says at what pace and why.
struct RunStopped : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The wall time beyond which a run is refused up front (sim/analysis/cost.hpp) and stopped once under way
// (RunOptions::max_wall_seconds), unless `run --force`.
constexpr double kMaxWallSeconds = 3600;

// REQUIRES: validate_topology(t) passed. Throws std::runtime_error when an invariant breaks,
// RunStopped when the wall-time guard stopped it.
RunResult run_scenario(const Topology& t, const RunOptions& options);


// The network plan of a topology (regions, region links, shortest routes).
NetworkPlan network_plan(const Topology& t);

}  // namespace archsim
