// archsim: replay a workload through a distributed-system design and see where it breaks.
//
//   archsim run FILE [--set path=value]... [--seed N] [--json] [--out DIR]
//   archsim validate FILE
//   archsim latency-table
//   archsim graph FILE
//
// Exit codes: 0 success, 2 bad input (one message on stderr, nothing else written), 1 internal error.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "sim/loader.hpp"
#include "sim/report.hpp"
#include "sim/scenario.hpp"
#include "sim/units.hpp"
#include "sim/validate.hpp"

using namespace archsim;

namespace {

constexpr int kBadInput = 2;
constexpr int kInternal = 1;

Topology load_checked(const std::string& file, const std::vector<std::string>& sets, bool print_warnings) {
  Topology t = load_topology(file, sets);
  auto warnings = validate_topology(t);
  if (print_warnings)
    for (const auto& w : warnings) std::cerr << w << "\n";
  return t;
}

// Beyond these a run is refused unless --force: hours of wall time or more memory than the machine.
constexpr double kMaxRequests = 2e8;
constexpr double kMaxMemoryBytes = 16e9;

void check_cost(const Topology& t, const std::string& file) {
  CostEstimate e = estimate_cost(t);
  if (e.requests > kMaxRequests)
    throw ConfigError(fmt::format(
        "{}: error: this run would simulate about {:.3g} requests (about {:.0f} minutes of wall time); shorten "
        "run.duration or lower the rate, or pass --force to run it anyway",
        file, e.requests, e.wall_seconds / 60));
  if (e.memory_bytes > kMaxMemoryBytes)
    throw ConfigError(fmt::format(
        "{}: error: this run would need about {:.1f} GB of memory ({} hosts); shrink the topology, or pass --force "
        "to run it anyway",
        file, e.memory_bytes / 1e9, e.hosts));
}

int cmd_run(const std::string& file, const std::vector<std::string>& sets, std::optional<uint64_t> seed, bool json,
            const std::string& out_dir, const std::string& engine, bool force) {
  std::vector<std::string> all = sets;
  if (seed) all.push_back(fmt::format("run.seed={}", *seed));
  Topology t = load_checked(file, all, true);
  if (!force) check_cost(t, file);
  RunOptions options;
  options.progress = !json && isatty(STDERR_FILENO);
  options.engine = engine == "local" ? EngineKind::Local : EngineKind::SimGrid;
  RunResult r = run_scenario(t, options);
  if (!out_dir.empty()) write_outputs(r, out_dir);
  if (json) std::cout << summary_json(r).dump(2) << "\n";
  else std::cout << terminal_summary(r);
  std::cout.flush();
  return 0;
}

int cmd_validate(const std::string& file, const std::vector<std::string>& sets) {
  Topology t = load_checked(file, sets, true);
  size_t hosts = 0;
  for (const auto& c : t.components) hosts += static_cast<size_t>(c.replicas);
  std::cout << fmt::format("{}: ok ({} components, {} hosts, {} regions)\n", file, t.components.size(), hosts,
                           t.regions.size());
  return 0;
}

int cmd_latency_table() {
  LatencyTable table;
  std::cout << fmt::format("{:<22} {:>10}  {}\n", "name", "latency", "what");
  for (const auto& e : table.entries())
    std::cout << fmt::format("{:<22} {:>10}  {}\n", e.name, format_duration(e.seconds), e.description);
  std::cout << "\nNetwork entries are round trips: a link's one-way latency is half its rtt.\n";
  return 0;
}

int cmd_graph(const std::string& file, const std::vector<std::string>& sets) {
  Topology t = load_checked(file, sets, false);
  std::ostringstream ss;
  write_dot(t, ss);
  std::cout << ss.str();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"archsim: simulate a distributed-system design and see where it breaks"};
  app.require_subcommand(1);
  std::string file, out_dir;
  std::vector<std::string> sets;
  std::optional<uint64_t> seed;
  bool json = false;

  auto* run = app.add_subcommand("run", "run a topology and print its summary");
  run->add_option("file", file, "topology YAML file")->required();
  run->add_option("--set", sets, "override a value: --set components.app.replicas=16")->take_all();
  run->add_option("--seed", seed, "random seed (overrides run.seed)");
  run->add_flag("--json", json, "print the summary as one JSON object on stdout");
  run->add_option("--out", out_dir, "write summary.json and CSV files into this directory");
  std::string engine = "simgrid";
  run->add_option("--engine", engine,
                  "simgrid (default: every hop a SimGrid transfer) or local (an in-process event loop without link "
                  "contention, for comparison)")
      ->check(CLI::IsMember({"simgrid", "local"}));
  bool force = false;
  run->add_flag("--force", force, "run even when the estimated time or memory is absurd");

  auto* validate = app.add_subcommand("validate", "check a topology without running it");
  validate->add_option("file", file, "topology YAML file")->required();
  validate->add_option("--set", sets, "override a value")->take_all();

  auto* table = app.add_subcommand("latency-table", "print the built-in latency table");
  auto* graph = app.add_subcommand("graph", "print the design as a Graphviz DOT graph");
  graph->add_option("file", file, "topology YAML file")->required();
  graph->add_option("--set", sets, "override a value")->take_all();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kBadInput;
  }

  try {
    if (*run) return cmd_run(file, sets, seed, json, out_dir, engine, force);
    if (*validate) return cmd_validate(file, sets);
    if (*table) return cmd_latency_table();
    if (*graph) return cmd_graph(file, sets);
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "archsim: internal error: " << e.what() << "\n";
    return kInternal;
  }
  return kInternal;
}
