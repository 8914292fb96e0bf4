// Which hop made the tail: the critical-path breakdown of where requests spent their time.
#include <catch2/catch.hpp>
#include <stdlib.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;

namespace {

// (component, cause) → {share_above_p99, share_all, mean_ms_all} from the summary's rows.
std::map<std::pair<std::string, std::string>, std::array<double, 3>> rows_of(const nlohmann::json& j) {
  std::map<std::pair<std::string, std::string>, std::array<double, 3>> out;
  for (const auto& row : j["critical_path"]["rows"])
    out[{row["component"], row["cause"]}] = {row["share_above_p99"].get<double>(), row["share_all"].get<double>(),
                                             row["mean_ms_all"].get<double>()};
  return out;
}

}  // namespace

TEST_CASE("critical path: a hand-built two-hop request splits into its hand-computed shares", "[critical_path]") {
  // System under consideration: client -> app (2 ms of CPU) -> db (3 ms of disk I/O), rtt 500 us,
  // zero-byte messages, one request every 20 ms: nothing ever waits.
  // Expectations: every request takes 0.5 + 2 + 0.5 + 3 = 6 ms:
  //   app network 0.5/6 = 8.33%, app cpu 2/6 = 33.3%, db network 0.5/6 = 8.33%, db io 3/6 = 50%;
  // all requests are alike, so the requests above the p99 have the same shares; the verdict
  // names the disk at db; critical_path.csv says the same.
  std::string yaml =
      "name: two-hop\ncomponents:\n"
      "  users: {kind: client, arrival: {process: constant, rate: 50/s}, requests: {r: {weight: 1, request_size: 0B, response_size: 0B}}, target: app}\n"
      "  app: {kind: service, cpu: 2ms, calls: [db]}\n"
      "  db: {kind: database, read: {io: 3ms}}\n"
      "run: {duration: 5s, warmup: 1s}\n";
  char tpl[] = "/tmp/archsim-cp-XXXXXX";
  std::string dir = mkdtemp(tpl);
  auto o = run_archsim({"run", write_temp("two-hop.yaml", yaml), "--json", "--out", dir});
  REQUIRE(o.exit_code == 0);
  auto j = nlohmann::json::parse(o.out);
  auto rows = rows_of(j);
  std::map<std::pair<std::string, std::string>, double> expected = {
      {{"app", "network"}, 0.5 / 6}, {{"app", "cpu"}, 2.0 / 6}, {{"db", "network"}, 0.5 / 6}, {{"db", "io"}, 3.0 / 6}};
  REQUIRE(rows.size() == expected.size());
  for (const auto& [key, share] : expected) {
    INFO(key.first << " " << key.second);
    CHECK(rows[key][0] == Approx(share).epsilon(1e-4));
    CHECK(rows[key][1] == Approx(share).epsilon(1e-4));
  }
  CHECK(rows[{"db", "io"}][2] == Approx(3.0).epsilon(1e-4));
  std::string verdict = j["critical_path"]["verdict"];
  CHECK(verdict.find("requests above p99") == 0);
  CHECK(verdict.find("50% of their time on disk I/O at db") != std::string::npos);

  std::ifstream csv(dir + "/critical_path.csv");
  std::string header;
  std::getline(csv, header);
  CHECK(header == "component,cause,share_above_p99,share_all,mean_ms_above_p99,mean_ms_all");
  std::string line;
  bool found = false;
  while (std::getline(csv, line))
    if (line.rfind("db,io,", 0) == 0) {
      found = true;
      CHECK(line == "db,io,0.5,0.5,3,3");
    }
  CHECK(found);
}

TEST_CASE("critical path: waiting for a database connection is named as the tail's cause", "[critical_path]") {
  // System under consideration: client -> app -> db with one connection and 4 ms of disk per read,
  // Poisson arrivals at 200/s: the connection is busy 80% of the time (an M/D/1 queue).
  // Expectations: the mean wait for the connection is rho * S / (2 (1 - rho)) = 8 ms against
  // 4 ms of disk; the slowest requests spent most of their time waiting for it, and the verdict
  // says so in those words.
  std::string yaml =
      "name: pool\ncomponents:\n"
      "  users: {kind: client, arrival: {process: poisson, rate: 200/s}, requests: {r: {weight: 1}}, target: app}\n"
      "  app: {kind: service, calls: [db]}\n"
      "  db: {kind: database, max_connections: 1, read: {io: 4ms}}\n"
      "run: {duration: 40s, warmup: 2s}\n";
  auto j = run_json(write_temp("pool.yaml", yaml));
  auto rows = rows_of(j);
  CHECK(rows[{"db", "queue"}][2] == Approx(8.0).epsilon(0.15));
  CHECK(rows[{"db", "queue"}][0] > 0.7);
  std::string verdict = j["critical_path"]["verdict"];
  INFO(verdict);
  CHECK(verdict.find("of their time waiting for a connection at db") != std::string::npos);
}

TEST_CASE("microservice-chain: 2.5 ms of every request is the five internal calls' network", "[critical_path]") {
  // System under consideration: topologies/microservice-chain.yaml (the seed's example).
  // Expectations: the five services' network time adds up to 5 x 500 us = 2.5 ms per request, the
  // client's own hop to the gateway 0.5 ms: all 3.0 ms of the request is network.
  const auto& j = run_once(source_path("topologies/microservice-chain.yaml"));
  auto rows = rows_of(j);
  double internal = 0;
  for (const char* s : {"auth", "cart", "pricing", "inventory", "payment"}) internal += rows[{s, "network"}][2];
  CHECK(internal == Approx(2.5).epsilon(0.001));
  CHECK(rows[{"gateway", "network"}][2] == Approx(0.5).epsilon(0.001));
  CHECK(j["critical_path"]["by_cause"]["network"]["share_all"].get<double>() == Approx(1.0).epsilon(0.001));
}

TEST_CASE("critical path: synchronous replication counts the replica's apply once, not the primary's CPU twice",
          "[critical_path]") {
  // System under consideration (issue's minimal case): a writer at 10/s to a database with 1 ms of
  // CPU per write, one read replica, sync replication; intra-region rtt 500 us. The symptom: db
  // network 25%, cpu 33%, downstream 75%, unattributed -33% (-1.0 ms): the wait for the
  // replica's acknowledgement started where the primary's CPU did.
  // Expectations: a write takes 0.25 (in) + 1 (primary CPU) + 0.25 + 1 (replica apply) + 0.25 +
  // 0.25 (out) = 3 ms: db network 1/3, db cpu 2/3, nothing downstream, nothing unattributed.
  std::string yaml =
      "name: sync-critical-path\ncomponents:\n"
      "  writer: {kind: client, arrival: {process: constant, rate: 10/s}, requests: {pay: {weight: 1, op: write, keys: "
      "{count: 10}}}, target: db}\n"
      "  db: {kind: database, write: {io: 0, cpu: 1ms}, read_replicas: 1, replication: sync}\n"
      "run: {duration: 1s, seed: 1}\n";
  const auto& j = run_once(write_temp("sync-cp.yaml", yaml));
  auto rows = rows_of(j);
  INFO(j["critical_path"]["rows"].dump());
  CHECK(rows.size() == 2);
  CHECK(rows[{"db", "network"}][1] == Approx(1.0 / 3).margin(0.01));
  CHECK(rows[{"db", "cpu"}][1] == Approx(2.0 / 3).margin(0.01));
  CHECK(rows[{"db", "cpu"}][2] == Approx(2.0).margin(0.01));
  CHECK(rows.count({"*", "unattributed"}) == 0);
  CHECK(rows.count({"db", "downstream"}) == 0);
}

TEST_CASE("critical path: the wait on calls names only what the caller has", "[critical_path]") {
  // System under consideration: app calls a database whose reads take 8 ms on average
  // (exponential) with a 20 ms timeout and 3 retries 30 ms apart: the slowest requests are those
  // that timed out and waited out a backoff, so the verdict names app's wait on its calls. It has
  // retries and no hedging, tied requests or fan-out: it says so and no more.
  std::string yaml =
      "name: retries\ncomponents:\n"
      "  users: {kind: client, arrival: {process: poisson, rate: 100/s}, requests: {r: {weight: 1}}, target: app}\n"
      "  app:\n"
      "    kind: service\n"
      "    cpu: 0.1ms\n"
      "    call_policy: {timeout: 20ms, retries: {max: 3, backoff: constant, base: 30ms, jitter: none}}\n"
      "    calls: [db]\n"
      "  db: {kind: database, read: {io: {dist: exponential, mean: 8ms}}}\n"
      "run: {duration: 5s, warmup: 1s}\n";
  nlohmann::json j = run_json(write_temp("cp-retries.yaml", yaml));
  std::string verdict = j["critical_path"]["verdict"];
  INFO(verdict);
  CHECK(verdict.find("at app waiting on its calls beyond the time of the answer it used: failed attempts and their "
                     "backoff") != std::string::npos);
  CHECK(verdict.find("hedge") == std::string::npos);
  CHECK(verdict.find("parallel") == std::string::npos);
}
