// archsim: replay a workload through a distributed-system design and see where it breaks.
//
//   archsim run FILE [--set path=value]... [--seed N] [--json] [--out DIR]
//   archsim validate FILE
//   archsim latency-table
//   archsim graph FILE [--svg OUT.svg]
//   archsim estimate --dau N --reads-per-user N ... | estimate FILE   back-of-envelope, no simulation
//   archsim experiment FILE [--executor local|slurm]  many runs of a topology (docs/experiments.md)
//   archsim plot DIR                                   figures of a run or experiment folder
//   archsim report DIR [--topology FILE] [--set ...]  DIR/report.html
//   archsim reshard FILE --component db --to N [--value-size 1KB] [--json]   keys moved per sharding strategy
//   archsim check FILE [--time-limit 10s] [--json]      is an operation history linearizable?
//
// Exit codes: 0 success, 2 bad input (one message on stderr, nothing else written), 1 internal error.
// `check` adds its verdicts: 0 linearizable, 3 unknown (time limit hit), 4 not linearizable.
#include <CLI/CLI.hpp>
#include "models/common/kind.hpp"
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "sim/experiment/capacity.hpp"
#include "sim/experiment/experiment.hpp"
#include "sim/experiment/failures.hpp"
#include "sim/experiment/review.hpp"
#include "sim/experiment/slurm.hpp"
#include "sim/analysis/cost.hpp"
#include "sim/analysis/estimate.hpp"
#include "sim/support/history.hpp"
#include "sim/analysis/linearizability.hpp"
#include "sim/config/loader.hpp"
#include "sim/report/schema.hpp"
#include "sim/report/output_dir.hpp"
#include "sim/report/plot_report.hpp"
#include "sim/report/design_graph.hpp"
#include "sim/report/report.hpp"
#include "sim/analysis/reshard.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/support/units.hpp"
#include "sim/config/validate.hpp"

using namespace archsim;

namespace {

constexpr int kBadInput = 2;
constexpr int kInternal = 1;
// `check` verdicts other than 0: 1 stays an internal error everywhere, so a crash never reads as a
// violation.
constexpr int kUnknown = 3;
constexpr int kNotLinearizable = 4;

Topology load_checked(const std::string& file, const std::vector<std::string>& sets, bool print_warnings) {
  Topology t = load_topology(file, sets);
  auto warnings = validate_topology(t);
  if (print_warnings)
    for (const auto& w : warnings) std::cerr << w << "\n";
  return t;
}

// Beyond these a run is refused unless --force: an hour of wall time (kMaxWallSeconds) or more
// memory than the machine.
constexpr double kMaxMemoryBytes = 16e9;

std::string wall_text(double seconds) {
  return seconds < 120 ? fmt::format("{:.0f} s", seconds) : fmt::format("{:.0f} minutes", seconds / 60);
}

void check_cost(const Topology& t, const std::string& file, double max_wall, NetworkMode mode) {
  CostEstimate e = estimate_cost(t, mode);
  if (e.wall_seconds > max_wall)
    throw ConfigError(fmt::format(
        "{}: error: this run would process about {:.3g} events (about {} of wall time, over the limit of {}): {}; "
        "shorten run.duration or lower what produces them, or pass --force to run it anyway",
        file, e.events, wall_text(e.wall_seconds), wall_text(max_wall), e.largest()));
  if (e.memory_bytes > kMaxMemoryBytes)
    throw ConfigError(fmt::format(
        "{}: error: this run would need about {:.1f} GB of memory ({} hosts); shrink the topology, or pass --force "
        "to run it anyway",
        file, e.memory_bytes / 1e9, e.hosts));
}

struct HistoryOptions {
  std::string path;  // --history FILE
  bool check = false;  // --check
};

int cmd_run(const std::string& file, const std::vector<std::string>& sets, std::optional<uint64_t> seed, bool json,
            const std::string& out_dir, const std::string& engine, bool force, double max_wall, bool analytic,
            const HistoryOptions& hist) {
  std::vector<std::string> all = sets;
  if (seed) all.push_back(fmt::format("run.seed={}", *seed));
  Topology t = load_checked(file, all, true);
  RunOptions options;
  options.progress = !json && isatty(STDERR_FILENO);
  options.network = engine == "local" || engine == "latency" ? NetworkMode::Latency
                    : engine == "auto"                        ? NetworkMode::Auto
                    : engine == "simgrid"                     ? NetworkMode::Actors
                                                              : NetworkMode::Flow;
  if (!force) {
    check_cost(t, file, max_wall, options.network);
    options.max_wall_seconds = max_wall;
  }
  if (options.network == NetworkMode::Auto) options.predicted_nic = predicted_nic_utilization(t);
  // The folders are checked, then made, before the run: one that cannot be made costs no
  // simulation and leaves nothing behind.
  if (!out_dir.empty()) check_output_dir(out_dir, "run --out");
  if (!hist.path.empty() || hist.check) {
    bool has_store = false;
    for (const auto& c : t.components) has_store |= c.kind->traits().keeps_history;
    if (!has_store)
      throw ConfigError(fmt::format("{}: error: --history and --check record the operations of a replicated_store, and "
                                    "this topology has none",
                                    file));
    // --check without --history: the history goes beside the other outputs, or to a temporary file.
    options.history_path = !hist.path.empty() ? hist.path
                           : !out_dir.empty() ? out_dir + "/history.jsonl"
                                              : fmt::format("/tmp/archsim-history-{}.jsonl", getpid());
    make_parent_dir(options.history_path, "run --history");
    if (!std::ofstream(options.history_path))
      throw ConfigError(fmt::format("{}: error: cannot write the history to {}: give a path in a folder that exists "
                                    "and can be written",
                                    file, options.history_path));
  }
  bool out_existed = !out_dir.empty() && std::filesystem::exists(out_dir);
  if (!out_dir.empty()) make_output_dir(out_dir, "run --out");
  RunResult r;
  try {
    r = run_scenario(t, options);
  } catch (const RunStopped& e) {
    std::error_code ec;
    if (!out_dir.empty() && !out_existed) std::filesystem::remove(out_dir, ec);  // made for this run, still empty
    throw ConfigError(fmt::format("{}: error: this run was stopped: {}; shorten run.duration or lower the load, or pass "
                                  "--force to run it to the end",
                                  file, e.what()));
  }
  std::optional<CheckReport> check;
  if (hist.check) {
    check = check_history_file(options.history_path, CheckOptions{});
    if (hist.path.empty() && out_dir.empty()) std::remove(options.history_path.c_str());
  }
  if (json) {
    nlohmann::ordered_json j = summary_json(r);
    if (analytic) add_analytic_comparison(j, t);
    if (check) j["history_check"] = check_json(*check);
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << terminal_summary(r);
    if (analytic) std::cout << "\n" << analytic_text(analyze_topology(t));
    if (check) std::cout << "\nhistory check: " << check_text(*check);
  }
  std::cout.flush();
  // After the summary: what the run found reaches the user even if writing the files fails.
  if (!out_dir.empty()) write_outputs(r, out_dir, all);
  if (!check || check->verdict == CheckVerdict::Linearizable) return 0;
  return check->verdict == CheckVerdict::Unknown ? kUnknown : kNotLinearizable;
}

int cmd_validate(const std::string& file, const std::vector<std::string>& sets) {
  Topology t = load_checked(file, sets, true);
  size_t hosts = 0;
  for (const auto& c : t.components) hosts += static_cast<size_t>(c.replicas);
  std::cout << fmt::format("{}: ok ({} components, {} hosts, {} region{})\n", file, t.components.size(), hosts,
                           t.regions.size(), t.regions.size() == 1 ? "" : "s");
  CostEstimate e = estimate_cost(t);
  std::cout << fmt::format("cost: about {:.3g} events, {:.3g} s of wall time, {:.0f} MB of memory (at most; {})\n",
                           e.events, e.wall_seconds, e.memory_bytes / 1e6, e.largest());
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

int cmd_graph(const std::string& file, const std::vector<std::string>& sets, const std::string& svg) {
  Topology t = load_checked(file, sets, false);
  std::ostringstream ss;
  write_design_dot(t, nullptr, ss);
  if (svg.empty()) {
    std::cout << ss.str();
    return 0;
  }
  try {
    draw_svg(ss.str(), svg);
  } catch (const std::runtime_error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  std::cout << svg << "\n";
  return 0;
}

// plot / report: the Python scripts in plots/ draw the figures and write report.html; see docs/plots.md.
// A folder that is not there is the scripts' to refuse (it names what to give instead); one that is
// there must take the figures and the page: checked first, so that a refusal writes nothing.
void make_figure_dirs(const std::string& dir, const std::string& command) {
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  check_output_dir(dir + "/figures", command);
}

int cmd_plot(const std::string& dir) {
  make_figure_dirs(dir, "plot");
  return run_plot_script("plot.py", {dir});
}

int cmd_report(const std::string& dir, const std::string& topology, const std::vector<std::string>& sets) {
  make_figure_dirs(dir, "report");
  std::string topo = topology;
  std::vector<std::string> overrides = sets;
  if (topo.empty() && ::access((dir + "/topology.yaml").c_str(), R_OK) == 0) {
    // A run folder carries its topology and the overrides it ran with.
    topo = dir + "/topology.yaml";
    std::ifstream in(dir + "/overrides.txt");
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) overrides.push_back(line);
  }
  std::vector<std::string> args{dir};
  std::string tmp;
  if (!topo.empty()) {
    Topology t = load_checked(topo, overrides, false);
    // A run folder's summary names the topology it ran: another file's assumptions would describe
    // a design the figures do not show.
    std::ifstream summary(dir + "/summary.json");
    if (!topology.empty() && summary) {
      nlohmann::json j = nlohmann::json::parse(summary, nullptr, false);
      if (j.is_object() && j.contains("topology") && j["topology"].is_string() && j["topology"] != t.name)
        throw ConfigError(fmt::format("report {} --topology {}: error: {} is a run of '{}', and {} describes '{}'; give "
                                      "the file the run used (its copy is {}/topology.yaml when the run wrote one)",
                                      dir, topology, dir, j["topology"].get<std::string>(), topology, t.name, dir));
    }
    nlohmann::json a = assumptions_json(t);
    char tpl[] = "/tmp/archsim-assumptions-XXXXXX";
    int fd = ::mkstemp(tpl);
    if (fd < 0) throw std::runtime_error("cannot create a temporary file");
    tmp = tpl;
    std::string text = a.dump(2);
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot write " + tmp);
    args.insert(args.end(), {"--assumptions", tmp});
  }
  int code = run_plot_script("report.py", args);
  if (!tmp.empty()) ::unlink(tmp.c_str());
  return code;
}

// estimate: the seed's back-of-envelope calculator, or the analytic view of a topology (sim/analysis/estimate.hpp).
struct EstimateArgs {
  std::string dau, reads = "0", writes = "0", payload = "0B", peak = "3", retention = "1y", replication = "1",
                   media_fraction = "0", media_size = "0B", viral_views = "0", viral_window = "1h", units = "decimal";
};

int cmd_estimate(const std::string& file, const std::vector<std::string>& sets, const EstimateArgs& a, bool json) {
  if (!file.empty()) {
    AnalyticModel m = analyze_topology(load_checked(file, sets, true));
    std::cout << (json ? analytic_json(m).dump(2) + "\n" : analytic_text(m));
    return 0;
  }
  if (a.dau.empty()) throw ConfigError("estimate: error: give a topology FILE or --dau (with --reads-per-user ...)");
  auto fail = [](const std::string& flag, const std::string& why) {
    return ConfigError(fmt::format("estimate: error: {}: {}", flag, why));
  };
  auto get = [&](const std::string& flag, std::optional<double> v, const std::string& why) {
    if (!v) throw fail(flag, why);
    return *v;
  };
  std::string why;
  CapacityInputs in;
  in.dau = get("--dau", parse_count(a.dau, &why), why);
  in.reads_per_user = get("--reads-per-user", parse_count(a.reads, &why), why);
  in.writes_per_user = get("--writes-per-user", parse_count(a.writes, &why), why);
  in.payload_bytes = get("--payload", parse_size(a.payload, &why), why);
  in.peak_multiplier = get("--peak-multiplier", parse_number(a.peak, &why), why);
  in.retention_days = get("--retention", parse_retention_days(a.retention, &why), why);
  in.replication = get("--replication", parse_number(a.replication, &why), why);
  in.media_fraction = get("--media-fraction", parse_number(a.media_fraction, &why), why);
  in.media_bytes = get("--media-size", parse_size(a.media_size, &why), why);
  in.viral_views = get("--viral-views", parse_count(a.viral_views, &why), why);
  in.viral_window_s = get("--viral-window", parse_duration(a.viral_window, &why), why);
  if (in.peak_multiplier < 1) throw fail("--peak-multiplier", "must be at least 1");
  if (in.replication < 1) throw fail("--replication", "must be at least 1");
  if (in.media_fraction < 0 || in.media_fraction > 1) throw fail("--media-fraction", "must be between 0 and 1");
  if (in.viral_window_s <= 0) throw fail("--viral-window", "must be longer than 0");
  in.units = a.units == "binary" ? UnitSystem::Binary : UnitSystem::Decimal;
  CapacityEstimate e = estimate_capacity(in);
  std::cout << (json ? capacity_json(e).dump(2) + "\n" : capacity_text(e));
  return 0;
}

// reshard: the fraction of keys (and bytes) each sharding strategy moves from the current shard count to --to.
int cmd_reshard(const std::string& file, const std::vector<std::string>& sets, const std::string& component,
                int64_t to, const std::string& value_size, bool json) {
  Topology t = load_checked(file, sets, false);
  double bytes = 0;
  if (!value_size.empty()) {
    std::string why;
    auto v = parse_size(value_size, &why);
    if (!v || *v <= 0) throw ConfigError(fmt::format("reshard: error: --value-size: {}", v ? "must be above 0" : why));
    bytes = *v;
  }
  ReshardReport r = reshard_component(t, component, to, bytes);
  std::cout << (json ? reshard_json(r).dump(2) + "\n" : reshard_text(r));
  return 0;
}

// check: is the history in `file` linearizable, per key, for a register?
int cmd_check(const std::string& file, const std::string& time_limit, bool json) {
  CheckOptions options;
  if (!time_limit.empty()) {
    std::string why;
    auto v = parse_duration(time_limit, &why);
    if (!v || *v <= 0)
      throw ConfigError(fmt::format("check: error: --time-limit: {}", v ? "must be longer than 0" : why));
    options.time_limit_s = *v;
  }
  CheckReport r = check_history_file(file, options);
  std::cout << (json ? check_json(r).dump(2) + "\n" : check_text(r));
  return r.verdict == CheckVerdict::Linearizable ? 0 : r.verdict == CheckVerdict::Unknown ? kUnknown : kNotLinearizable;
}

// The command line: what each subcommand's options fill (`file`, `sets` and `json` are shared)
// and the subcommands, to tell which one was given.
struct CommandLine {
  std::string file, out_dir;
  std::vector<std::string> sets;
  std::optional<uint64_t> seed;
  bool json = false;
  std::string engine = "auto";
  bool force = false;
  double max_wall = kMaxWallSeconds;
  bool analytic = false;
  HistoryOptions hist;
  std::string dir, topology;  // plot, report
  std::string exp_file, exp_out;
  std::vector<std::string> exp_sets;
  int exp_jobs = 0;
  std::optional<int> exp_reps;
  ExperimentOptions exp_opts;
  EstimateArgs est;
  std::string reshard_component_name, reshard_value_size;
  int64_t reshard_to = 0;
  std::string check_time_limit;
  std::string schema_update;
  std::string svg;  // graph --svg
  std::vector<std::string> slos;  // capacity
  CapacityOptions cap;
  FailureOptions fail;
  ReviewOptions rev;
  std::string rev_precision = "5%";
  std::string cap_max = "100x", cap_target, cap_precision = "2%";

  CLI::App *run = nullptr, *validate = nullptr, *table = nullptr, *graph = nullptr, *plot = nullptr,
           *report = nullptr, *experiment = nullptr, *estimate = nullptr, *reshard = nullptr, *check = nullptr,
           *schema = nullptr, *capacity = nullptr, *failures = nullptr,
           *review = nullptr;
};

// archsim run FILE: one simulation, its summary and, if asked, its history and the check of it.
void add_run_command(CLI::App& app, CommandLine& a) {
  auto* run = app.add_subcommand("run", "run a topology and print its summary");
  run->add_option("file", a.file, "topology YAML file")->required();
  run->add_option("--set", a.sets, "override a value: --set components.app.replicas=16")->take_all();
  run->add_option("--seed", a.seed, "random seed (overrides run.seed)");
  run->add_flag("--json", a.json, "print the summary as one JSON object on stdout");
  run->add_option("--out", a.out_dir, "write summary.json and CSV files into this directory");
  run->add_option("--network", a.engine,
                  "how the network is simulated: auto (default: a native event core; SimGrid's flow model carries "
                  "the transfers over contended links), flow (SimGrid carries every transfer: the reference) or "
                  "latency (no contention: latency + bytes / bandwidth)")
      ->check(CLI::IsMember({"auto", "flow", "latency"}));
  run->add_option("--engine", a.engine,
                  "the previous engines: simgrid (one SimGrid actor per replica, every transfer through SimGrid; "
                  "messages from one region to a host arrive in send order) or local (= --network latency)")
      ->check(CLI::IsMember({"simgrid", "local"}));
  run->add_flag("--force", a.force, "run even when the estimated time or memory is absurd");
  run->add_option("--max-wall", a.max_wall,
                  "seconds of wall time beyond which a run is refused up front, or stopped once its pace shows it "
                  "(default 3600)")
      ->check(CLI::PositiveNumber);
  run->add_option("--history", a.hist.path,
                  "write every operation on the replicated stores to this file (JSON lines, docs/outputs.md)");
  run->add_flag("--check", a.hist.check,
                "check the history for linearizability after the run (exit 4 when it is not, 3 when undecided)");
  run->add_flag("--analytic", a.analytic,
                "add the analytic estimate (sim/analysis/estimate.hpp) per component and flag >10% differences from the run");
  a.run = run;
}

// archsim validate | latency-table | graph | plot | report: looking at a design or a run's folder.
void add_inspection_commands(CLI::App& app, CommandLine& a) {
  auto* validate = app.add_subcommand("validate", "check a topology without running it");
  validate->add_option("file", a.file, "topology YAML file")->required();
  validate->add_option("--set", a.sets, "override a value")->take_all();

  auto* table = app.add_subcommand("latency-table", "print the built-in latency table");
  auto* graph = app.add_subcommand("graph", "print the design as a Graphviz DOT graph, or draw it as SVG");
  graph->add_option("file", a.file, "topology YAML file")->required();
  graph->add_option("--set", a.sets, "override a value")->take_all();
  graph->add_option("--svg", a.svg, "draw the picture into this SVG file with Graphviz's dot instead");

  auto* plot = app.add_subcommand("plot", "draw the figures of a run or experiment folder into DIR/figures/");
  plot->add_option("dir", a.dir, "a folder written by `run --out` or `experiment --out`")->required();
  auto* report = app.add_subcommand("report", "write DIR/report.html: one self-contained page for a run or experiment");
  report->add_option("dir", a.dir, "a folder written by `run --out` or `experiment --out`")->required();
  report->add_option("--topology", a.topology, "the topology file the run used, for the assumptions (default: DIR/topology.yaml)");
  report->add_option("--set", a.sets, "the overrides the run used")->take_all();
  a.validate = validate;
  a.table = table;
  a.graph = graph;
  a.plot = plot;
  a.report = report;
}

// archsim experiment FILE [--jobs N] [--out DIR]: many runs of a topology; see docs/experiments.md.
void add_experiment_command(CLI::App& app, CommandLine& a) {
  ExperimentOptions& exp_opts = a.exp_opts;
  auto* experiment = app.add_subcommand("experiment", "run an experiment's points as parallel `archsim run` processes");
  experiment->add_option("file", a.exp_file, "experiment YAML file")->required();
  experiment->add_option("--jobs", a.exp_jobs, "parallel runs (default: all cores)")->check(CLI::NonNegativeNumber);
  experiment->add_option("--out", a.exp_out, "results folder (default: results/<experiment name>)");
  experiment->add_option("--set", a.exp_sets, "override a value in every point (after the file's set:)")->take_all();
  experiment->add_option("--replications", a.exp_reps, "at most this many replications per point")->check(CLI::PositiveNumber);
  experiment->add_option("--network", exp_opts.network, "--network for every run (auto, flow or latency; default auto)")
      ->check(CLI::IsMember({"auto", "flow", "latency"}));
  experiment->add_option("--executor", exp_opts.executor,
                         "local (default: child processes here) or slurm (an sbatch job array plus a gather job)")
      ->check(CLI::IsMember({"local", "slurm"}));
  experiment->add_option("--partition", exp_opts.slurm.partition, "slurm: the partition to submit to");
  experiment->add_option("--chunk", exp_opts.slurm.chunk, "slurm: runs per array task (default 1)")
      ->check(CLI::PositiveNumber);
  experiment->add_option("--throttle", exp_opts.slurm.throttle, "slurm: array tasks running at once (--array=0-N%M)")
      ->check(CLI::PositiveNumber);
  experiment->add_flag("--dry-run", exp_opts.slurm.dry_run, "slurm: write the sbatch scripts, submit nothing");
  experiment->add_flag("--wait", exp_opts.slurm.wait,
                       "slurm: submit the array, wait for it and gather here, instead of a dependent gather job");
  experiment->add_flag("--gather", exp_opts.gather,
                       "run nothing: write results.csv and results.json from the runs already in --out");
  experiment->add_option("--archsim", exp_opts.archsim,
                         "the archsim binary the runs use (default: this one; on a cluster, a path every node sees)");
  a.experiment = experiment;
}

// archsim estimate: see cmd_estimate and docs/estimates.md.
void add_estimate_command(CLI::App& app, CommandLine& a) {
  EstimateArgs& est = a.est;
  auto* estimate = app.add_subcommand("estimate", "back-of-envelope numbers without simulating: a capacity calculator "
                                                  "(--dau ...) or the analytic view of a topology FILE");
  estimate->add_option("file", a.file, "topology YAML file (omit for the calculator)");
  estimate->add_option("--set", a.sets, "override a value in the topology")->take_all();
  estimate->add_flag("--json", a.json, "print the estimate as JSON");
  estimate->add_option("--dau", est.dau, "daily active users: 100M, 20k, 1B");
  estimate->add_option("--reads-per-user", est.reads, "reads per user per day");
  estimate->add_option("--writes-per-user", est.writes, "writes per user per day");
  estimate->add_option("--payload", est.payload, "bytes per write and per read: 500B, 3MiB (KB = 1000 B, KiB = 1024 B)");
  estimate->add_option("--peak-multiplier", est.peak, "peak over average traffic (default 3)");
  estimate->add_option("--retention", est.retention, "how long writes are kept: 5y, 90d, 12w (default 1y = 365 d)");
  estimate->add_option("--replication", est.replication, "copies of every stored byte (default 1)");
  estimate->add_option("--media-fraction", est.media_fraction, "share of writes with a media object (0.1 = 10%)");
  estimate->add_option("--media-size", est.media_size, "bytes per media object: 200KB");
  estimate->add_option("--viral-views", est.viral_views, "views of one hot media object (1M) within --viral-window");
  estimate->add_option("--viral-window", est.viral_window, "the window of --viral-views (default 1h)");
  estimate->add_option("--units", est.units, "how printed sizes count: decimal (GB = 1e9 B, default) or binary (GiB)")
      ->check(CLI::IsMember({"decimal", "binary"}));
  a.estimate = estimate;
}

// archsim reshard | check | schema: answers computed without a simulation.
void add_analysis_commands(CLI::App& app, CommandLine& a) {
  auto* reshard = app.add_subcommand("reshard", "the fraction of keys and bytes each sharding strategy moves when a "
                                                "database or cache goes from its shard count to --to");
  reshard->add_option("file", a.file, "topology YAML file")->required();
  reshard->add_option("--component", a.reshard_component_name, "the sharded database or cache")->required();
  reshard->add_option("--to", a.reshard_to, "the new shard count")->required();
  reshard->add_option("--value-size", a.reshard_value_size, "bytes per key moved: 1KB, 4KiB (default 1KiB)");
  reshard->add_option("--set", a.sets, "override a value in the topology")->take_all();
  reshard->add_flag("--json", a.json, "print the result as JSON");

  auto* check = app.add_subcommand("check", "decide whether an operation history (JSON lines, docs/outputs.md) is "
                                            "linearizable for a key-value register");
  check->add_option("file", a.file, "history file: one JSON event per line")->required();
  check->add_option("--time-limit", a.check_time_limit,
                    "wall time for the whole check, e.g. 10s or 500ms (default 10s); undecided keys are unknown");
  check->add_flag("--json", a.json, "print the verdict as JSON");

  auto* schema = app.add_subcommand("schema", "print the component kinds and their declared parameters as markdown "
                                              "(the generated part of docs/topology.md)");
  schema->add_option("--update", a.schema_update, "rewrite the generated part of this markdown file instead");
  a.reshard = reshard;
  a.check = check;
  a.schema = schema;
}

// The options every search that runs many `archsim run`s takes (capacity, failures, review).
// Where a search's runs go: this machine (`--jobs` at once) or a Slurm cluster, one job array per
// round of probes, waited for before the next round.
void add_executor_options(CLI::App* sub, ExperimentOptions& run) {
  sub->add_option("--executor", run.executor,
                  "local (default: child processes here) or slurm (each round of runs an sbatch job array, waited for)")
      ->check(CLI::IsMember({"local", "slurm"}));
  sub->add_option("--partition", run.slurm.partition, "slurm: the partition to submit to");
  sub->add_option("--chunk", run.slurm.chunk, "slurm: runs per array task (default 1)")->check(CLI::PositiveNumber);
  sub->add_option("--throttle", run.slurm.throttle, "slurm: array tasks running at once (--array=0-N%M)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--archsim", run.archsim,
                  "the archsim binary the runs use (default: this one; on a cluster, a path every node sees)");
}

void add_runs_options(CLI::App* sub, uint64_t& seed, ExperimentOptions& run, const std::string& out_help) {
  sub->add_option("--seed", seed, "seed of replication 1 (replication k: seed + k - 1)");
  sub->add_option("--jobs", run.jobs, "parallel runs (default: all cores)")->check(CLI::NonNegativeNumber);
  sub->add_option("--out", run.out_dir, out_help);
  sub->add_option("--network", run.network, "--network for every run (auto, flow or latency; default auto)")
      ->check(CLI::IsMember({"auto", "flow", "latency"}));
  add_executor_options(sub, run);
}

// The options that only the slurm executor takes are refused without it.
bool slurm_options_without_slurm(const std::string& command, const ExperimentOptions& run) {
  bool slurm_only = !run.slurm.partition.empty() || run.slurm.chunk || run.slurm.throttle || run.slurm.dry_run ||
                    run.slurm.wait;
  if (!slurm_only || run.executor == "slurm") return false;
  std::cerr << "archsim " << command << ": error: "
            << (command == "experiment" ? "--partition, --chunk, --throttle, --dry-run and --wait"
                                        : "--partition, --chunk and --throttle")
            << " need --executor slurm\n";
  return true;
}

// archsim capacity FILE --slo ...: the largest load multiplier at which every SLO holds, and the
// ladder of walls behind it (sim/experiment/capacity.hpp, docs/capacity.md).
void add_capacity_command(CLI::App& app, CommandLine& a) {
  auto* cap = app.add_subcommand("capacity", "the largest load multiplier at which every SLO holds, the resource that "
                                             "saturates first, and the next walls once each is relieved");
  cap->add_option("file", a.file, "topology YAML file")->required();
  cap->add_option("--slo", a.slos, "an SLO every probe must meet: 'p99<=50ms', 'read.p50<=10ms', 'errors<=0.1%', "
                                   "'availability>=99.9%' (repeat for several)")
      ->required();
  cap->add_option("--set", a.sets, "override a value in every probe")->take_all();
  cap->add_option("--scale", a.cap.scale,
                  "what the multiplier scales: a client (its load) or the path of a number, e.g. "
                  "components.users.requests.read.keys.count (repeat for several; default: every client's load)");
  cap->add_option("--max", a.cap_max, "the largest multiplier tried (default 100x)");
  cap->add_option("--steps", a.cap.steps, "walls to find: relieve each and search again (default 1)")
      ->check(CLI::Range(1, 20));
  cap->add_option("--target", a.cap_target, "stop the ladder once a wall is at or beyond this multiplier (e.g. 10x)");
  cap->add_option("--precision", a.cap_precision, "stop bisecting when the bracket is this narrow (default 2%)");
  cap->add_option("--parallel-probes", a.cap.parallel_probes,
                  "bisection probes run together each round, splitting the bracket in K + 1 (default 1; more "
                  "rounds' worth of probes at once for many cores or a Slurm cluster)")
      ->check(CLI::Range(1, 64));
  cap->add_option("--min-replications", a.cap.min_replications, "runs per probe before deciding (default 2)")
      ->check(CLI::Range(1, 100));
  cap->add_option("--max-replications", a.cap.max_replications,
                  "runs per probe at most, while an SLO's 95% interval straddles its limit (default 5)")
      ->check(CLI::Range(1, 100));
  add_runs_options(cap, a.cap.seed, a.cap.run, "the probes' folder (default: results/capacity-<topology name>)");
  cap->add_flag("--json", a.cap.json, "print capacity.json on stdout instead of the table");
  a.capacity = cap;
}

// archsim failures FILE: every component, region and region link down alone for a window
// (sim/experiment/failures.hpp, docs/failures.md).
void add_failures_command(CLI::App& app, CommandLine& a) {
  auto* f = app.add_subcommand("failures", "crash every component (one replica), every region and every region link "
                                           "alone for a window and report what happened, single points of failure first");
  f->add_option("file", a.file, "topology YAML file")->required();
  f->add_option("--set", a.sets, "override a value in every run")->take_all();
  f->add_option("--at", a.fail.at, "when each failure starts (default: a third into the measured window)");
  f->add_option("--for", a.fail.length, "how long it lasts (default: a third of the measured window)");
  f->add_option("--replications", a.fail.replications, "runs per failure (default 1)")->check(CLI::Range(1, 100));
  add_runs_options(f, a.fail.seed, a.fail.run, "the runs' folder (default: results/failures-<topology name>)");
  f->add_flag("--json", a.fail.json, "print failures.json on stdout instead of the table");
  a.failures = f;
}

// archsim review FILE: one report for a design review, in the seed's order
// (sim/experiment/review.hpp, docs/review.md).
void add_review_command(CLI::App& app, CommandLine& a) {
  auto* r = app.add_subcommand("review", "one report for a design review: the design, the estimate beside the "
                                         "simulation, the capacity ladder, the failure sweep, consistency, the "
                                         "seed's constraint mutations and the cost (review.md, review.html)");
  r->add_option("file", a.file, "topology YAML file")->required();
  r->add_option("--slo", a.slos, "the capacity ladder's SLO (repeat for several; default: p99 <= 10x the simulated "
                                 "p99, rounded up to a millisecond)");
  r->add_option("--set", a.sets, "override a value in every run")->take_all();
  r->add_option("--steps", a.rev.steps, "walls of the capacity ladder (default 3)")->check(CLI::Range(1, 20));
  r->add_option("--precision", a.rev_precision, "the capacity bisection's precision (default 5%)");
  r->add_option("--seed", a.rev.seed, "seed of the capacity probes, failure runs and mutations");
  r->add_option("--jobs", a.rev.run.jobs, "parallel runs (default: all cores)")->check(CLI::NonNegativeNumber);
  r->add_option("--out", a.rev.run.out_dir, "the report's folder (default: results/review-<topology name>)");
  add_executor_options(r, a.rev.run);
  a.review = r;
}

// A multiplier "10x" or "10"; a fraction "2%" or "0.02".
double parse_factor(const std::string& flag, const std::string& text, bool percent) {
  std::string why, v = text;
  bool pct = !v.empty() && v.back() == '%';
  if ((percent && pct) || (!percent && !v.empty() && v.back() == 'x')) v.pop_back();
  auto x = parse_number(v, &why);
  if (!x || *x <= 0)
    throw ConfigError(fmt::format("{} {}: error: {}", flag, text,
                                  percent ? "give a positive precision such as 2% or 0.02" : "give a multiplier such as 10x"));
  return percent && pct ? *x / 100 : *x;
}

int cmd_capacity(const CommandLine& a) {
  if (slurm_options_without_slurm("capacity", a.cap.run)) return kBadInput;
  CapacityOptions o = a.cap;
  for (const auto& s : a.slos) o.slos.push_back(parse_slo(s));
  o.sets = a.sets;
  o.max_multiplier = parse_factor("--max", a.cap_max, false);
  o.precision = parse_factor("--precision", a.cap_precision, true);
  if (!a.cap_target.empty()) o.target = parse_factor("--target", a.cap_target, false);
  if (o.steps == 1 && o.target) o.steps = 20;
  return run_capacity(a.file, o);
}

// experiment: the options that only the slurm executor takes are refused without it.
int cmd_experiment(const CommandLine& a) {
  ExperimentOptions exp_opts = a.exp_opts;
  exp_opts.jobs = a.exp_jobs;
  exp_opts.out_dir = a.exp_out;
  exp_opts.max_replications = a.exp_reps;
  if (slurm_options_without_slurm("experiment", exp_opts)) return kBadInput;
  if (exp_opts.slurm.dry_run && exp_opts.slurm.wait) {
    std::cerr << "archsim experiment: error: --dry-run submits nothing, so there is nothing to --wait for\n";
    return kBadInput;
  }
  return run_experiment_file(a.exp_file, a.exp_sets, exp_opts);
}

// Runs the subcommand that was given. Throws ConfigError for bad input.
int dispatch(const CommandLine& a) {
  if (*a.experiment) return cmd_experiment(a);
  if (*a.capacity) return cmd_capacity(a);
  if (*a.review) {
    if (slurm_options_without_slurm("review", a.rev.run)) return kBadInput;
    ReviewOptions o = a.rev;
    for (const auto& s : a.slos) o.slos.push_back(parse_slo(s));
    o.sets = a.sets;
    o.precision = parse_factor("--precision", a.rev_precision, true);
    return run_review(a.file, o);
  }
  if (*a.failures) {
    if (slurm_options_without_slurm("failures", a.fail.run)) return kBadInput;
    FailureOptions o = a.fail;
    o.sets = a.sets;
    return run_failures(a.file, o);
  }
  if (*a.run) return cmd_run(a.file, a.sets, a.seed, a.json, a.out_dir, a.engine, a.force, a.max_wall, a.analytic, a.hist);
  if (*a.estimate) return cmd_estimate(a.file, a.sets, a.est, a.json);
  if (*a.validate) return cmd_validate(a.file, a.sets);
  if (*a.table) return cmd_latency_table();
  if (*a.graph) return cmd_graph(a.file, a.sets, a.svg);
  if (*a.plot) return cmd_plot(a.dir);
  if (*a.report) return cmd_report(a.dir, a.topology, a.sets);
  if (*a.check) return cmd_check(a.file, a.check_time_limit, a.json);
  if (*a.schema) {
    if (!a.schema_update.empty()) update_schema(a.schema_update);
    else std::cout << schema_markdown();
    return 0;
  }
  if (*a.reshard) return cmd_reshard(a.file, a.sets, a.reshard_component_name, a.reshard_to, a.reshard_value_size, a.json);
  return kInternal;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"archsim: simulate a distributed-system design and see where it breaks"};
  app.require_subcommand(1);
  CommandLine a;
  add_run_command(app, a);
  add_inspection_commands(app, a);
  add_experiment_command(app, a);
  add_capacity_command(app, a);
  add_failures_command(app, a);
  add_review_command(app, a);
  add_estimate_command(app, a);
  add_analysis_commands(app, a);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kBadInput;
  }

  try {
    return dispatch(a);
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kBadInput;
  } catch (const SlurmError& e) {
    std::cerr << "archsim: error: Slurm: " << e.what()
              << "\n  check that the cluster answers (sinfo; SLURM_CONF), or run without --executor slurm\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "archsim: internal error: " << e.what() << "\n";
    return kInternal;
  }
}
