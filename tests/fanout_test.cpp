// Call-tree fan-out at scale: the tail at scale, partial results and hedged requests.
#include <catch2/catch.hpp>
#include <stdlib.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;

namespace {

std::string temp_dir() {
  char tpl[] = "/tmp/archsim-fanout-XXXXXX";
  return mkdtemp(tpl);
}

// Per request type: the fraction of requests slower than `threshold_ms`, from latency_histogram.csv.
std::map<std::string, double> slow_fractions(const std::string& dir, double threshold_ms) {
  std::ifstream in(dir + "/latency_histogram.csv");
  std::string line;
  std::getline(in, line);  // type,low_ms,high_ms,count
  std::map<std::string, double> slow, total;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string type, lo, hi, n;
    std::getline(ss, type, ',');
    std::getline(ss, lo, ',');
    std::getline(ss, hi, ',');
    std::getline(ss, n, ',');
    total[type] += std::stod(n);
    if (std::stod(lo) >= threshold_ms) slow[type] += std::stod(n);
  }
  std::map<std::string, double> out;
  for (const auto& [type, n] : total) out[type] = slow[type] / n;
  return out;
}

}  // namespace

TEST_CASE("tail-at-scale: the slow fraction follows 1 - 0.99^N; partial results and hedging cut the tail",
          "[fanout]") {
  // System under consideration: topologies/tail-at-scale.yaml (on the in-process engine, for
  // speed: ~5,000 requests per type and 1.6M leaf calls): one root fans out to N of 100
  // leaves; a leaf holds a request 0.5-1.5 ms, but 50 ms 1% of the time, without contention.
  // Expectations: a request is slow (over 10 ms) when any of its N leaves is slow:
  //   N = 1: 1%, N = 10: 9.56%, N = 100: 63.4% (each within 2 points);
  //   waiting for 95 of 100: slow only when 6 or more of 100 are slow (P = 0.05%): under 0.5%;
  //   hedged after the p95: a slot is slow only if original and backup both are (1e-4), so
  //   N = 10 hedged is slow 0.1% of the time and its p99 drops from ~50 ms to a few ms; N = 100
  //   hedged is slow ~1% of the time instead of 63%. The backups cost about 5% extra leaf calls.
  std::string dir = temp_dir();
  auto o = run_archsim({"run", source_path("topologies/tail-at-scale.yaml"), "--engine", "local", "--json", "--out", dir});
  REQUIRE(o.exit_code == 0);
  auto j = nlohmann::json::parse(o.out);
  auto f = slow_fractions(dir, 10.0);
  for (auto [type, n] : std::map<std::string, int>{{"n1", 1}, {"n10", 10}, {"n100", 100}}) {
    INFO(type << ": slow fraction " << f[type]);
    CHECK(f[type] == Approx(1 - std::pow(0.99, n)).margin(0.02));
  }
  CHECK(f["n100_wait95"] < 0.005);
  CHECK(f["n10_hedged"] < 0.005);
  CHECK(f["n100_hedged"] < 0.02);
  auto lat = j["latency_ms"]["by_type"];
  CHECK(lat["n10"]["p99"].get<double>() > 50);
  CHECK(lat["n10_hedged"]["p99"].get<double>() < 10);
  CHECK(lat["n100_hedged"]["p95"].get<double>() < 10);
  CHECK(lat["n100"]["p95"].get<double>() > 50);
  auto root = j["components"]["root"];
  double sent = root["downstream_calls"]["sent"], backups = root["downstream_calls"]["backups"];
  INFO("leaf calls " << sent << ", backups " << backups);
  CHECK(backups / (sent - backups) > 0.005);
  CHECK(backups / (sent - backups) < 0.15);
}

TEST_CASE("fanout: the short form {to: leaf, fanout: N} and the map form call the same leaves", "[fanout]") {
  // System under consideration: a root fanning out to 4 of 4 constant 1 ms leaves, written both ways.
  // Expectations: the same latency (0.5 ms hop + 1 ms root->leaf rtt+delay) and 4 leaf calls per request.
  auto yaml = [](const std::string& call) {
    return "name: f\ncomponents:\n  users: {kind: client, arrival: {process: constant, rate: 100/s}, requests: {r: {weight: 1}}, target: root}\n"
           "  root: {kind: service, calls: [" + call + "]}\n"
           "  leaf: {kind: service, replicas: 4, delay: 1ms}\nrun: {duration: 3s, warmup: 1s}\n";
  };
  auto a = run_json(write_temp("short.yaml", yaml("{to: leaf, fanout: 4}")));
  auto b = run_json(write_temp("map.yaml", yaml("{fanout: {to: leaf, count: 4}}")));
  CHECK(a["latency_ms"]["mean"].get<double>() == Approx(b["latency_ms"]["mean"].get<double>()).epsilon(1e-9));
  CHECK(a["latency_ms"]["mean"].get<double>() == Approx(2.0).epsilon(0.01));
  CHECK(a["components"]["leaf"]["throughput_rps"].get<double>() == Approx(400).epsilon(0.01));
  CHECK(b["components"]["leaf"]["throughput_rps"].get<double>() == Approx(400).epsilon(0.01));
}

TEST_CASE("fanout: a fixed hedge delay sends a backup only for answers later than it", "[fanout]") {
  // System under consideration: one call to a 2-replica leaf whose delay is 1 ms 90% of the time
  // and 20 ms 10% of the time, hedged after 5 ms.
  // Expectations: 10% of the calls get a backup (within 2 points); the backup is slow with 10%
  // probability, so 1% of the requests stay slow (over 10 ms) instead of 10%; late answers
  // (the losers) are counted.
  std::string yaml =
      "name: h\ncomponents:\n  users: {kind: client, arrival: {process: poisson, rate: 2k/s}, requests: {r: {weight: 1}}, target: root}\n"
      "  root: {kind: service, calls: [{to: leaf, hedge: {after: 5ms}}]}\n"
      "  leaf: {kind: service, replicas: 2, delay: {dist: empirical, values: [[1ms, 0.9], [20ms, 0.1]]}}\n"
      "run: {duration: 6s, warmup: 1s}\n";
  std::string dir = temp_dir();
  auto o = run_archsim({"run", write_temp("hedge.yaml", yaml), "--json", "--out", dir});
  REQUIRE(o.exit_code == 0);
  auto j = nlohmann::json::parse(o.out);
  auto calls = j["components"]["root"]["downstream_calls"];
  double sent = calls["sent"], backups = calls["backups"];
  CHECK(backups / (sent - backups) == Approx(0.10).margin(0.02));
  CHECK(slow_fractions(dir, 10.0)["r"] == Approx(0.01).margin(0.006));
  CHECK(calls["late_answers"].get<double>() > 0.5 * backups);
}

TEST_CASE("fanout: tied requests cut the queueing tail at little extra work", "[fanout]") {
  // System under consideration: a root calling one of 10 single-worker leaves (exponential 1 ms
  // service) at 5,000 calls/s: each leaf is ~50% busy, an M/M/1-like queue whose p99 response is
  // about ln(100) / (1000/s - 500/s) = 9 ms. Half the requests are plain, half tied: sent to two
  // leaves at once, the first copy to get a worker cancels the other if it still waits.
  // Expectations: the tied requests' p99 is under the plain ones' (measured 5.7 ms against 7.3 ms:
  // under 85% of it); copies were cancelled in the queues. Both copies are sent at once, so when
  // both leaves are idle (about a quarter to a third of the time at 50-60% busy) both start before
  // the cancel arrives and the work is done twice: the late answers stay under half of the tied
  // requests, and the leaves are busier than the 50% of untied calls, but not by more than 25%.
  std::string yaml =
      "name: tied\ncomponents:\n"
      "  users: {kind: client, arrival: {process: poisson, rate: 5k/s}, requests: {plain: {weight: 1}, tied: {weight: 1}}, target: root}\n"
      "  root: {kind: service, cores: 8, calls: {plain: [{to: leaf}], tied: [{to: leaf, tied: true}]}}\n"
      "  leaf: {kind: service, replicas: 10, workers: 1, delay: {dist: exponential, mean: 1ms}}\n"
      "run: {duration: 12s, warmup: 2s}\n";
  auto j = run_json(write_temp("tied.yaml", yaml), {"--engine", "local"});
  double plain = j["latency_ms"]["by_type"]["plain"]["p99"], tied = j["latency_ms"]["by_type"]["tied"]["p99"];
  INFO("p99 plain " << plain << " ms, tied " << tied << " ms");
  CHECK(tied < 0.85 * plain);
  CHECK(j["components"]["leaf"]["tied_cancelled"].get<double>() > 0);
  double tied_requests = j["latency_ms"]["by_type"]["tied"]["count"];
  CHECK(j["components"]["root"]["downstream_calls"]["late_answers"].get<double>() < 0.5 * tied_requests);
  CHECK(j["components"]["leaf"]["utilization"]["workers"].get<double>() < 0.5 * 1.25);
}
