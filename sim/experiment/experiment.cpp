#include "sim/experiment/experiment.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "sim/config/loader.hpp"
#include "sim/analysis/cost.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/report/output_dir.hpp"
#include "sim/experiment/slurm.hpp"

extern char** environ;

namespace archsim {

namespace fs = std::filesystem;
using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Statistics

double student_t975(int df) {
  static const double table[] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
                                 2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
                                 2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df <= 30) return table[df - 1];
  // Cornish-Fisher expansion around the normal quantile: within 1e-4 beyond 30 degrees of freedom.
  const double z = 1.959963985, n = df;
  return z + (z * z * z + z) / (4 * n) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
}

Estimate estimate(const std::vector<double>& values) {
  Estimate r;
  r.n = static_cast<int>(values.size());
  if (r.n == 0) return r;
  double sum = 0;
  for (double v : values) sum += v;
  r.mean = sum / r.n;
  if (r.n < 2) return r;
  double ss = 0;
  for (double v : values) ss += (v - r.mean) * (v - r.mean);
  r.ci95_half_width = student_t975(r.n - 1) * std::sqrt(ss / (r.n - 1)) / std::sqrt(static_cast<double>(r.n));
  return r;
}

// ---------------------------------------------------------------------------------------------
// Running

namespace {

// One run's outcome: the flattened summary, or the error.
struct RunRecord {
  int replication = 0;
  uint64_t seed = 0;
  bool ok = false;
  std::string error;
  std::vector<std::pair<std::string, json>> metrics;  // summary path → number, string or null
};

// summary.json → ("latency_ms.p99", 12.3), ... Free text (the verdict's evidence) and what the row
// already says (topology, seed, component kinds) are left out.
void flatten(const json& j, const std::string& prefix, std::vector<std::pair<std::string, json>>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) flatten(*it, key, out);
    else if (key == "topology" || key == "seed" || key == "bottleneck.evidence") continue;
    else if (it->is_string() && key.rfind("components.", 0) == 0 && key.size() > 5 && key.substr(key.size() - 5) == ".kind")
      continue;
    else if (it->is_number() || it->is_string() || it->is_null()) out.push_back({key, *it});
  }
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string cell_of(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number()) return fmt::format("{}", v.get<double>());
  return v.dump();
}

// A parameter value as JSON: a number when the text is one, else the text ("5k/s").
json value_json(const std::string& s) {
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d)) {
    if (d == std::floor(d) && std::abs(d) < 1e15) return static_cast<int64_t>(d);
    return d;
  }
  return s;
}

void write_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp + " to " + path);
}

std::string self_exe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the archsim binary (/proc/self/exe)");
  return p.string();
}

std::string format_seconds(double s) {
  long t = std::lround(s);
  return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60) : fmt::format("{}:{:02}", t / 60, t % 60);
}

// The error of a failed run: the first line of its stderr that says "error", else the first line.
std::string first_error(const std::string& stderr_path, int status) {
  std::ifstream in(stderr_path);
  std::string line, first;
  while (std::getline(in, line)) {
    if (first.empty()) first = line;
    if (line.find("error") != std::string::npos) return line;
  }
  if (!first.empty()) return first;
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("exited with code {} and no message", WEXITSTATUS(status));
}

struct PointState {
  std::vector<RunRecord> records;  // finished runs, any order
  int next = 1;                    // next replication number to launch
  int running = 0;
};

}  // namespace

namespace {

// Where each run of an experiment writes and the command that produces it. The same command runs
// a point under every executor, which is what makes their results identical.
class RunLayout {
 public:
  RunLayout(const Experiment& e, const ExperimentOptions& options)
      : e_(e),
        out_(options.out_dir.empty() ? "results/" + e.name : options.out_dir),
        bin_(options.archsim.empty() ? self_exe() : options.archsim),
        max_reps_(options.max_replications ? std::min(*options.max_replications, e.replications) : e.replications),
        min_reps_(e.until ? std::min(2, max_reps_) : max_reps_),
        network_(options.network) {}

  const std::string& out() const { return out_; }
  const std::string& bin() const { return bin_; }
  int max_reps() const { return max_reps_; }
  int min_reps() const { return min_reps_; }
  uint64_t seed(int k) const { return e_.seed + static_cast<uint64_t>(k) - 1; }

  std::string dir(size_t p, int k) const { return fmt::format("{}/points/{}/r{}", out_, e_.points[p].id, k); }
  std::vector<std::string> command(size_t p, int k) const {
    std::vector<std::string> argv{bin_, "run", e_.points[p].topology};
    for (const auto& a : e_.points[p].assignments()) {
      argv.push_back("--set");
      argv.push_back(a);
    }
    argv.push_back("--seed");
    argv.push_back(std::to_string(seed(k)));
    argv.push_back("--out");
    argv.push_back(dir(p, k));
    if (!network_.empty()) {
      argv.push_back("--network");
      argv.push_back(network_);
    }
    return argv;
  }
  std::string command_line(size_t p, int k) const { return archsim::command_line(command(p, k)); }
  // A run is finished when its folder has a summary.json written by the same command.
  bool finished(size_t p, int k) const {
    std::string d = dir(p, k);
    std::ifstream cmd(d + ".cmd");
    std::string previous;
    std::getline(cmd, previous);
    return fs::exists(d + "/summary.json") && previous == command_line(p, k);
  }
  RunRecord record(int k) const {
    RunRecord r;
    r.replication = k;
    r.seed = seed(k);
    return r;
  }
  void read_summary(size_t p, int k, RunRecord& r) const {
    std::ifstream in(dir(p, k) + "/summary.json");
    json j = json::parse(in);
    flatten(j, "", r.metrics);
    r.ok = true;
  }
  // Every run's command, for running the same points elsewhere (one line per run), and each
  // point's topology as it runs (its overrides applied and its faults in it: points/<id>/topology.yaml).
  void write_commands() const {
    make_output_dir(out_, "experiment --out");
    make_output_dir(out_ + "/points", "experiment --out");
    std::string text;
    for (size_t p = 0; p < e_.points.size(); ++p) {
      std::string point_dir = fmt::format("{}/points/{}", out_, e_.points[p].id);
      make_output_dir(point_dir, "experiment --out");
      write_atomically(point_dir + "/topology.yaml",
                       resolved_topology_text(e_.points[p].topology, e_.points[p].assignments()));
      for (int k = 1; k <= max_reps_; ++k) text += command_line(p, k) + "\n";
    }
    write_atomically(out_ + "/commands.txt", text);
  }

 private:
  const Experiment& e_;
  std::string out_, bin_;
  int max_reps_, min_reps_;
  std::string network_;
};

// Whether the `until` rule is met by these runs of one point.
bool until_satisfied(const Experiment& e, const std::vector<RunRecord>& records) {
  std::vector<double> xs;
  for (const auto& r : records)
    for (const auto& [k, v] : r.metrics)
      if (k == e.until->metric && v.is_number()) xs.push_back(v.get<double>());
  Estimate est = estimate(xs);
  if (!est.ci95_half_width) return false;
  double limit = e.until->relative ? e.until->half_width * std::abs(est.mean) : e.until->half_width;
  return *est.ci95_half_width <= limit;
}

// results.csv (one row per run) and results.json (per point means and CIs). Returns the number of
// failed runs.
int write_results(const Experiment& e, const RunLayout& layout, std::vector<PointState>& state) {
  const std::string& out = layout.out();
  std::vector<std::string> metric_names;
  {
    std::set<std::string> seen;
    for (const auto& s : state)
      for (const auto& r : s.records)
        for (const auto& [k, v] : r.metrics)
          if (seen.insert(k).second) metric_names.push_back(k);
  }
  std::string csv = "point,replication,seed";
  if (e.has_variants) csv += ",variant";
  if (e.has_mutations) csv += ",mutation";
  for (const auto& p : e.parameter_paths) csv += "," + csv_cell(p);
  for (const auto& m : metric_names) csv += "," + csv_cell(m);
  csv += ",error\n";
  json points = json::array();
  int failed_runs = 0;
  for (size_t p = 0; p < e.points.size(); ++p) {
    const ExperimentPoint& pt = e.points[p];
    auto& records = state[p].records;
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.replication < b.replication; });
    std::map<std::string, std::vector<double>> numbers;
    std::map<std::string, std::map<std::string, int>> words;
    json failures = json::array();
    for (const auto& r : records) {
      std::map<std::string, json> m(r.metrics.begin(), r.metrics.end());
      csv += fmt::format("{},{},{}", csv_cell(pt.id), r.replication, r.seed);
      if (e.has_variants) csv += "," + csv_cell(pt.variant);
      if (e.has_mutations) csv += "," + csv_cell(pt.mutation);
      for (const auto& path : e.parameter_paths) {
        auto it = std::find_if(pt.parameters.begin(), pt.parameters.end(), [&](const auto& kv) { return kv.first == path; });
        csv += "," + (it == pt.parameters.end() ? std::string() : csv_cell(it->second));
      }
      for (const auto& name : metric_names) {
        auto it = m.find(name);
        csv += "," + (it == m.end() ? std::string() : csv_cell(cell_of(it->second)));
        if (it == m.end()) continue;
        if (it->second.is_number()) numbers[name].push_back(it->second.get<double>());
        else if (it->second.is_string()) words[name][it->second.get<std::string>()]++;
      }
      csv += "," + csv_cell(r.error) + "\n";
      if (!r.ok) {
        ++failed_runs;
        failures.push_back({{"replication", r.replication}, {"seed", r.seed}, {"error", r.error}});
      }
    }
    json params = json::object(), metrics = json::object(), categorical = json::object();
    for (const auto& [k, v] : pt.parameters) params[k] = value_json(v);
    for (const auto& [name, xs] : numbers) {
      Estimate est = estimate(xs);
      metrics[name] = {{"mean", est.mean},
                       {"ci95_half_width", est.ci95_half_width ? json(*est.ci95_half_width) : json(nullptr)},
                       {"n", est.n}};
    }
    for (const auto& [name, counts] : words) categorical[name] = counts;
    json entry = {{"id", pt.id}, {"topology", pt.topology}, {"parameters", params}};
    if (e.has_variants) entry["variant"] = pt.variant;
    if (e.has_mutations) entry["mutation"] = pt.mutation;
    entry["sets"] = pt.assignments();
    entry["runs"] = static_cast<int>(records.size());
    entry["failed"] = failures;
    entry["metrics"] = metrics;
    entry["categorical"] = categorical;
    points.push_back(entry);
  }
  json results = {{"experiment", e.name},
                  {"description", e.description},
                  {"file", e.file},
                  {"topology", e.topology},
                  {"replications", layout.max_reps()},
                  {"seed", e.seed},
                  {"parameters", e.parameter_paths},
                  {"points", points}};
  if (e.until)
    results["until"] = {{"metric", e.until->metric},
                        {"half_width", e.until->half_width},
                        {"relative", e.until->relative}};
  write_atomically(out + "/results.csv", csv);
  write_atomically(out + "/results.json", results.dump(2) + "\n");
  return failed_runs;
}

int count_runs(const std::vector<PointState>& state) {
  int n = 0;
  for (const auto& s : state) n += static_cast<int>(s.records.size());
  return n;
}

// The local executor: the runs of an experiment as child processes of this one, at most `jobs` at
// a time, each point's replications in order (under `until`, only as many as the rule needs).
class LocalRunner {
 public:
  LocalRunner(const Experiment& e, const ExperimentOptions& options)
      : e_(e),
        jobs_(options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency())),
        layout_(e, options),
        state_(e.points.size()),
        work_(point_work(e)) {}

  // Runs every run not finished before; returns 0, or kSomeRunsFailed.
  int run() {
    const std::string& out = layout_.out();
    layout_.write_commands();
    int resumed = resume();
    fmt::print(stderr, "experiment {}: {} points x {} replications{}; {} runs already done; {} parallel runs; out {}\n",
               e_.name, e_.points.size(), layout_.max_reps(), e_.until ? " at most" : "", resumed, jobs_, out);

    const auto t0 = std::chrono::steady_clock::now();
    while (true) {
      launch_ready();
      if (running_.empty()) break;
      int status = 0;
      pid_t pid = waitpid(-1, &status, 0);
      if (pid < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error("waitpid failed");
      }
      finish(pid, status);
    }

    int failed_runs = write_results(e_, layout_, state_);
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print(stderr, "experiment {}: {} runs ok, {} failed ({} run now, {} resumed) in {}; wrote {}/results.csv and {}/results.json\n",
               e_.name, count_runs(state_) - failed_runs, failed_runs, done_, resumed, format_seconds(wall), out, out);
    return failed_runs > 0 ? kSomeRunsFailed : 0;
  }

 private:
  struct Running {
    size_t point;
    int k;
    std::chrono::steady_clock::time_point start;
  };

  // The next replication of point p to launch, or 0 when none should start now.
  int next_of(size_t p) {
    PointState& s = state_[p];
    if (s.next > layout_.max_reps()) return 0;
    if (!e_.until || s.next <= layout_.min_reps()) return s.next;
    if (s.running > 0 || until_satisfied(e_, s.records)) return 0;  // decide on complete information
    return s.next;
  }

  // Resume: finished runs are read, not run again. Returns how many.
  int resume() {
    int resumed = 0;
    for (size_t p = 0; p < e_.points.size(); ++p) {
      while (int k = next_of(p)) {
        if (!layout_.finished(p, k)) break;
        RunRecord r = layout_.record(k);
        try {
          layout_.read_summary(p, k, r);
        } catch (const std::exception&) {
          break;  // unreadable: run it again
        }
        state_[p].records.push_back(std::move(r));
        state_[p].next = k + 1;
        ++resumed;
      }
    }
    return resumed;
  }

  // Fills the free job slots, points in order.
  void launch_ready() {
    for (size_t p = 0; p < e_.points.size() && static_cast<int>(running_.size()) < jobs_; ++p)
      while (static_cast<int>(running_.size()) < jobs_)
        if (int k = next_of(p)) launch(p, k);
        else break;
  }

  // Starts replication k of point p: `archsim run`, its stderr beside its folder.
  void launch(size_t p, int k) {
    const std::string& bin = layout_.bin();
    std::string dir = layout_.dir(p, k);
    std::error_code ec;
    fs::remove(dir + "/summary.json", ec);  // a stale summary must not pass for this run's
    write_atomically(dir + ".cmd", layout_.command_line(p, k) + "\n");
    std::vector<std::string> argv = layout_.command(p, k);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    std::string err_path = dir + ".stderr";
    posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error(fmt::format("cannot start {}: {}", bin, std::strerror(rc)));
    running_[pid] = {p, k, std::chrono::steady_clock::now()};
    state_[p].running++;
    state_[p].next = k + 1;
  }

  // Child `pid` exited with `status`: records its run and prints a progress line. Others are ignored.
  void finish(pid_t pid, int status) {
    auto it = running_.find(pid);
    if (it == running_.end()) return;
    Running r = it->second;
    running_.erase(it);
    PointState& s = state_[r.point];
    s.running--;
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.start).count();
    busy_seconds_ += took;
    work_done_ += work_[r.point];
    RunRecord rec = outcome(r, status);
    ++done_;
    if (!rec.ok) ++failed_;
    // ETA: the runs still possible, each weighted by its point's simulated requests, at the wall
    // time per simulated request measured so far, spread over the job slots. (The mean time per
    // run said 1 minute for a sweep whose last, heaviest points took 9.)
    int remaining = 0;
    double work_left = 0;
    for (size_t p = 0; p < e_.points.size(); ++p) {
      int n = std::max(0, layout_.max_reps() - state_[p].next + 1) + state_[p].running;
      remaining += n;
      work_left += n * work_[p];
    }
    double eta = busy_seconds_ / work_done_ * work_left / jobs_;
    fmt::print(stderr, "[{} done, {} failed, {} to go, ETA {}] {} r{} {} in {:.1f}s{}\n", done_, failed_, remaining,
               format_seconds(eta), e_.points[r.point].id, r.k, rec.ok ? "ok" : "FAILED", took,
               rec.ok ? "" : ": " + rec.error);
    s.records.push_back(std::move(rec));
  }

  // The record of a run that exited with `status`: its summary, or why there is none.
  RunRecord outcome(const Running& r, int status) const {
    RunRecord rec = layout_.record(r.k);
    std::string dir = layout_.dir(r.point, r.k);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && fs::exists(dir + "/summary.json")) {
      try {
        layout_.read_summary(r.point, r.k, rec);
      } catch (const std::exception& ex) {
        rec.error = fmt::format("unreadable summary.json: {}", ex.what());
      }
    } else {
      rec.error = first_error(dir + ".stderr", status);
    }
    return rec;
  }

  const Experiment& e_;
  const int jobs_;
  const RunLayout layout_;
  std::vector<PointState> state_;
  std::map<pid_t, Running> running_;
  int done_ = 0, failed_ = 0;
  double busy_seconds_ = 0;
  // Per point: what one run of it costs, in simulated requests (estimate_cost), at least 1; and
  // the sum over the runs finished here.
  std::vector<double> work_;
  double work_done_ = 0;

  static std::vector<double> point_work(const Experiment& e) {
    std::vector<double> w;
    for (const auto& p : e.points) {
      double requests = 1;
      try {
        requests = std::max(1.0, estimate_cost(load_topology(p.topology, p.assignments())).requests);
      } catch (const std::exception&) {
        // a point that does not load fails when it runs; weigh it as one request
      }
      w.push_back(requests);
    }
    return w;
  }
};

// The array job over `runs` runs of `e` (scripts and logs in `slurm_dir`), submitted from here:
// `--chunk` runs per task, or as many as keep the array within the cluster's MaxArraySize. Throws
// ConfigError when a given --chunk makes more tasks than that.
SlurmJob array_job(const Experiment& e, const ExperimentOptions& options, const std::string& slurm_dir, size_t runs) {
  SlurmJob job;
  job.name = e.name;
  job.workdir = fs::current_path().string();
  job.slurm_dir = slurm_dir;
  job.runs = runs;
  job.partition = options.slurm.partition;
  job.throttle = options.slurm.throttle;
  const int max_array = slurm_max_array_size();
  job.chunk = options.slurm.chunk > 0 ? options.slurm.chunk
                                      : static_cast<int>((runs + max_array - 1) / static_cast<size_t>(max_array));
  size_t tasks = (runs + job.chunk - 1) / job.chunk;
  if (tasks > static_cast<size_t>(max_array))
    throw ConfigError(fmt::format(
        "--chunk {}: {} runs make {} array tasks, more than this cluster's MaxArraySize of {}; use --chunk {} or more",
        job.chunk, runs, tasks, max_array, (runs + max_array - 1) / max_array));
  return job;
}

// The Slurm executor for callers that need the results before they go on (the searches, and
// `experiment --wait`): each round is one job array over the runs that can start now, the same
// runs the local executor would start, and the next round is decided once it has ended.
class SlurmRounds {
 public:
  SlurmRounds(const Experiment& e, const ExperimentOptions& options)
      : e_(e),
        options_(options),
        layout_(e, options),
        slurm_dir_(fs::absolute(layout_.out() + "/slurm").lexically_normal().string()) {}

  int run() {
    layout_.write_commands();
    make_output_dir(slurm_dir_ + "/logs", "--executor slurm");
    adopt_running_job();
    int rounds = 0;
    size_t submitted = 0;
    while (true) {
      std::vector<std::pair<size_t, int>> round = next_round();
      if (round.empty()) break;
      submit_and_wait(round, ++rounds);
      submitted += round.size();
      for (const auto& pk : round) tried_.insert(pk);
    }
    if (submitted == 0)
      fmt::print(stderr, "experiment {}: every run is finished already; gathering\n", e_.name);
    return gather_experiment(e_, options_);
  }

 private:
  // The runs of this round: per point, every replication not finished (under `until`, up to the
  // minimum, then one at a time while the rule is unmet), leaving out those already tried here.
  std::vector<std::pair<size_t, int>> next_round() const {
    std::vector<std::pair<size_t, int>> round;
    for (size_t p = 0; p < e_.points.size(); ++p) {
      std::vector<RunRecord> records;
      bool added = false;
      for (int k = 1; k <= layout_.max_reps(); ++k) {
        if (e_.until && k > layout_.min_reps() && (added || until_satisfied(e_, records))) break;
        if (layout_.finished(p, k)) {
          RunRecord r = layout_.record(k);
          try {
            layout_.read_summary(p, k, r);
          } catch (const std::exception&) {
            r.ok = false;  // unreadable: counts as failed, as gathering says
          }
          records.push_back(std::move(r));
        } else if (tried_.count({p, k})) {
          records.push_back(layout_.record(k));  // failed in an earlier round: not run again here
        } else {
          round.emplace_back(p, k);
          added = true;
        }
      }
    }
    return round;
  }

  void submit_and_wait(const std::vector<std::pair<size_t, int>>& round, int number) {
    std::string runs;
    for (const auto& [p, k] : round) {
      std::error_code ec;
      fs::remove(layout_.dir(p, k) + ".exit", ec);
      runs += layout_.dir(p, k) + "\t" + layout_.command_line(p, k) + "\n";
    }
    SlurmJob job = array_job(e_, options_, slurm_dir_, round.size());
    size_t tasks = (round.size() + job.chunk - 1) / job.chunk;
    write_atomically(slurm_dir_ + "/runs.tsv", runs);
    write_atomically(slurm_dir_ + "/array.sbatch", slurm_array_script(job));
    std::string id = submit_array_to_slurm(job);
    write_atomically(slurm_dir_ + "/jobs.txt", fmt::format("array {}\n", id));
    fmt::print(stderr, "experiment {}: round {}: {} run{} in Slurm array job {} ({} task{}); waiting\n", e_.name, number,
               round.size(), round.size() == 1 ? "" : "s", id, tasks, tasks == 1 ? "" : "s");
    wait(id);
  }

  // An earlier invocation that was interrupted may have left its array queued or running: its
  // runs are waited for, not submitted twice.
  void adopt_running_job() {
    std::ifstream in(slurm_dir_ + "/jobs.txt");
    std::string word, id;
    if (!(in >> word >> id) || word != "array") return;
    if (slurm_tasks_left(id) == 0) return;
    fmt::print(stderr, "experiment {}: Slurm array job {} from an earlier invocation is still queued; waiting for it\n",
               e_.name, id);
    wait(id);
  }

  void wait(const std::string& id) const {
    int shown = -1;
    wait_for_slurm_job(id, options_.slurm.poll_seconds, [&](int left) {
      if (left == shown || left == 0) return;
      shown = left;
      fmt::print(stderr, "experiment {}: Slurm array job {}: {} task{} pending or running\n", e_.name, id, left,
                 left == 1 ? "" : "s");
    });
  }

  const Experiment& e_;
  const ExperimentOptions& options_;
  const RunLayout layout_;
  const std::string slurm_dir_;
  std::set<std::pair<size_t, int>> tried_;  // submitted by this invocation: ended, ok or not
};

}  // namespace

int run_experiment(const Experiment& e, const ExperimentOptions& options) {
  if (options.executor == "slurm") return SlurmRounds(e, options).run();
  return LocalRunner(e, options).run();
}

int gather_experiment(const Experiment& e, const ExperimentOptions& options) {
  const RunLayout layout(e, options);
  make_output_dir(layout.out(), "experiment --out");
  std::vector<PointState> state(e.points.size());
  int missing = 0;
  for (size_t p = 0; p < e.points.size(); ++p) {
    PointState& s = state[p];
    for (int k = 1; k <= layout.max_reps(); ++k) {
      // The same replications the local executor would have kept: with `until`, the first ones
      // up to the one that met the rule.
      if (e.until && k > layout.min_reps() && until_satisfied(e, s.records)) break;
      RunRecord rec = layout.record(k);
      std::string dir = layout.dir(p, k);
      if (layout.finished(p, k)) {
        try {
          layout.read_summary(p, k, rec);
        } catch (const std::exception& ex) {
          rec.error = fmt::format("unreadable summary.json: {}", ex.what());
        }
      } else if (fs::exists(dir + ".exit")) {
        std::ifstream in(dir + ".exit");
        int code = 1;
        in >> code;
        // Shell exit codes above 128 are deaths by signal 128 + n, as waitpid would report them.
        int status = code > 128 ? code - 128 : (code & 0xff) << 8;
        rec.error = first_error(dir + ".stderr", status);
      } else {
        rec.error = "did not run (its batch task never reached it: see slurm/logs/)";
        ++missing;
      }
      s.records.push_back(std::move(rec));
    }
  }
  int failed_runs = write_results(e, layout, state);
  fmt::print(stderr, "experiment {}: gathered {} runs: {} ok, {} failed{}; wrote {}/results.csv and {}/results.json\n",
             e.name, count_runs(state), count_runs(state) - failed_runs, failed_runs,
             missing ? fmt::format(" ({} never ran)", missing) : std::string(), layout.out(), layout.out());
  return failed_runs > 0 ? kSomeRunsFailed : 0;
}

int submit_experiment_to_slurm(const Experiment& e, const ExperimentOptions& options, const std::string& file,
                               const std::vector<std::string>& extra_sets) {
  const RunLayout layout(e, options);
  // Every run not already finished; resuming submits only these.
  std::string runs;
  size_t pending = 0, total = 0;
  for (size_t p = 0; p < e.points.size(); ++p)
    for (int k = 1; k <= layout.max_reps(); ++k, ++total)
      if (!layout.finished(p, k)) {
        runs += layout.dir(p, k) + "\t" + layout.command_line(p, k) + "\n";
        ++pending;
      }
  if (pending == 0) {
    layout.write_commands();
    fmt::print(stderr, "experiment {}: all {} runs are finished; gathering here\n", e.name, total);
    return gather_experiment(e, options);
  }

  SlurmJob job = array_job(e, options, fs::absolute(layout.out() + "/slurm").lexically_normal().string(), pending);
  size_t tasks = (pending + job.chunk - 1) / job.chunk;
  job.gather_argv = {layout.bin(), "experiment", file, "--gather",
                     "--out", layout.out()};
  if (!options.archsim.empty()) {
    job.gather_argv.push_back("--archsim");
    job.gather_argv.push_back(options.archsim);
  }
  for (const auto& s : extra_sets) {
    job.gather_argv.push_back("--set");
    job.gather_argv.push_back(s);
  }
  if (options.max_replications) {
    job.gather_argv.push_back("--replications");
    job.gather_argv.push_back(std::to_string(*options.max_replications));
  }

  layout.write_commands();
  make_output_dir(job.slurm_dir + "/logs", "experiment --executor slurm");
  write_atomically(job.slurm_dir + "/runs.tsv", runs);
  write_atomically(job.slurm_dir + "/array.sbatch", slurm_array_script(job));
  write_atomically(job.slurm_dir + "/gather.sbatch", slurm_gather_script(job));
  fmt::print(stderr, "experiment {}: {} of {} runs to do in {} array tasks of {} run{}{}; scripts in {}\n", e.name,
             pending, total, tasks, job.chunk, job.chunk == 1 ? "" : "s",
             job.throttle > 0 ? fmt::format(" (at most {} at once)", job.throttle) : std::string(), job.slurm_dir);
  if (options.slurm.dry_run) {
    fmt::print(stderr, "dry run: nothing submitted. To submit:\n  cd {} && id=$(sbatch --parsable {}/array.sbatch) && "
               "sbatch --dependency=afterany:${{id%%;*}} {}/gather.sbatch\n",
               shell_quote(job.workdir), job.slurm_dir, job.slurm_dir);
    return 0;
  }
  SlurmSubmission sub;
  try {
    sub = submit_to_slurm(job);
  } catch (const std::runtime_error& ex) {
    fmt::print(stderr, "archsim: error: {}\n", ex.what());
    return 1;
  }
  write_atomically(job.slurm_dir + "/jobs.txt", fmt::format("array {}\ngather {}\n", sub.array_job, sub.gather_job));
  fmt::print(stderr,
             "submitted array job {} and gather job {} (runs after it); results will be in {}/results.csv\n"
             "  watch: squeue -j {},{}    logs: {}/logs/\n",
             sub.array_job, sub.gather_job, layout.out(), sub.array_job, sub.gather_job, job.slurm_dir);
  return 0;
}

int run_experiment_file(const std::string& file, const std::vector<std::string>& extra_sets,
                        const ExperimentOptions& options) {
  Experiment e = load_experiment(file, extra_sets);
  check_experiment(e);
  if (options.gather) return gather_experiment(e, options);
  if (options.executor == "slurm" && !options.slurm.wait) return submit_experiment_to_slurm(e, options, file, extra_sets);
  return run_experiment(e, options);
}

}  // namespace archsim
