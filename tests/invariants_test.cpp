// Invariants that hold for every run, whatever the topology: every request is accounted for
// exactly once, failures add up, and a run is a pure function of its file and seed.
//
// (That memory does not grow with the number of requests is a benchmark matter, not tested here.)
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/run_helpers.hpp"

using archsim::testing::run_archsim;
using archsim::testing::run_json;
using archsim::testing::run_once;
using archsim::testing::source_path;
using archsim::testing::topology;
using nlohmann::json;

namespace {


int64_t count(const json& j, const char* key) { return j.at(key).get<int64_t>(); }

// The accounting identities of the summary (docs/outputs.md):
//   requests.generated = completed + failed + in_flight_at_end   (every request ends exactly once)
//   requests.failed    = rejected + timed_out + other failures   (none of the topologies here has
//                        a failure source other than full queues and timeouts, so other = 0)
//   latency_ms.count   = requests.completed                      (latencies are of completed requests)
// and at each component, the requests that arrived in the window ended at most once:
//   arrivals >= completed + failed + rejected.
void check_accounting(const json& s) {
  INFO("requests: " << s.at("requests").dump());
  const json& r = s.at("requests");
  CHECK(count(r, "generated") > 0);
  CHECK(count(r, "generated") == count(r, "completed") + count(r, "failed") + count(r, "in_flight_at_end"));
  CHECK(count(r, "failed") == count(r, "rejected") + count(r, "timed_out"));
  CHECK(count(s.at("latency_ms"), "count") == count(r, "completed"));
  for (const auto& [name, c] : s.at("components").items()) {
    INFO("component " << name << ": " << c.dump());
    CHECK(count(c, "arrivals") >= count(c, "completed") + count(c, "failed") + count(c, "rejected"));
  }
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Fresh temporary directories, removed when the test program exits.
std::string fresh_dir() {
  struct Cleanup {
    std::vector<std::string> dirs;
    ~Cleanup() {
      std::error_code ec;
      for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    }
  };
  static Cleanup cleanup;
  char tpl[] = "/tmp/archsim-invariants-XXXXXX";
  REQUIRE(mkdtemp(tpl) != nullptr);
  cleanup.dirs.push_back(tpl);
  return tpl;
}

// Runs `archsim run FILE --json --out DIR extra...` into a fresh DIR; returns DIR and stdout.
std::pair<std::string, std::string> run_out(const std::string& file, const std::vector<std::string>& extra) {
  std::string dir = fresh_dir() + "/out";
  std::vector<std::string> args{"run", file, "--json", "--out", dir};
  args.insert(args.end(), extra.begin(), extra.end());
  auto o = run_archsim(args);
  INFO("stderr: " << o.err);
  REQUIRE(o.exit_code == 0);
  return {dir, o.out};
}

}  // namespace

// Systems under consideration:
//   topologies/three-tier.yaml (the demo: load balancer, 8 app servers, cache, database) for 3 s
//     after a 1 s warm-up, at 20k/s: nothing fails, requests are still in flight at the end;
//   tests/topologies/overload.yaml: 2000/s into a front end that calls a 1000/s server with room
//     for 10 waiting requests: about half are rejected deep in the call chain;
//   tests/topologies/timeout.yaml: an M/M/1 server at ρ = 0.9 (mean sojourn 10 ms) whose client
//     gives up after 5 ms: most requests time out.
// Expectations: in every run, generated = completed + failed + in_flight_at_end and
//   failed = rejected + timed_out exactly; latency_ms.count = completed; at each component
//   arrivals >= completed + failed + rejected. Plus, per run:
//   overload: the client's rejections are the server's (a rejection travels back up the chain),
//     and their share is the M/M/1/K blocking probability (1-ρ)ρ^K/(1-ρ^(K+1)) = 2048/4095 for
//     ρ = 2, K = 11, within 2%;
//   timeout: a timed-out request is counted once, as timed out, even though the server goes on
//     to answer it: the server completes every request the client generated.
TEST_CASE("Invariants: every request is completed, failed or in flight at the end, exactly once", "[invariants]") {
  SECTION("a healthy multi-tier run accounts for every request") {
    const json& s = run_once(source_path("topologies/three-tier.yaml"),
                             {"--set", "run.duration=3s", "--set", "run.warmup=1s"});
    check_accounting(s);
    CHECK(count(s["requests"], "failed") == 0);
    CHECK(count(s["requests"], "in_flight_at_end") > 0);
  }

  SECTION("an overloaded server with a short queue rejects requests, and they are counted as failed") {
    const json& s = run_once(topology("overload.yaml"));
    check_accounting(s);
    const json& r = s["requests"];
    CHECK(count(r, "rejected") > 0);
    CHECK(count(r, "timed_out") == 0);
    // The rejections happen at `server`; `front` passes them back to the client.
    CHECK(static_cast<double>(count(r, "rejected")) ==
          Approx(static_cast<double>(count(s["components"]["server"], "rejected"))).epsilon(0.001));
    CHECK(count(s["components"]["front"], "failed") == count(s["components"]["server"], "rejected"));
    const double rho = 2;
    const int K = 11;
    double blocking = (1 - rho) * std::pow(rho, K) / (1 - std::pow(rho, K + 1));
    REQUIRE(blocking == Approx(2048.0 / 4095));
    double rejected_share = static_cast<double>(count(r, "rejected")) / static_cast<double>(count(r, "generated"));
    CHECK(rejected_share == Approx(blocking).epsilon(0.02));
  }

  SECTION("a client with a short timeout counts late requests as timed out, once") {
    const json& s = run_once(topology("timeout.yaml"));
    check_accounting(s);
    const json& r = s["requests"];
    CHECK(count(r, "rejected") == 0);
    CHECK(count(r, "timed_out") > count(r, "generated") / 2);
    CHECK(count(r, "completed") > 0);
    // The server answered the requests the client had given up on, too.
    CHECK(static_cast<double>(count(s["components"]["server"], "completed")) ==
          Approx(static_cast<double>(count(r, "generated"))).epsilon(0.001));
  }
}

// System under consideration: topologies/three-tier.yaml for 2 s after a 0.5 s warm-up (every
// kind of component, replicas, Zipf keys, lognormal CPU), written with --out DIR.
// Expectations: the same file and seed give byte-identical summary.json (and CSV and DOT) files,
//   and the summary printed by --json is the summary.json written; another --seed gives a
//   different summary.json.
TEST_CASE("Invariants: a run is determined by its file and seed", "[invariants]") {
  const std::string file = source_path("topologies/three-tier.yaml");
  const std::vector<std::string> shorter{"--set", "run.duration=2s", "--set", "run.warmup=0.5s"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), shorter.begin(), shorter.end());
    return extra;
  };
  // Run once, shared by the sections.
  static const auto [dir_a, out_a] = run_out(file, with({}));
  static const std::string dir_b = run_out(file, with({})).first;

  SECTION("the same file and seed run twice give byte-identical output files") {
    for (const char* name :
         {"summary.json", "components.csv", "latency_histogram.csv", "timeseries.csv", "topology.dot"}) {
      INFO(name);
      std::string a = slurp(dir_a + "/" + name), b = slurp(dir_b + "/" + name);
      CHECK(!a.empty());
      CHECK(a == b);
    }
  }
  SECTION("the summary printed with --json is the summary.json written with --out") {
    CHECK(out_a == slurp(dir_a + "/summary.json"));
  }
  SECTION("another seed gives a different summary") {
    auto [dir_c, out_c] = run_out(file, with({"--seed", "2"}));
    std::string a = slurp(dir_a + "/summary.json"), c = slurp(dir_c + "/summary.json");
    CHECK(a != c);
    CHECK(json::parse(a)["seed"] == 1);
    CHECK(json::parse(c)["seed"] == 2);
  }
}
