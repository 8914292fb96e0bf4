// `--network auto` against `--network flow` (the reference: SimGrid's flow model carries every
// transfer) at the same seed, on every shipped topology (topologies/*.yaml, globbed: a file added
// later joins) and every point of every shipped experiment (experiments/*.yaml, the points its own
// executor would run), at short durations; bench/agreement.py runs the same comparison at full
// length and prints the table the README quotes.
//
// System under test: auto's contention detection (sim/engine/local_engine.cpp: marked links,
// offered utilization over 20% in a 10 ms window, bursts, large transfers). A link that contends but
// is not handed to SimGrid shows here as auto faster than flow.
// Expectations, per run: throughput within 1%, mean and p99 latency within 2%, every utilization
// (components and region links) within 1 point, the same bottleneck component and resource, every
// fault's outcome (the summary's `faults`, the databases' `failovers`) identical, the request
// accounting closed (generated = completed + failed + in flight) under both and its counts within
// 1%: a short run's last requests are still in flight, and flow's sharing of a link at a few percent
// moves when they finish. Where a design's sample path depends on the order of events (which
// request a component's random draw lands on), a single pair of runs differs by the design's
// run-to-run spread; those cases (kPlans with seeds) compare the averages over several common seeds
// and state the interval they are held to, measured as described there.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Tolerance {
  double throughput = 0.01;   // relative
  double mean = 0.02;         // relative
  double p99 = 0.02;          // relative
  double utilization = 0.01;  // absolute: 1 point
};

// How the runs of one topology (and of the experiment points on it) are shortened, and at which
// seeds they run. A file not listed runs 2 s with 0.5 s of warm-up, or whole when one of its faults
// starts after that (the loader refuses such a fault), as tests/golden_test.cpp does.
struct Plan {
  std::vector<std::string> args;  // after the point's own --set: the shortening wins
  std::vector<int> seeds;         // several: averages over them; none: the file's or point's seed
  Tolerance tol;
};

const std::vector<std::string> kShort = {"--set", "run.duration=2s", "--set", "run.warmup=0.5s"};
const std::vector<std::string> kWhole = {};
const std::vector<std::string> kTenth = {"--set", "run.duration=0.5s", "--set", "run.warmup=0.1s"};

// Wall times are flow's at full length on the 2-core development machine.
const std::map<std::string, Plan> kPlans = {
    // Fault windows and what follows them need the whole run; at 50 to 300 requests/s a whole
    // run under flow takes 0.3 to 2 s. Failover: the primary crashes at 30 s, a replica is chosen at
    // 40 s and takes writes at 45 s. CAP: ap-south cut off 20 s to 50 s, then the replicas
    // converge. Notifications: the provider down 1 s to 21 s. Retry storm: the backend slowed 10 s
    // to 15 s, and the storm outlasts it.
    {"async-failover.yaml", {kWhole, {}, {}}},
    {"payment-failover.yaml", {kWhole, {}, {}}},
    {"cap-payment-ledger.yaml", {kWhole, {}, {}}},
    {"cap-last-seen.yaml", {kWhole, {}, {}}},
    {"notification-service.yaml", {kWhole, {}, {}}},
    {"retry-storm.yaml", {kWhole, {}, {}}},
    // Whole because short runs would miss what they measure, and cheap (flow 0.1 to 2.2 s): the
    // cache's cold start (read-heavy-cache's 4 s warm-up), a post's 30 s fan-out backlog, the feeds'
    // hour (celebrity-threshold's points set 10 min), order events' retries and dead letters.
    {"read-heavy-cache.yaml", {kWhole, {}, {}}},
    {"celebrity-post.yaml", {kWhole, {}, {}}},
    {"twitter-feed.yaml", {kWhole, {}, {}}},
    {"order-events.yaml", {kWhole, {}, {}}},
    {"quorum-tuning.yaml", {kWhole, {}, {}}},
    // The heavy ones, at the default 2 s: three-tier and hockey-stick's points (5k to 25k requests/s:
    // flow 3 to 20 s whole) and the URL shortener's points (10k to 20k requests/s: 3 to 8 s whole).
    {"three-tier.yaml", {kShort, {}, {}}},
    {"url-shortener.yaml", {kShort, {}, {}}},
    // The seed's designs at their real scale (700k reads/s, 500,000 users, the feed's peak): half a
    // second, 0.1 s of warm-up (flow: 12 s, 2 s and 7 s for that; the other checks, tests/real_scale_test.cpp,
    // look at their headlines on longer runs under auto).
    {"read-heavy-cache-700k.yaml", {kTenth, {}, {}}},
    {"postgres-500k-users.yaml", {kTenth, {}, {}}},
    {"twitter-feed-peak.yaml", {kTenth, {}, {}}},
    // The network-bound design: 200 KB images over 1 Gbps NICs, closed-loop readers, whole (the 4 s
    // warm-up is the edges' cold start; flow 0.5 s). Which reader's request a NIC serves first
    // changes the sample path, so one pair of runs differs by the run-to-run spread (mean: per-seed
    // auto - flow differences have a standard deviation of 3.7% over seeds 1-8; throughput 0.8%,
    // p99 0.3%, edge-us's NIC 1.1 points). Over 8 common seeds the averages agree within 0.1%; the
    // 95% interval of an 8-seed average is 2.6% on the mean (held to 3%), 0.5% on the throughput,
    // 0.8 points on edge-us's NIC: within the requirement's 1% and 1 point.
    {"cdn-media.yaml", {kWhole, {1, 2, 3, 4, 5, 6, 7, 8}, {0.01, 0.03, 0.02, 0.01}}},
    // Fan-out to 100 leaves slow 1% of the time: the order requests reach a leaf decides which of
    // them draw its 50 ms, so the mean moves with the run (p99 sits on the 50 ms and agrees within
    // 0.02%; throughput within 0.4%: the arrivals are common). Per-seed auto - flow differences of
    // the mean at 2 s: standard deviation 5.0% over seeds 1-8 (their average +0.4%); at full length
    // 1.4% over seeds 1-5 (average +0.28%, bench/agreement.py --seeds 5). The 95% interval of a
    // 4-seed average at 2 s is 4.9% (held to 5%). Flow 1.3 s, auto 1.2 s per simulated second.
    {"tail-at-scale.yaml", {kShort, {1, 2, 3, 4}, {0.01, 0.05, 0.02, 0.01}}},
};

// The cdn-media variant its header describes (every reader sent to the origin): the origin's NIC
// saturated (about 100%) and the bottleneck under both modes. Its mean is bimodal over seeds
// (about 125 ms or 160 ms, with the throughput a little lower in the first state, under both
// modes), so single runs spread widely: per-seed auto - flow differences over seeds 1-32 have a
// standard deviation of 8.9% on the mean, 8.0% on p99 (the p99 of a 6 s window in which latencies
// reach 2.3 s), 0.86% on the throughput, 0.3 points on the NIC; their averages over the 32 seeds:
// mean -2.0%, p99 +0.9%, throughput -0.2%. The 95% intervals of a 10-seed average: mean 5.5%
// (held to 6%), p99 5.0% (held to 5%), throughput 0.5% (the requirement's 1%).
const std::vector<std::string> kOriginOnly = {
    "--set", "components.readers-us.target=origin", "--set", "components.readers-eu.target=origin",
    "--set", "components.readers-ap.target=origin"};
const Plan kOriginOnlyPlan = {kWhole, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {0.01, 0.06, 0.05, 0.01}};

std::vector<fs::path> shipped(const std::string& folder) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(source_path(folder)))
    if (e.path().extension() == ".yaml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

const Plan& plan_for(const fs::path& topology) {
  static const Plan kDefault = {kShort, {}, {}};
  auto it = kPlans.find(topology.filename().string());
  return it == kPlans.end() ? kDefault : it->second;
}

// One run's figures: the comparison needs only these.
struct Figures {
  double throughput = 0, mean = 0, p99 = 0;
  std::map<std::string, double> utilization;  // component.resource, and "link <name>"
};

Figures figures_of(const json& j) {
  Figures f{j["throughput_rps"].get<double>(), j["latency_ms"]["mean"].get<double>(),
            j["latency_ms"]["p99"].get<double>(), {}};
  for (const auto& [c, v] : j["components"].items())
    if (v.contains("utilization"))
      for (const auto& [r, x] : v["utilization"].items())
        if (!x.is_null()) f.utilization[c + "." + r] = x.get<double>();
  if (j.contains("region_links"))
    for (const auto& [l, v] : j["region_links"].items()) f.utilization["link " + l] = v["utilization"].get<double>();
  return f;
}

Figures average(const std::vector<Figures>& runs) {
  Figures avg;
  for (const auto& r : runs) {
    avg.throughput += r.throughput / runs.size();
    avg.mean += r.mean / runs.size();
    avg.p99 += r.p99 / runs.size();
    for (const auto& [k, x] : r.utilization) avg.utilization[k] += x / runs.size();
  }
  return avg;
}

double rel(double a, double b) { return b == 0 ? std::fabs(a) : std::fabs(a - b) / std::fabs(b); }

// The figures: averages where the plan runs several seeds.
void check_figures(const Figures& a, const Figures& fl, const Tolerance& tol) {
  INFO(fmt::format("throughput auto {} flow {}; mean {} / {} ms; p99 {} / {} ms", a.throughput, fl.throughput, a.mean,
                   fl.mean, a.p99, fl.p99));
  CHECK(rel(a.throughput, fl.throughput) <= tol.throughput);
  CHECK(rel(a.mean, fl.mean) <= tol.mean);
  CHECK(rel(a.p99, fl.p99) <= tol.p99);
  for (const auto& [k, x] : fl.utilization) {
    INFO(k << " utilization: flow " << x << ", auto " << (a.utilization.count(k) ? a.utilization.at(k) : -1));
    REQUIRE(a.utilization.count(k) == 1);
    CHECK(std::fabs(a.utilization.at(k) - x) <= tol.utilization);
  }
  CHECK(a.utilization.size() == fl.utilization.size());
}

json failovers_of(const json& j) {
  json out = json::object();
  for (const auto& [c, v] : j["components"].items())
    if (v.contains("failovers")) out[c] = v["failovers"];
  return out;
}

// The faults with their recovery's verdict (judged, recovered, what sustains it) but not its
// goodput figures, which are measurements like any rate (within a request or two per second).
json faults_of(const json& j) {
  json out = j.value("faults", json::array());
  for (auto& f : out)
    if (f.contains("recovery"))
      for (const char* k : {"goodput_before_rps", "goodput_during_rps", "goodput_at_end_rps"}) f["recovery"].erase(k);
  return out;
}

// What one pair of runs must agree on exactly, whatever the spread.
void check_verdicts(const json& a, const json& fl) {
  CHECK(a["bottleneck"]["component"] == fl["bottleneck"]["component"]);
  CHECK(a["bottleneck"]["resource"] == fl["bottleneck"]["resource"]);
  CHECK(faults_of(a) == faults_of(fl));
  CHECK(failovers_of(a) == failovers_of(fl));
  for (const json* j : {&a, &fl}) {
    const auto& r = (*j)["requests"];
    INFO((*j)["network"]["mode"] << " requests: " << r.dump());
    CHECK(r["generated"].get<uint64_t>() ==
          r["completed"].get<uint64_t>() + r["failed"].get<uint64_t>() + r["in_flight_at_end"].get<uint64_t>());
  }
}

const char* const kCounts[] = {"generated", "completed", "failed", "rejected", "timed_out"};

// The request counts (summed over the seeds) within 1%, or 2 requests.
void check_counts(const std::map<std::string, double>& a, const std::map<std::string, double>& fl) {
  for (const auto& [k, y] : fl) {
    INFO("requests." << k << ": auto " << a.at(k) << ", flow " << y);
    CHECK(std::fabs(a.at(k) - y) <= std::max(2.0, 0.01 * y));
  }
}

struct Case {
  std::string label;
  fs::path topology;
  std::vector<std::string> sets;  // the point's --set pairs, without its seed
  int seed = 0;                   // the point's seed; 0: the file's
  const Plan* plan = nullptr;
};

json run_mode(const Case& c, const char* mode, int seed) {
  auto command = [&](const std::vector<std::string>& shortening) {
    std::vector<std::string> args{"run", c.topology.string(), "--json"};
    args.insert(args.end(), c.sets.begin(), c.sets.end());
    args.insert(args.end(), shortening.begin(), shortening.end());
    if (seed) args.insert(args.end(), {"--seed", std::to_string(seed)});
    args.insert(args.end(), {"--network", mode});
    return args;
  };
  Outcome o = run_archsim(command(c.plan->args));
  // The default shortening: whole when a fault starts after the short run (the loader says so).
  if (c.plan->args == kShort && o.exit_code == 2 && o.err.find("after the run ends") != std::string::npos)
    o = run_archsim(command(kWhole));
  INFO("stderr: " << o.err);
  REQUIRE(o.exit_code == 0);
  return json::parse(o.out);
}

// The same run once: an experiment point without overrides at its topology's own seed is the
// topology's run (cache-vs-replicas' cache, cap-cp-vs-ap's variants, constraint-mutations' baseline).
std::map<std::string, std::string>& already_compared() {
  static std::map<std::string, std::string> done;
  return done;
}

std::string key_of(const Case& c, int seed) {
  std::string key = fs::weakly_canonical(c.topology).string();
  for (const auto& s : c.sets) key += " " + s;
  return key + " --seed " + std::to_string(seed);
}

void compare(const Case& c) {
  INFO(c.label);
  std::vector<int> seeds = c.plan->seeds.empty() ? std::vector<int>{c.seed} : c.plan->seeds;
  if (seeds.size() == 1) {
    auto it = already_compared().find(key_of(c, seeds[0]));
    if (it != already_compared().end()) {
      SUCCEED(c.label << ": the same run as " << it->second);
      return;
    }
  }
  std::vector<Figures> auto_runs, flow_runs;
  std::map<std::string, double> auto_counts, flow_counts;
  for (int seed : seeds) {
    INFO("seed " << (seed ? std::to_string(seed) : "of the file"));
    json a = run_mode(c, "auto", seed);
    json fl = run_mode(c, "flow", seed);
    check_verdicts(a, fl);
    for (const char* k : kCounts) {
      auto_counts[k] += a["requests"][k].get<double>();
      flow_counts[k] += fl["requests"][k].get<double>();
    }
    auto_runs.push_back(figures_of(a));
    flow_runs.push_back(figures_of(fl));
    if (seeds.size() == 1) already_compared()[key_of(c, a["seed"].get<int>())] = c.label;
  }
  check_figures(average(auto_runs), average(flow_runs), c.plan->tol);
  check_counts(auto_counts, flow_counts);
}

// An experiment's points as its executor runs them (replication 1): `--executor slurm --dry-run`
// writes each run's command to slurm/runs.tsv without running anything.
std::vector<Case> experiment_points(const fs::path& experiment) {
  std::string out = write_temp("marker", "") + ".exp";
  Outcome o = run_archsim({"experiment", experiment.string(), "--executor", "slurm", "--dry-run", "--replications",
                           "1", "--out", out});
  INFO(experiment << ": " << o.err);
  REQUIRE(o.exit_code == 0);
  std::ifstream tsv(fs::path(out) / "slurm" / "runs.tsv");
  std::vector<Case> cases;
  for (std::string line; std::getline(tsv, line);) {
    std::istringstream words(line.substr(line.find('\t') + 1));
    std::vector<std::string> w;
    for (std::string s; words >> s;) w.push_back(s);
    REQUIRE(w.size() >= 7);
    REQUIRE(w[1] == "run");
    Case c;
    c.topology = w[2];
    for (size_t i = 3; i + 1 < w.size(); i += 2) {
      if (w[i] == "--set") c.sets.insert(c.sets.end(), {w[i], w[i + 1]});
      else if (w[i] == "--seed") c.seed = std::stoi(w[i + 1]);
      else REQUIRE(w[i] == "--out");
    }
    fs::path folder = line.substr(0, line.find('\t'));
    c.label = experiment.filename().string() + ": " + folder.parent_path().filename().string();
    c.plan = &plan_for(c.topology);
    cases.push_back(c);
  }
  fs::remove_all(out);
  REQUIRE(!cases.empty());
  return cases;
}

}  // namespace

TEST_CASE("Agreement: the plans name shipped topologies", "[agreement]") {
  for (const auto& [file, plan] : kPlans) {
    INFO(file);
    CHECK(fs::exists(source_path("topologies/" + file)));
  }
}

TEST_CASE("Agreement: every shipped topology gives the same answers under auto as under flow", "[agreement]") {
  for (const auto& t : shipped("topologies")) compare({t.filename().string(), t, {}, 0, &plan_for(t)});
  // The network-bound variant of cdn-media: the origin's NIC saturated.
  fs::path cdn = source_path("topologies/cdn-media.yaml");
  compare({"cdn-media.yaml, every reader at the origin", cdn, kOriginOnly, 0, &kOriginOnlyPlan});
  // Then every experiment point: a point that is a topology's own run above is not run again.
  for (const auto& e : shipped("experiments"))
    for (const auto& c : experiment_points(e)) compare(c);
}

TEST_CASE("Agreement: same seed, same bytes, under auto and under flow", "[agreement][determinism]") {
  // cdn-media: SimGrid carries nearly every transfer under auto (the edges' NICs and region links),
  // so both carriers' event orders are exercised; network_modes_test checks auto on tail-at-scale.
  const std::string f = source_path("topologies/cdn-media.yaml");
  for (const char* mode : {"auto", "flow"}) {
    INFO(mode);
    std::vector<std::string> args{"run", f, "--network", mode, "--json", "--set", "run.duration=6s"};
    Outcome first = run_archsim(args);
    Outcome second = run_archsim(args);
    REQUIRE(first.exit_code == 0);
    CHECK(first.out == second.out);
  }
}
