// `archsim capacity`: the largest load multiplier at which the SLOs hold, the wall behind it, and
// the ladder of walls once each is relieved, against knees known in closed form.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>

#include "sim/experiment/capacity.hpp"
#include "sim/support/location.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;
using namespace archsim::testing;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Erlang C: P(wait) in M/M/c with offered load a = lambda / mu.
double erlang_c(int c, double a) {
  double term = 1, sum = 1;
  for (int k = 1; k < c; ++k) sum += term *= a / k;
  double last = term * a / c * c / (c - a);
  return last / (sum + last);
}

// P(sojourn > t) in FCFS M/M/c: no wait with probability 1 - C, else an Exp(c mu - lambda) wait
// before the Exp(mu) service.
double sojourn_tail(double lambda, double mu, int c, double t) {
  double C = erlang_c(c, lambda / mu), th = c * mu - lambda;
  double both = (mu * std::exp(-th * t) - th * std::exp(-mu * t)) / (mu - th);
  return (1 - C) * std::exp(-mu * t) + C * both;
}

double bisect(double lo, double hi, const std::function<bool(double)>& below) {
  for (int i = 0; i < 100; ++i) {
    double mid = (lo + hi) / 2;
    (below(mid) ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace

TEST_CASE("Capacity: SLOs are read as written, and a bad one is refused with what a good one looks like",
          "[capacity]") {
  Slo p = parse_slo("p99<=50ms");
  CHECK(p.metric == "latency");
  CHECK(p.stat == "p99");
  CHECK(p.limit == Approx(50));
  Slo t = parse_slo("read.p99.9<=2s");
  CHECK(t.type == "read");
  CHECK(t.stat == "p999");
  CHECK(t.limit == Approx(2000));
  CHECK(parse_slo("errors<=0.1%").limit == Approx(0.001));
  Slo a = parse_slo("availability>=99.9%");
  CHECK_FALSE(a.at_most);
  CHECK(a.limit == Approx(0.999));
  CHECK_THROWS_WITH(parse_slo("p99<50ms"), Catch::StartsWith("--slo p99<50ms: error: no '<=' or '>='"));
  CHECK_THROWS_WITH(parse_slo("p42<=1ms"), Catch::Contains("'p42' is not a latency statistic"));
  CHECK_THROWS_WITH(parse_slo("errors>=1%"), Catch::Contains("errors take '<='"));
  CHECK_THROWS_WITH(parse_slo("availability>=120%"), Catch::Contains("not between 0 and 100%"));

  Outcome o = run_archsim({"capacity", topology("mmc.yaml"), "--slo", "p99<=fast"});
  CHECK(o.exit_code == 2);
  CHECK(o.out.empty());
  CHECK_THAT(o.err, Catch::StartsWith("--slo p99<=fast: error: 'fast' is not a duration"));
}

// System under consideration: tests/topologies/mmc.yaml, M/M/4 FCFS (4 workers on 4 cores, an
// unbounded queue), exponential service of mean 1 ms, Poisson arrivals at 3000/s; the SLO p99 <= 5 ms.
// Expectation: the p99 of the sojourn crosses 5 ms at the lambda solving P(T > 5 ms) = 1%, from
// Erlang C (about 2425/s: 0.808x); the search's bracket, 5% wide, holds it within the noise of 20 s
// runs (2% of the multiplier either side); the analytic view puts the cores' saturation at 4/3x.
TEST_CASE("Capacity: an M/M/c service's knee is where Erlang C puts its p99 on the SLO", "[capacity]") {
  const double mu = 1000, base = 3000;
  double knee = bisect(100, 3999, [&](double lambda) { return sojourn_tail(lambda, mu, 4, 0.005) <= 0.01; }) / base;
  REQUIRE(knee == Approx(0.8083).epsilon(0.002));
  std::string out = write_temp("cap-mmc", "") + ".d";
  Outcome o = run_archsim({"capacity", topology("mmc.yaml"), "--slo", "p99<=5ms", "--set", "run.duration=20s", "--set",
                           "run.warmup=2s", "--precision", "5%", "--out", out, "--jobs", "2"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  nlohmann::json j = read_json(out + "/capacity.json");
  REQUIRE(j["rungs"].size() == 1);
  const auto& k = j["rungs"][0]["knee"];
  INFO(k.dump());
  CHECK(k["holds_at"].get<double>() <= knee * 1.02);
  CHECK(k["fails_at"].get<double>() >= knee * 0.98);
  CHECK(k["fails_at"].get<double>() / k["holds_at"].get<double>() <= 1.0 + 0.05 * 2);
  CHECK(j["rungs"][0]["analytic"]["multiplier"].get<double>() == Approx(4.0 / 3).epsilon(1e-3));
  CHECK_THAT(o.out, Catch::Contains("capacity of mmc under p99<=5ms"));
  CHECK_THAT(o.out, Catch::Contains("reproduce: archsim run "));
}

// System under consideration: topologies/three-tier.yaml (20k/s; 8 app servers x 4 cores at 1.49 ms
// of CPU per request), 4 s runs. Expectation: the app CPU is the wall, at or just below the
// analytic view's saturation, 21,461 req/s (1.073x); the design as given (1x) meets p99 <= 50 ms.
TEST_CASE("Capacity: three-tier breaks at its app CPU, just below 21.5k req/s", "[capacity]") {
  std::string out = write_temp("cap-3t", "") + ".d";
  Outcome o = run_archsim({"capacity", source_path("topologies/three-tier.yaml"), "--slo", "p99<=50ms", "--set",
                           "run.duration=4s", "--set", "run.warmup=1s", "--out", out, "--jobs", "2"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  nlohmann::json j = read_json(out + "/capacity.json");
  const auto& r = j["rungs"][0];
  CHECK(r["wall"]["component"] == "app");
  CHECK(r["wall"]["resource"] == "cpu");
  CHECK(r["analytic"]["multiplier"].get<double>() == Approx(1.073).epsilon(0.002));
  CHECK(r["knee"]["holds_at"].get<double>() >= 1.0);
  CHECK(r["knee"]["fails_at"].get<double>() <= 1.075);
  CHECK(r["probes"][0]["multiplier"] == 1.0);
  CHECK(r["probes"][0]["holds"] == true);
}

// System under consideration: app (4 cores, exponential 1 ms of CPU: 4000/s) in front of a
// database (3 I/O channels, exponential 0.5 ms reads: 6000/s), offered 3000/s. Expectations: the
// first wall is app's CPU below 4/3x; the relief doubles app's replicas (8000/s), and the second
// wall is the database's disk, below 2x (6000/s) and above 1.8x. Run again into the same folder,
// every probe is read back, not run, and capacity.json is byte-identical.
TEST_CASE("Capacity: the ladder relieves the first wall and finds the second; a rerun resumes", "[capacity]") {
  std::string yaml =
      "name: two-walls\ncomponents:\n"
      "  users: {kind: client, arrival: {process: poisson, rate: 3000/s}, requests: {get: {weight: 1}}, target: app}\n"
      "  app: {kind: service, cores: 4, cpu: {dist: exponential, mean: 1ms}, calls: [db]}\n"
      "  db: {kind: database, io_parallelism: 3, read: {io: {dist: exponential, mean: 0.5ms}}}\n"
      "run: {duration: 6s, warmup: 1s}\n";
  std::string file = write_temp("two-walls.yaml", yaml);
  std::string out = file + ".cap";
  std::vector<std::string> args{"capacity", file, "--slo", "p99<=50ms", "--steps", "2", "--out", out, "--jobs", "2"};
  Outcome o = run_archsim(args);
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  nlohmann::json j = read_json(out + "/capacity.json");
  REQUIRE(j["rungs"].size() == 2);
  const auto& first = j["rungs"][0];
  CHECK(first["wall"]["component"] == "app");
  CHECK(first["wall"]["resource"] == "cpu");
  CHECK(first["knee"]["fails_at"].get<double>() <= 4.0 / 3 + 1e-6);
  CHECK(first["knee"]["holds_at"].get<double>() >= 1.1);
  const auto& second = j["rungs"][1];
  CHECK(second["relief"] == "app replicas 1 -> 2");
  CHECK(second["sets"][0] == "components.app.replicas=2");
  CHECK(second["wall"]["component"] == "db");
  CHECK(second["wall"]["resource"] == "io");
  CHECK(second["knee"]["fails_at"].get<double>() <= 2.0 + 1e-6);
  CHECK(second["knee"]["holds_at"].get<double>() >= 1.8);
  CHECK(second["analytic"]["multiplier"].get<double>() == Approx(2.0).epsilon(1e-3));
  CHECK_THAT(j["ladder"].get<std::string>(), Catch::Contains("app cpu -> app replicas 1 -> 2 -> ") &&
                                                 Catch::EndsWith("db io"));
  std::string before = slurp(out + "/capacity.json");

  Outcome again = run_archsim(args);
  REQUIRE(again.exit_code == 0);
  CHECK(again.err.find("run now") != std::string::npos);
  CHECK(again.err.find("(0 run now") != std::string::npos);
  CHECK(again.err.find("(1 run now") == std::string::npos);
  CHECK(slurp(out + "/capacity.json") == before);
  CHECK(again.out == o.out);
}

TEST_CASE("Capacity: a trace replay cannot be scaled, and says so at its line", "[capacity]") {
  std::string trace = write_temp("cap-trace.csv", "t_s\n0.1\n0.2\n");
  std::string yaml =
      "name: replay\ncomponents:\n"
      "  users: {kind: client, arrival: {process: trace, file: " + trace + "}, requests: {get: {weight: 1}}, target: app}\n"
      "  app: {kind: service, cpu: 1ms}\n"
      "run: {duration: 2s, warmup: 0.5s}\n";
  std::string file = write_temp("cap-trace.yaml", yaml);
  Outcome o = run_archsim({"capacity", file, "--slo", "p99<=50ms"});
  CHECK(o.exit_code == 2);
  CHECK_THAT(o.err, Catch::StartsWith(file + ":3:") && Catch::Contains("replays a trace"));
}

// System under consideration: two Poisson clients, a and b, at 100/s each, into one M/M/1 server
// (exponential CPU, mean 2 ms: mu = 500/s), no network time; SLO p99 <= 40 ms. An M/M/1's sojourn
// time is exponential with rate mu - lambda, so its p99 is ln(100) / (mu - lambda) and the SLO holds
// while lambda <= mu - ln(100) / 40 ms = 384.9/s. Expectations, from that closed form:
//   every client's load scaled (the default): 200 m <= 384.9, m = 1.924; analytic rho = 1 at 2.5x;
//   `--scale a`: 100 m + 100 <= 384.9, m = 2.849; analytic 4x; b's rate stays 100/s;
//   `--scale components.server.cpu` (the demand, not the load): 500 / m - 200 >= 115.1, m = 1.587;
//   analytic 2.5x; the offered rate stays 200/s.
// The search's bracket must hold each knee (20 s runs, precision 5%).
TEST_CASE("Capacity: --scale multiplies one client's load, or any number, and the knee follows the closed form",
          "[capacity]") {
  const std::string yaml =
      "name: two\nnetwork: {intra_region_rtt: 0}\ncomponents:\n"
      "  a: {kind: client, arrival: {process: poisson, rate: 100/s}, requests: {get: {request_size: 0B, "
      "response_size: 0B}}, target: server}\n"
      "  b: {kind: client, arrival: {process: poisson, rate: 100/s}, requests: {get: {request_size: 0B, "
      "response_size: 0B}}, target: server}\n"
      "  server: {kind: service, cores: 1, workers: 1, queue: unbounded, cpu: {dist: exponential, mean: 2ms}}\n"
      "run: {duration: 20s, warmup: 2s}\n";
  const std::string file = write_temp("cap-two.yaml", yaml);
  const double lambda_max = 500 - std::log(100.0) / 0.040;
  struct Case {
    std::vector<std::string> scale;
    double knee, analytic, offered_at_1x;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{}, lambda_max / 200, 2.5, 200, "the multiplier scales every client's load"},
      {{"--scale", "a"}, (lambda_max - 100) / 100, 4.0, 200, "the multiplier scales a's load"},
      {{"--scale", "components.server.cpu.mean"}, 500 / (200 + std::log(100.0) / 0.040), 2.5, 200,
       "the multiplier scales components.server.cpu.mean"},
  };
  for (const auto& c : cases) {
    std::string out = write_temp("cap-two", "") + ".d" + std::to_string(&c - cases.data());
    std::vector<std::string> args{"capacity", file, "--slo", "p99<=40ms", "--precision", "5%", "--out", out,
                                  "--jobs", "2"};
    args.insert(args.end(), c.scale.begin(), c.scale.end());
    Outcome o = run_archsim(args);
    INFO(c.says << "\n" << o.err);
    REQUIRE(o.exit_code == 0);
    CHECK_THAT(o.out, Catch::Contains(c.says));
    nlohmann::json j = read_json(out + "/capacity.json");
    const auto& k = j["rungs"][0]["knee"];
    INFO(k.dump());
    CHECK(k["holds_at"].get<double>() <= c.knee * 1.03);
    CHECK(k["fails_at"].get<double>() >= c.knee * 0.97);
    CHECK(j["rungs"][0]["analytic"]["multiplier"].get<double>() == Approx(c.analytic).epsilon(2e-3));
    // The probe at 1x offers what the design does; a probe's command carries its scaled value.
    for (const auto& p : j["rungs"][0]["probes"]) {
      if (p["multiplier"].get<double>() != 1) continue;
      CHECK(p["offered_rps"].get<double>() == Approx(c.offered_at_1x));
    }
  }
  SECTION("what cannot be scaled is refused, naming where") {
    Outcome none = run_archsim({"capacity", file, "--slo", "p99<=40ms", "--scale", "c"});
    CHECK(none.exit_code == 2);
    CHECK(none.err == "--scale c: error: no client 'c' (the clients: a, b); or give the path of a number to scale, "
                      "such as components.a.arrival.rate\n");
    Outcome word = run_archsim({"capacity", file, "--slo", "p99<=40ms", "--scale", "components.server.kind"});
    CHECK(word.exit_code == 2);
    CHECK_THAT(word.err, Catch::StartsWith(file + ":6:18: error: --scale components.server.kind: 'service' is not a "
                                                  "number"));
    Outcome map = run_archsim({"capacity", file, "--slo", "p99<=40ms", "--scale", "components.server.cpu"});
    CHECK(map.exit_code == 2);
    CHECK_THAT(map.err, Catch::Contains("error: --scale components.server.cpu: 'components.server.cpu' is a map"));
    Outcome unwritten = run_archsim({"capacity", file, "--slo", "p99<=40ms", "--scale", "components.server.replicas"});
    CHECK(unwritten.exit_code == 2);
    CHECK_THAT(unwritten.err, Catch::Contains("is not written in the topology"));
  }
}

// System under consideration: a service with 300 cores, scaled by --scale components.app.cores:
// more cores only help, so every probe holds until the cores pass the kind's limit of 1024 at 4x
// and the probe cannot run (the loader refuses it). Expectation: that probe is not counted as the
// SLO failing: the knee is ">= 2x (4x did not run)", no wall is named, the note says why, and the
// exit code says a run failed.
TEST_CASE("Capacity: a probe that cannot run stops the search and says so, rather than count as a failure",
          "[capacity]") {
  std::string file = write_temp(
      "cap-unrun.yaml",
      "name: unrun\ncomponents:\n"
      "  users: {kind: client, arrival: {process: poisson, rate: 100/s}, requests: {get: {weight: 1}}, target: app}\n"
      "  app: {kind: service, cores: 300, cpu: 1ms}\n"
      "run: {duration: 2s, warmup: 0.5s}\n");
  std::string out = write_temp("cap-unrun", "") + ".d";
  Outcome o = run_archsim({"capacity", file, "--slo", "p99<=50ms", "--scale", "components.app.cores", "--out", out,
                           "--jobs", "2"});
  INFO(o.err);
  CHECK(o.exit_code == 3);
  nlohmann::json j = read_json(out + "/capacity.json");
  const auto& r = j["rungs"][0];
  INFO(r.dump(2));
  CHECK(r["knee"]["holds_at"] == 2.0);
  CHECK(r["knee"]["fails_at"].is_null());
  CHECK(r["knee"]["text"] == ">= 2x (4x did not run)");
  CHECK_FALSE(r.contains("wall"));
  CHECK_THAT(r["note"].get<std::string>(), Catch::StartsWith("the probe at 4x could not run, so nothing is known beyond 2x"));
  CHECK(j["ladder"] == ">= 2x (4x did not run)");
}

// The same M/M/4 searched with --parallel-probes 3: each round runs three probes splitting the
// bracket into four (in a folder named after the bracket), and the bracket found still holds
// Erlang C's knee, 0.8083x.
TEST_CASE("Capacity: --parallel-probes bisects with several probes a round and still brackets the knee",
          "[capacity]") {
  std::string out = write_temp("cap-mmc-k", "") + ".d";
  Outcome o = run_archsim({"capacity", topology("mmc.yaml"), "--slo", "p99<=5ms", "--set", "run.duration=20s", "--set",
                           "run.warmup=2s", "--precision", "5%", "--parallel-probes", "3", "--out", out, "--jobs", "2"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  nlohmann::json j = read_json(out + "/capacity.json");
  const auto& k = j["rungs"][0]["knee"];
  INFO(k.dump());
  CHECK(k["holds_at"].get<double>() <= 0.8083 * 1.02);
  CHECK(k["fails_at"].get<double>() >= 0.8083 * 0.98);
  // Bracketed by halving from 1x to [0.5x, 1x); the first round probes the three points between.
  CHECK(std::filesystem::exists(out + "/rung1/x0.5-x1/points/x0.5946/r1/summary.json"));
  CHECK(std::filesystem::exists(out + "/rung1/x0.5-x1/points/x0.8409/r1/summary.json"));
}
