// `archsim experiment`: points from sweep/zip/mutations/compare, results.csv and results.json,
// common random numbers, Student-t confidence intervals, resume, failures, and the three shipped
// experiments at small scale.
//
// System under test: the archsim binary, run as a child process; it runs each point as its own
// `archsim run` child. Most cases use a tiny topology (200 req/s for 1.5 s) so a run costs a
// process start; the shipped experiments run with short durations and one replication.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;
namespace fs = std::filesystem;

namespace {

const char* kTiny =
    "name: tiny\n"
    "components:\n"
    "  users:\n"
    "    kind: client\n"
    "    arrival: {process: poisson, rate: 200/s}\n"
    "    requests: {get: {weight: 0.9}, put: {weight: 0.1, op: write}}\n"
    "    target: app\n"
    "  app: {kind: service, replicas: 1, cores: 1, cpu: 1ms, calls: [db]}\n"
    "  db: {kind: database, read: {io: 1ms}}\n"
    "run: {duration: 1.5s, warmup: 0.5s}\n";

// Writes the tiny topology and an experiment next to it; returns the experiment's path.
std::string write_experiment(const std::string& body) {
  std::string topo = write_temp("tiny.yaml", kTiny);
  std::string path = fs::path(topo).parent_path() / "exp.yaml";
  std::ofstream(path) << "topology: tiny.yaml\n" << body;
  return path;
}

struct Table {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
};

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells{""};
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') cells.back() += '"', ++i;
    else if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) cells.emplace_back();
    else cells.back() += c;
  }
  return cells;
}

Table read_csv(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  Table t;
  std::getline(in, line);
  t.header = split_csv_line(line);
  while (std::getline(in, line)) {
    auto cells = split_csv_line(line);
    REQUIRE(cells.size() == t.header.size());
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < cells.size(); ++i) row[t.header[i]] = cells[i];
    t.rows.push_back(row);
  }
  return t;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// The results.json entry of point `id`.
nlohmann::json point(const nlohmann::json& results, const std::string& id) {
  for (const auto& p : results["points"])
    if (p["id"] == id) return p;
  FAIL("no point " << id);
  return {};
}

double mean_of(const nlohmann::json& p, const std::string& metric) {
  return p["metrics"][metric]["mean"].get<double>();
}

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

Outcome experiment(const std::string& file, const std::string& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"experiment", file, "--out", out, "--jobs", "2"};
  args.insert(args.end(), extra.begin(), extra.end());
  Outcome o = run_archsim(args);
  INFO("stderr: " << o.err);
  return o;
}

}  // namespace

TEST_CASE("Experiment: a sweep is a grid and a zip pairs its lists", "[experiment]") {
  // Expectations: sweep 2 x 2 values times 2 zip pairs = 8 points, the last sweep path varying
  // fastest; each point's folder holds its run; the ids name the values.
  std::string file = write_experiment(
      "description: grid\n"
      "zip:\n"
      "  components.users.requests.get.weight: [0.9, 0.5]\n"
      "  components.users.requests.put.weight: [0.1, 0.5]\n"
      "sweep:\n"
      "  components.app.replicas: [1, 2]\n"
      "  components.users.arrival.rate: [100/s, 200/s]\n");
  std::string out = file + ".out";
  Outcome o = experiment(file, out);
  REQUIRE(o.exit_code == 0);
  auto results = read_json(out + "/results.json");
  std::vector<std::string> ids;
  for (const auto& p : results["points"]) ids.push_back(p["id"]);
  // Two paths share the last name "weight": their ids would be ambiguous, so ids use whole paths.
  std::vector<std::string> expected;
  for (const char* zip : {"components.users.requests.get.weight=0.9_components.users.requests.put.weight=0.1",
                          "components.users.requests.get.weight=0.5_components.users.requests.put.weight=0.5"})
    for (const char* replicas : {"replicas=1", "replicas=2"})
      for (const char* rate : {"rate=100_s", "rate=200_s"}) expected.push_back(fmt::format("{}_{}_{}", zip, replicas, rate));
  CHECK(ids == expected);
  auto p = point(results, "components.users.requests.get.weight=0.5_components.users.requests.put.weight=0.5_replicas=2_"
                          "rate=200_s");
  CHECK(p["parameters"]["components.app.replicas"] == 2);
  CHECK(p["parameters"]["components.users.arrival.rate"] == "200/s");
  CHECK(p["parameters"]["components.users.requests.put.weight"] == 0.5);
  CHECK(results["points"].size() == 8);
  // The rate reached the run: the 200/s points measured twice the throughput of the 100/s ones.
  auto slow = point(results, "components.users.requests.get.weight=0.9_components.users.requests.put.weight=0.1_"
                             "replicas=1_rate=100_s");
  CHECK(mean_of(p, "throughput_rps") / mean_of(slow, "throughput_rps") == Approx(2).epsilon(0.25));
  CHECK(fs::exists(out + "/points/" + p["id"].get<std::string>() + "/r1/summary.json"));
}

TEST_CASE("Experiment: results.csv has the documented columns, one row per point and replication", "[experiment]") {
  std::string file = write_experiment(
      "description: columns\n"
      "sweep: {components.app.cores: [1, 2]}\n"
      "replications: 3\n");
  std::string out = file + ".out";
  REQUIRE(experiment(file, out).exit_code == 0);
  Table t = read_csv(out + "/results.csv");
  REQUIRE(t.header.size() > 10);
  CHECK(std::vector<std::string>(t.header.begin(), t.header.begin() + 4) ==
        std::vector<std::string>{"point", "replication", "seed", "components.app.cores"});
  CHECK(t.header.back() == "error");
  std::set<std::string> columns(t.header.begin(), t.header.end());
  for (const char* c : {"throughput_rps", "latency_ms.p99", "latency_ms.mean", "requests.failed", "requests.completed",
                        "components.app.utilization.cpu", "components.db.utilization.io", "bottleneck.component",
                        "bottleneck.resource", "latency_ms.by_type.get.p99"})
    CHECK(columns.count(c) == 1);
  REQUIRE(t.rows.size() == 2 * 3);

  SECTION("common random numbers: replication k of every point runs with the same seed") {
    std::map<std::string, std::set<std::string>> seeds_by_replication;
    for (const auto& r : t.rows) seeds_by_replication[r.at("replication")].insert(r.at("seed"));
    CHECK(seeds_by_replication["1"] == std::set<std::string>{"1"});
    CHECK(seeds_by_replication["2"] == std::set<std::string>{"2"});
    CHECK(seeds_by_replication["3"] == std::set<std::string>{"3"});
    // The same seed means the same arrivals: a point's requests do not depend on its cores.
    for (const auto& a : t.rows)
      for (const auto& b : t.rows)
        if (a.at("seed") == b.at("seed")) CHECK(a.at("requests.generated") == b.at("requests.generated"));
  }
  SECTION("results.json lists each point's parameters and each metric's mean, ci95_half_width and n") {
    auto p = point(read_json(out + "/results.json"), "cores=2");
    CHECK(p["parameters"]["components.app.cores"] == 2);
    CHECK(p["metrics"]["latency_ms.p99"]["n"] == 3);
    CHECK(p["metrics"]["latency_ms.p99"]["ci95_half_width"].is_number());
    CHECK(p["categorical"]["bottleneck.resource"].is_object());
    // Each run's command is written out, so the same points can run elsewhere.
    std::ifstream cmds(out + "/commands.txt");
    std::string first;
    std::getline(cmds, first);
    CHECK(first.find(" run ") != std::string::npos);
    CHECK(first.find("--set components.app.cores=1 --seed 1 --out " + out + "/points/cores=1/r1") != std::string::npos);
  }
}

TEST_CASE("Experiment: the 95% CI of 5 replications is Student t over the per-replication rows", "[experiment]") {
  // Expectations: half width = t(0.975, 4) x s / sqrt(5), t = 2.7764, s the sample standard deviation.
  std::string file = write_experiment("description: ci\nreplications: 5\n");
  std::string out = file + ".out";
  REQUIRE(experiment(file, out).exit_code == 0);
  Table t = read_csv(out + "/results.csv");
  REQUIRE(t.rows.size() == 5);
  auto p = point(read_json(out + "/results.json"), "base");
  for (const char* metric : {"latency_ms.p99", "throughput_rps", "components.app.utilization.cpu"}) {
    std::vector<double> xs;
    for (const auto& r : t.rows) xs.push_back(std::stod(r.at(metric)));
    double mean = 0, ss = 0;
    for (double x : xs) mean += x / 5;
    for (double x : xs) ss += (x - mean) * (x - mean);
    double half = 2.7764 * std::sqrt(ss / 4) / std::sqrt(5.0);
    INFO(metric);
    CHECK(p["metrics"][metric]["n"] == 5);
    CHECK(p["metrics"][metric]["mean"].get<double>() == Approx(mean).epsilon(1e-9));
    CHECK(p["metrics"][metric]["ci95_half_width"].get<double>() == Approx(half).epsilon(1e-4));
    CHECK(half > 0);
  }
}

TEST_CASE("Experiment: until stops replicating once the CI is tight enough", "[experiment]") {
  SECTION("a loose target stops every point at the minimum of 2") {
    std::string file = write_experiment(
        "description: until\nsweep: {components.app.cores: [1, 2]}\nreplications: 6\n"
        "until: {metric: latency_ms.mean, half_width: 500%}\n");
    REQUIRE(experiment(file, file + ".out").exit_code == 0);
    CHECK(read_csv(file + ".out/results.csv").rows.size() == 2 * 2);
  }
  SECTION("an impossible target runs the maximum") {
    std::string file = write_experiment(
        "description: until\nreplications: 4\nuntil: {metric: latency_ms.mean, half_width: 0.0000001}\n");
    REQUIRE(experiment(file, file + ".out").exit_code == 0);
    CHECK(read_csv(file + ".out/results.csv").rows.size() == 4);
  }
  SECTION("a metric that is not in the summary is refused before anything runs") {
    std::string file = write_experiment("description: until\nreplications: 4\nuntil: {metric: p99_ms, half_width: 2%}\n");
    Outcome o = experiment(file, file + ".out");
    CHECK(o.exit_code == 2);
    CHECK(o.err.find("until.metric 'p99_ms' is not a summary metric") != std::string::npos);
    CHECK_FALSE(fs::exists(file + ".out"));
  }
}

TEST_CASE("Experiment: a rerun resumes, running only the runs without a summary.json", "[experiment]") {
  std::string file = write_experiment("description: resume\nsweep: {components.app.cores: [1, 2, 3]}\nreplications: 2\n");
  std::string out = file + ".out";
  Outcome first = experiment(file, out);
  REQUIRE(first.exit_code == 0);
  CHECK(count(first.err, " ok in ") == 6);
  auto kept = fs::last_write_time(out + "/points/cores=1/r1/summary.json");
  fs::remove_all(out + "/points/cores=2");

  Outcome second = experiment(file, out);
  REQUIRE(second.exit_code == 0);
  CHECK(second.err.find("4 runs already done") != std::string::npos);
  CHECK(count(second.err, " ok in ") == 2);
  CHECK(count(second.err, "cores=2 r") == 2);
  CHECK(fs::last_write_time(out + "/points/cores=1/r1/summary.json") == kept);
  // The results cover every run, resumed or not.
  CHECK(read_csv(out + "/results.csv").rows.size() == 6);

  SECTION("a run whose command changed (another --set) is not taken as finished") {
    Outcome third = experiment(file, out, {"--set", "run.duration=1.2s"});
    REQUIRE(third.exit_code == 0);
    CHECK(count(third.err, " ok in ") == 6);
  }
}

TEST_CASE("Experiment: a failing point is reported and the others complete", "[experiment]") {
  // 200M/s for 1.5 s loads and validates, but `archsim run` refuses to simulate 3e8 requests.
  std::string file = write_experiment(
      "description: failure\nsweep: {components.users.arrival.rate: [100/s, 200M/s, 300/s]}\n");
  std::string out = file + ".out";
  Outcome o = experiment(file, out);
  CHECK(o.exit_code == 3);
  CHECK(o.err.find("rate=200M_s r1 FAILED") != std::string::npos);
  CHECK(o.err.find("2 runs ok, 1 failed") != std::string::npos);
  Table t = read_csv(out + "/results.csv");
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0].at("error").empty());
  CHECK(t.rows[1].at("error").find("error") != std::string::npos);
  CHECK(t.rows[1].at("latency_ms.p99").empty());
  CHECK(t.rows[2].at("error").empty());
  auto failed = point(read_json(out + "/results.json"), "rate=200M_s");
  CHECK(failed["failed"].size() == 1);
  CHECK(failed["failed"][0]["error"].get<std::string>().find("error") != std::string::npos);
}

TEST_CASE("Experiment: bad experiment files fail at load time with file:line:col and exit 2", "[experiment]") {
  SECTION("an unknown key suggests the nearest one") {
    std::string file = write_experiment("description: x\nsweeep: {components.app.cores: [1]}\n");
    Outcome o = experiment(file, file + ".out");
    CHECK(o.exit_code == 2);
    CHECK(o.err == file + ":3:1: error: unknown key 'sweeep' in the experiment; did you mean 'sweep'?\n");
  }
  SECTION("zip lists of different lengths") {
    std::string file = write_experiment("description: x\nzip:\n  components.app.cores: [1, 2]\n  run.seed: [1]\n");
    Outcome o = experiment(file, file + ".out");
    CHECK(o.exit_code == 2);
    CHECK(o.err.find(file + ":5:13: error: zip lists must have the same length") == 0);
  }
  SECTION("a typo in an override path fails before any point runs, naming its line") {
    std::string file = write_experiment("description: x\nsweep:\n  components.app.replicas: [1, 2]\n"
                                        "mutations:\n  slow: {set: {components.ap.cpu: 5ms}}\n");
    std::string out = file + ".out";
    Outcome o = experiment(file, out);
    CHECK(o.exit_code == 2);
    CHECK(o.err.find(file + ":6:35: error: components.ap.cpu=5ms: 'components.ap' does not exist") == 0);
    CHECK_FALSE(fs::exists(out));
  }
  SECTION("a value the topology rejects fails before any point runs") {
    std::string file = write_experiment("description: x\nsweep: {components.app.replicas: [1, -2]}\n");
    Outcome o = experiment(file, file + ".out");
    CHECK(o.exit_code == 2);
    CHECK(o.err.find(file + ":3:38: error: components.app.replicas=-2: replicas must be between 1") == 0);
  }
  SECTION("a missing description or topology") {
    std::string topo = write_temp("t.yaml", kTiny);
    std::string file = fs::path(topo).parent_path() / "e.yaml";
    std::ofstream(file) << "topology: nope.yaml\ndescription: x\n";
    Outcome o = experiment(file, file + ".out");
    CHECK(o.exit_code == 2);
    CHECK(o.err.find(file + ":1:11: error: topology 'nope.yaml' is not a file") == 0);
    std::ofstream(file) << "topology: t.yaml\n";
    CHECK(experiment(file, file + ".out").err == file + ":1:1: error: the experiment needs 'description'\n");
  }
}

TEST_CASE("Experiment: a variant or a mutation brings its own faults", "[experiment]") {
  // System under consideration: the tiny topology (no faults), 1.5 s at 200 req/s. Variant 'calm'
  // changes nothing; 'crash' adds a crash of app from 0.8 s to 1.0 s; 'only' replaces the faults
  // (none) with a crash of db. Expectations: each point's summary lists exactly its faults, and
  // each point's topology copy holds them.
  std::string file = write_experiment(
      "description: faults per variant\n"
      "compare:\n"
      "  calm: {set: {}}\n"
      "  crash:\n"
      "    add_faults:\n"
      "      - {crash: app, at: 0.8s, for: 0.2s}\n"
      "  only:\n"
      "    faults: [{crash: db, at: 0.9s, for: 0.1s}]\n");
  std::string out = file + ".out";
  Outcome o = experiment(file, out);
  REQUIRE(o.exit_code == 0);
  auto summary = [&](const std::string& id) { return read_json(out + "/points/" + id + "/r1/summary.json"); };
  CHECK_FALSE(summary("calm").contains("faults"));
  auto crash = summary("crash");
  REQUIRE(crash.contains("faults"));
  REQUIRE(crash["faults"].size() == 1);
  CHECK(crash["faults"][0]["kind"] == "crash");
  CHECK(crash["faults"][0]["target"] == "app");
  CHECK(crash["requests"]["failed"].get<double>() > 0);
  auto only = summary("only");
  REQUIRE(only["faults"].size() == 1);
  CHECK(only["faults"][0]["target"] == "db");

  SECTION("the point folder's topology holds the point's faults, and so does the run's copy") {
    std::ifstream in(out + "/points/crash/topology.yaml");
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str().find("crash: app") != std::string::npos);
    std::ifstream calm(out + "/points/calm/topology.yaml");
    std::stringstream calm_text;
    calm_text << calm.rdbuf();
    CHECK(calm_text.str().find("crash") == std::string::npos);
    // The run folder stands alone: `report DIR` reads its topology.yaml and overrides.txt.
    std::ifstream overrides(out + "/points/crash/r1/overrides.txt");
    std::stringstream ov;
    ov << overrides.rdbuf();
    CHECK(ov.str().find("faults.0={crash: app, at: 0.8s, for: 0.2s}") != std::string::npos);
  }
  SECTION("add_faults goes after the faults the topology has") {
    std::string f2 = write_experiment(
        "description: x\nset: {faults: [{crash: db, at: 0.6s, for: 0.1s}]}\n"
        "mutations:\n  more: {add_faults: [{crash: app, at: 0.9s, for: 0.1s}]}\n");
    Outcome o2 = experiment(f2, f2 + ".out");
    REQUIRE(o2.exit_code == 0);
    auto more = read_json(f2 + ".out/points/more/r1/summary.json");
    REQUIRE(more["faults"].size() == 2);
    CHECK(more["faults"][0]["target"] == "db");
    CHECK(more["faults"][1]["target"] == "app");
    CHECK(read_json(f2 + ".out/points/baseline/r1/summary.json")["faults"].size() == 1);
  }
}

TEST_CASE("Experiment: bad faults in a variant fail before anything runs, at their line", "[experiment]") {
  SECTION("faults that are not a list") {
    std::string file = write_experiment("description: x\ncompare:\n  a: {set: {}}\n  b: {faults: {crash: app}}\n");
    Outcome o = experiment(file, file + ".out");
    CHECK(o.exit_code == 2);
    CHECK(o.err == file + ":5:15: error: faults of variant 'b' must be a list of faults, as in a topology's faults: "
                          "(e.g. [{crash: app, at: 5s, for: 2s}])\n");
  }
  SECTION("a fault the topology refuses names the entry's line") {
    std::string file = write_experiment("description: x\nmutations:\n  m:\n    add_faults:\n"
                                        "      - {crash: app, at: 0.5s}\n      - {crash: ap, at: 1s}\n");
    std::string out = file + ".out";
    Outcome o = experiment(file, out);
    CHECK(o.exit_code == 2);
    CHECK(o.err.rfind(file + ":7:9: error: faults.1={crash: ap, at: 1s}: ", 0) == 0);
    CHECK_FALSE(fs::exists(out));
  }
  SECTION("faults and add_faults together") {
    std::string file = write_experiment("description: x\nmutations:\n  m: {faults: [], add_faults: []}\n");
    Outcome o = experiment(file, file + ".out");
    CHECK(o.exit_code == 2);
    CHECK(o.err.rfind(file + ":4:19: error: mutation 'm' has both faults", 0) == 0);
  }
}

TEST_CASE("Experiment: set takes lists and maps as --set does", "[experiment]") {
  std::string file = write_experiment("description: x\nset:\n  faults: [{crash: app, at: 0.8s, for: 0.2s}]\n"
                                      "  faults.0.at: 0.9s\n");
  std::string out = file + ".out";
  Outcome o = experiment(file, out);
  REQUIRE(o.exit_code == 0);
  auto j = read_json(out + "/points/base/r1/summary.json");
  REQUIRE(j["faults"].size() == 1);
  CHECK(j["faults"][0]["start_s"].get<double>() == Approx(0.9));
}

// The shipped experiments, each at small scale (short runs, one replication): the headline holds.

TEST_CASE("Shipped experiment hockey-stick: p99 is flat, then explodes past the knee", "[experiment][shipped]") {
  std::string out = write_temp("hs", "") + ".out";
  Outcome o = experiment(source_path("experiments/hockey-stick.yaml"), out,
                         {"--replications", "1", "--set", "run.duration=1.2s", "--set", "run.warmup=0.4s"});
  REQUIRE(o.exit_code == 0);
  auto r = read_json(out + "/results.json");
  double low = mean_of(point(r, "rate=5k_s"), "latency_ms.p99");
  double knee = mean_of(point(r, "rate=18k_s"), "latency_ms.p99");
  double high = mean_of(point(r, "rate=25k_s"), "latency_ms.p99");
  CHECK(knee < 2 * low);  // flat up to the knee
  CHECK(high > 5 * low);  // then the hockey stick
  CHECK(mean_of(point(r, "rate=25k_s"), "components.app.utilization.cpu") > 0.97);
  CHECK(point(r, "rate=25k_s")["categorical"]["bottleneck.component"]["app"] == 1);
}

TEST_CASE("Shipped experiment constraint-mutations: each change against the baseline", "[experiment][shipped]") {
  std::string out = write_temp("cm", "") + ".out";
  Outcome o = experiment(source_path("experiments/constraint-mutations.yaml"), out,
                         {"--replications", "1", "--set", "run.duration=1.5s", "--set", "run.warmup=0.5s"});
  REQUIRE(o.exit_code == 0);
  auto r = read_json(out + "/results.json");
  REQUIRE(r["points"].size() == 4);
  auto base = point(r, "baseline");
  auto cut = point(r, "budget-cut-80");
  CHECK(mean_of(base, "latency_ms.p99") < 10);  // the seed's target holds as designed
  CHECK(mean_of(cut, "latency_ms.p99") > 10 * mean_of(base, "latency_ms.p99"));
  CHECK(cut["categorical"]["bottleneck.component"]["redirect"] == 1);
  // A hundredfold writes saturate PostgreSQL's disk.
  auto writes = point(r, "write-volume-x100");
  CHECK(mean_of(writes, "components.postgres.utilization.io") > 0.9);
  CHECK(writes["categorical"]["bottleneck.component"]["postgres"] == 1);
  CHECK(point(r, "read-write-reversed")["mutation"] == "read-write-reversed");
}

TEST_CASE("Shipped experiment cache-vs-replicas: both variants, the cache shields the database",
          "[experiment][shipped]") {
  std::string out = write_temp("cvr", "") + ".out";
  Outcome o = experiment(source_path("experiments/cache-vs-replicas.yaml"), out,
                         {"--replications", "1", "--set", "run.duration=1.5s", "--set", "run.warmup=0.5s"});
  REQUIRE(o.exit_code == 0);
  auto r = read_json(out + "/results.json");
  auto cache = point(r, "cache");
  auto sharded = point(r, "sharded-db");
  CHECK(cache["variant"] == "cache");
  CHECK(sharded["parameters"]["components.postgres.replicas"] == 4);
  CHECK(mean_of(cache, "latency_ms.p99") > 0);
  CHECK(mean_of(sharded, "latency_ms.p99") > 0);
  CHECK(mean_of(cache, "components.postgres.arrivals") < 0.2 * mean_of(sharded, "components.postgres.arrivals"));
  Table t = read_csv(out + "/results.csv");
  CHECK(t.rows.size() == 2);
  CHECK(t.header[3] == "variant");
}

// ---------------------------------------------------------------------------------------------
// The Slurm executor without a cluster: `--dry-run` writes the scripts, and the tests play
// Slurm's part by running each array task with bash and SLURM_ARRAY_TASK_ID set, then the gather
// job's command. scripts/slurm-test.sh runs the same against a real one-node cluster.

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Runs array task `index` of `out`'s array.sbatch as Slurm would; returns its log.
std::string run_array_task(const std::string& out, int index) {
  std::string log = out + fmt::format("/task-{}.log", index);
  std::string cmd = fmt::format("SLURM_ARRAY_TASK_ID={} bash '{}/slurm/array.sbatch' > '{}' 2>&1", index, out, log);
  int rc = std::system(cmd.c_str());
  INFO(slurp(log));
  CHECK(rc == 0);
  return slurp(log);
}

// The gather job's command: the last line of gather.sbatch.
int run_gather_job(const std::string& out) {
  auto lines = lines_of(out + "/slurm/gather.sbatch");
  REQUIRE_FALSE(lines.empty());
  std::string cmd = lines.back() + " 2> '" + out + "/gather.log'";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

TEST_CASE("Experiment: the slurm executor writes an array of chunks and a gather job after it", "[experiment][slurm]") {
  // Five points in chunks of 2: array indices 0-2, at most 3 tasks at once; nothing runs.
  std::string file = write_experiment("description: slurm\nsweep: {components.app.cores: [1, 2, 3, 4, 5]}\n");
  std::string out = file + ".out";
  Outcome o = experiment(file, out, {"--executor", "slurm", "--chunk", "2", "--throttle", "3", "--dry-run",
                                     "--partition", "batch"});
  REQUIRE(o.exit_code == 0);
  CHECK(o.err.find("5 of 5 runs to do in 3 array tasks of 2 runs (at most 3 at once)") != std::string::npos);
  CHECK(o.err.find("dry run: nothing submitted") != std::string::npos);
  std::string array = slurp(out + "/slurm/array.sbatch");
  CHECK(array.find("#SBATCH --array=0-2%3\n") != std::string::npos);
  CHECK(array.find("#SBATCH --partition=batch\n") != std::string::npos);
  CHECK(array.find("chunk=2\n") != std::string::npos);
  CHECK(array.find("exit 75") != std::string::npos);
  std::string gather = slurp(out + "/slurm/gather.sbatch");
  CHECK(gather.find(" experiment " + file + " --gather --out " + out) != std::string::npos);
  // runs.tsv holds each run's folder and exactly the command the local executor would run.
  auto runs = lines_of(out + "/slurm/runs.tsv");
  auto commands = lines_of(out + "/commands.txt");
  REQUIRE(runs.size() == 5);
  REQUIRE(commands.size() == 5);
  for (size_t i = 0; i < runs.size(); ++i) {
    auto tab = runs[i].find('\t');
    REQUIRE(tab != std::string::npos);
    CHECK(runs[i].substr(tab + 1) == commands[i]);
    CHECK(commands[i].find("--out " + runs[i].substr(0, tab)) != std::string::npos);
  }
  CHECK_FALSE(fs::exists(out + "/points/cores=1/r1/summary.json"));
  CHECK_FALSE(fs::exists(out + "/results.csv"));
}

TEST_CASE("Experiment: array tasks plus the gather job give the local executor's results.csv byte for byte",
          "[experiment][slurm]") {
  // Four points, one of which fails (the cost guard refuses 200M/s), two replications each.
  std::string file = write_experiment(
      "description: slurm\nsweep: {components.users.arrival.rate: [100/s, 200M/s, 300/s, 400/s]}\nreplications: 2\n");
  std::string local = file + ".local", slurm = file + ".slurm";
  REQUIRE(experiment(file, local).exit_code == 3);
  REQUIRE(experiment(file, slurm, {"--executor", "slurm", "--chunk", "3", "--dry-run"}).exit_code == 0);
  for (int i = 0; i < 3; ++i) run_array_task(slurm, i);
  CHECK(run_gather_job(slurm) == 3);  // some runs failed, as locally
  CHECK(slurp(slurm + "/results.csv") == slurp(local + "/results.csv"));
  CHECK(slurp(slurm + "/gather.log").find("gathered 8 runs: 6 ok, 2 failed") != std::string::npos);

  SECTION("a requeued task skips the runs it finished and tries the failed one again") {
    // Task 0 holds rate=100/s r1 and r2 (finished) and rate=200M/s r1 (failed: no summary.json).
    std::string log = run_array_task(slurm, 0);
    CHECK(count(log, "finished already") == 2);
    CHECK(count(log, "rate=200M_s/r1: exit 2") == 1);
  }
  SECTION("resubmitting submits only the runs not finished") {
    fs::remove_all(slurm + "/points/rate=300_s");
    Outcome again = experiment(file, slurm, {"--executor", "slurm", "--dry-run"});
    REQUIRE(again.exit_code == 0);
    // The failed runs have no summary.json either: they are tried again.
    CHECK(again.err.find("4 of 8 runs to do in 4 array tasks") != std::string::npos);
    CHECK(lines_of(slurm + "/slurm/runs.tsv").size() == 4);
  }
}

TEST_CASE("Experiment: the gather keeps the replications the local executor keeps under until", "[experiment][slurm]") {
  // A loose target: locally each point stops at 2 of 6 replications; Slurm runs all 6, and the
  // gather keeps the same first 2.
  std::string file = write_experiment(
      "description: until\nsweep: {components.app.cores: [1, 2]}\nreplications: 6\n"
      "until: {metric: latency_ms.mean, half_width: 500%}\n");
  std::string local = file + ".local", slurm = file + ".slurm";
  REQUIRE(experiment(file, local).exit_code == 0);
  REQUIRE(experiment(file, slurm, {"--executor", "slurm", "--chunk", "4", "--dry-run"}).exit_code == 0);
  for (int i = 0; i < 3; ++i) run_array_task(slurm, i);
  CHECK(run_gather_job(slurm) == 0);
  CHECK(read_csv(slurm + "/results.csv").rows.size() == 4);
  CHECK(slurp(slurm + "/results.csv") == slurp(local + "/results.csv"));
  CHECK(slurp(slurm + "/results.json") == slurp(local + "/results.json"));
}

TEST_CASE("Experiment: runs an array task never reached are failed rows that say so", "[experiment][slurm]") {
  std::string file = write_experiment("description: slurm\nsweep: {components.app.cores: [1, 2, 3]}\n");
  std::string out = file + ".out";
  REQUIRE(experiment(file, out, {"--executor", "slurm", "--dry-run"}).exit_code == 0);
  run_array_task(out, 0);
  Outcome o = experiment(file, out, {"--gather"});
  CHECK(o.exit_code == 3);
  CHECK(o.err.find("(2 never ran)") != std::string::npos);
  Table t = read_csv(out + "/results.csv");
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0].at("error").empty());
  CHECK(t.rows[1].at("error").find("did not run") != std::string::npos);
}

TEST_CASE("Experiment: slurm options are checked before anything is written", "[experiment][slurm]") {
  std::string file = write_experiment("description: slurm\nsweep: {components.app.cores: [1, 2]}\nreplications: 600\n");
  SECTION("slurm-only flags need --executor slurm") {
    Outcome o = experiment(file, file + ".a", {"--chunk", "2"});
    CHECK(o.exit_code == 2);
    CHECK(o.err.find("need --executor slurm") != std::string::npos);
    CHECK_FALSE(fs::exists(file + ".a"));
  }
  SECTION("more array tasks than MaxArraySize names the chunk that fits") {
    Outcome o = experiment(file, file + ".b", {"--executor", "slurm", "--chunk", "1", "--dry-run"});
    CHECK(o.exit_code == 2);
    CHECK(o.err.find("more than this cluster's MaxArraySize of 1001; use --chunk 2 or more") != std::string::npos);
  }
  SECTION("without --chunk, the chunk grows to fit") {
    Outcome o = experiment(file, file + ".c", {"--executor", "slurm", "--dry-run"});
    CHECK(o.exit_code == 0);
    CHECK(o.err.find("1200 of 1200 runs to do in 600 array tasks of 2 runs") != std::string::npos);
  }
  SECTION("an unknown executor is refused") {
    CHECK(experiment(file, file + ".d", {"--executor", "kubernetes"}).exit_code == 2);
  }
}

TEST_CASE("Experiment: files are read as strictly as topologies", "[experiment]") {
  // Expectations: the topology loader's checks, with the experiment named in the messages.
  auto refused = [](const std::string& text) {
    std::string file = write_temp("exp.yaml", text);
    Outcome o = run_archsim({"experiment", file});
    CHECK(o.exit_code == 2);
    CHECK(o.out.empty());
    return o.err.substr(file.size());
  };
  CHECK(refused("topology: t.yaml\ndescription: x\n---\nfoo: 1\n") ==
        ":3:1: error: a second YAML document starts here; an experiment file holds one document (remove the '---')\n");
  CHECK(refused("topology: t.yaml\ndescription: [x\n") ==
        ":3:1: error: invalid YAML: the '[' at line 2, column 14 is never closed; add the matching ']' (or a missing "
        "comma)\n");
  CHECK(refused("topology: t.yaml\ndescription: \"x\n") ==
        ":2:14: error: invalid YAML: this double-quoted string is never closed; add the closing \"\n");
  CHECK(refused(std::string("topology: t.yaml\ndescription: a\0b\n", 33)) ==
        ":2:15: error: the file contains a NUL byte; an experiment is a UTF-8 text file\n");
  CHECK(refused("topology: t.yaml\n" + std::string(2 * 1024 * 1024, '#')).find("experiments over 1 MiB are refused") !=
        std::string::npos);
}

TEST_CASE("Experiment: mistakes are named for what they are", "[experiment]") {
  SECTION("a variant called 'baseline' is refused as reserved, not as badly spelled") {
    std::string file = write_experiment(
        "description: reserved\ncompare:\n  baseline: {set: {components.users.arrival.rate: 100/s}}\n"
        "  faster: {set: {components.users.arrival.rate: 200/s}}\n");
    Outcome o = run_archsim({"experiment", file, "--out", file + ".out"});
    CHECK(o.exit_code == 2);
    CHECK(o.err.find("name 'baseline' is reserved for the unchanged design") != std::string::npos);
    CHECK(o.err.find("must be made of letters") == std::string::npos);
  }
  SECTION("a topology given to `experiment` is said to be one, with the command that runs it") {
    std::string topo = write_temp("a-topology.yaml", kTiny);
    Outcome o = run_archsim({"experiment", topo, "--out", topo + ".out"});
    CHECK(o.exit_code == 2);
    CHECK(o.err.find(topo + " is a topology (it has `components:`), not an experiment: run it with `archsim run " +
                     topo + "`") != std::string::npos);
    CHECK(o.err.find("unknown key") == std::string::npos);
  }
}

namespace {

// A stand-in for a Slurm cluster on PATH, for the executor that waits: `sbatch --parsable SCRIPT`
// runs every array task of SCRIPT in order (in its --chdir, as Slurm would) and prints the next
// job id; `squeue -j ID` lists the tasks of ID still running, which is none, except for job 77
// once (an earlier invocation's array), and then answers as Slurm does for a job it has purged.
class FakeSlurm {
 public:
  FakeSlurm() {
    static int made = 0;  // each SECTION gets a cluster of its own, job ids from 101
    dir_ = fs::path(write_temp("fake-slurm.keep", "")).parent_path().string() + fmt::format("/fake-slurm-{}", ++made);
    fs::create_directories(dir_);
    std::ofstream(dir_ + "/sbatch") << R"SH(#!/bin/bash
script="${@: -1}"
dir=$(sed -n 's/^#SBATCH --chdir=//p' "$script")
last=$(sed -n 's/^#SBATCH --array=0-\([0-9]*\).*/\1/p' "$script")
n=$(( $(cat "$(dirname "$0")/next-id" 2>/dev/null || echo 100) + 1 ))
echo "$n" > "$(dirname "$0")/next-id"
echo "array $n $script" >> "$(dirname "$0")/submitted"
for i in $(seq 0 "$last"); do (cd "$dir" && SLURM_ARRAY_TASK_ID=$i bash "$script" > /dev/null 2>&1); done
echo "$n"
)SH";
    std::ofstream(dir_ + "/squeue") << R"SH(#!/bin/bash
here=$(dirname "$0")
echo "squeue $*" >> "$here/asked"
case "$*" in
  *"-j 77 "*) if [ ! -f "$here/77-seen" ]; then touch "$here/77-seen"; echo 77_0; exit 0; fi ;;
esac
echo "slurm_load_jobs error: Invalid job id specified" >&2
exit 1
)SH";
    fs::permissions(dir_ + "/sbatch", fs::perms::owner_all);
    fs::permissions(dir_ + "/squeue", fs::perms::owner_all);
    const char* path = std::getenv("PATH");
    saved_ = path ? path : "";
    setenv("PATH", (dir_ + ":" + saved_).c_str(), 1);
  }
  ~FakeSlurm() { setenv("PATH", saved_.c_str(), 1); }
  // How many arrays were submitted.
  size_t arrays() const { return lines_of(dir_ + "/submitted").size(); }

 private:
  std::string dir_, saved_;
};

}  // namespace

// `--wait` (and the searches' `--executor slurm`) submit rounds of runs and wait for each: the
// rounds are the runs the local executor would start, so the results are its results byte for byte.
TEST_CASE("Experiment: --wait submits rounds of runs, waits for each, and gathers the local executor's results",
          "[experiment][slurm]") {
  FakeSlurm slurm;
  SECTION("a loose until: one round of each point's first two replications") {
    std::string file = write_experiment(
        "description: until\nsweep: {components.app.cores: [1, 2]}\nreplications: 6\n"
        "until: {metric: latency_ms.mean, half_width: 500%}\n");
    std::string local = file + ".local", waited = file + ".waited";
    REQUIRE(experiment(file, local).exit_code == 0);
    Outcome o = experiment(file, waited, {"--executor", "slurm", "--wait"});
    REQUIRE(o.exit_code == 0);
    CHECK(o.err.find("round 1: 4 runs in Slurm array job 101 (4 tasks); waiting") != std::string::npos);
    CHECK(o.err.find("round 2") == std::string::npos);
    CHECK(slurm.arrays() == 1);
    CHECK(slurp(waited + "/results.csv") == slurp(local + "/results.csv"));
    CHECK(slurp(waited + "/results.json") == slurp(local + "/results.json"));
    CHECK_FALSE(fs::exists(waited + "/slurm/gather.sbatch"));
  }
  SECTION("an until never met: the minimum, then one replication per round up to the maximum") {
    std::string file =
        write_experiment("description: until\nreplications: 4\nuntil: {metric: latency_ms.mean, half_width: 0.0000001}\n");
    std::string local = file + ".local", waited = file + ".waited";
    REQUIRE(experiment(file, local).exit_code == 0);
    Outcome o = experiment(file, waited, {"--executor", "slurm", "--wait", "--chunk", "2"});
    REQUIRE(o.exit_code == 0);
    CHECK(o.err.find("round 1: 2 runs in Slurm array job 101 (1 task)") != std::string::npos);
    CHECK(o.err.find("round 3: 1 run in Slurm array job 103 (1 task)") != std::string::npos);
    CHECK(slurm.arrays() == 3);
    CHECK(read_csv(waited + "/results.csv").rows.size() == 4);
    CHECK(slurp(waited + "/results.csv") == slurp(local + "/results.csv"));
  }
  SECTION("an array an interrupted invocation left queued is waited for, not submitted again") {
    std::string file = write_experiment("description: slurm\nsweep: {components.app.cores: [1, 2]}\n");
    std::string out = file + ".waited";
    fs::create_directories(out + "/slurm");
    std::ofstream(out + "/slurm/jobs.txt") << "array 77\n";
    Outcome o = experiment(file, out, {"--executor", "slurm", "--wait"});
    REQUIRE(o.exit_code == 0);
    CHECK(o.err.find("Slurm array job 77 from an earlier invocation is still queued; waiting for it") !=
          std::string::npos);
    CHECK(read_csv(out + "/results.csv").rows.size() == 2);
  }
  SECTION("a capacity search through Slurm writes the local search's capacity.json") {
    std::string topo = write_temp("cap-tiny.yaml", kTiny);
    std::vector<std::string> args{"capacity", topo, "--slo", "p99<=20ms", "--max-replications", "3", "--jobs", "2"};
    auto with = [&](std::vector<std::string> extra) {
      std::vector<std::string> a = args;
      a.insert(a.end(), extra.begin(), extra.end());
      return a;
    };
    // The same --out text in both, so the folders and commands in capacity.json are the same.
    fs::path cwd = fs::current_path();
    fs::create_directories(topo + ".l");
    fs::create_directories(topo + ".s");
    fs::current_path(topo + ".l");
    Outcome l = run_archsim(with({"--out", "cap", "--json"}));
    fs::current_path(topo + ".s");
    Outcome s = run_archsim(with({"--out", "cap", "--json", "--executor", "slurm"}));
    fs::current_path(cwd);
    REQUIRE(l.exit_code == 0);
    INFO(s.err);
    REQUIRE(s.exit_code == 0);
    CHECK(s.out == l.out);
    CHECK(slurp(topo + ".s/cap/capacity.json") == slurp(topo + ".l/cap/capacity.json"));
    CHECK(slurm.arrays() >= 4);
  }
}

TEST_CASE("Experiment: the searches refuse slurm options without --executor slurm, and say when Slurm is unreachable",
          "[experiment][slurm]") {
  std::string topo = write_temp("cap-tiny.yaml", kTiny);
  Outcome o = run_archsim({"capacity", topo, "--slo", "p99<=20ms", "--throttle", "2"});
  CHECK(o.exit_code == 2);
  CHECK(o.err == "archsim capacity: error: --partition, --chunk and --throttle need --executor slurm\n");
  Outcome w = run_archsim({"experiment", write_experiment("description: x\n"), "--wait"});
  CHECK(w.exit_code == 2);
  CHECK(w.err.find("--dry-run and --wait need --executor slurm") != std::string::npos);
  // No sbatch on PATH: an error that says what to do, exit 1, not an internal error.
  const char* path = std::getenv("PATH");
  std::string saved = path ? path : "";
  setenv("PATH", "/nonexistent", 1);
  Outcome f = run_archsim({"failures", topo, "--set", "run.duration=4s", "--executor", "slurm", "--out", topo + ".f"});
  setenv("PATH", saved.c_str(), 1);
  CHECK(f.exit_code == 1);
  CHECK(f.err.find("archsim: error: Slurm: sbatch is not on PATH") != std::string::npos);
  CHECK(f.err.find("internal error") == std::string::npos);
}
