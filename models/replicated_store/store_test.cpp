// The replicated store (models/replicated_store/replicated_store.hpp) and its consistency oracle
// (sim/support/consistency.hpp), through `archsim run`.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "sim/support/consistency.hpp"
#include "sim/support/queueing_formulas.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim::testing;

namespace {

const nlohmann::json& store(const nlohmann::json& j, const std::string& name = "kv") { return j["stores"][name]; }

// Host-to-host round trips of tests/topologies/store-cp.yaml, in ms, by replica index.
double rtt_ms(int a, int b) {
  if (a == b) return 0.5;
  static const double rtt[3][3] = {{0, 80, 200}, {80, 0, 150}, {200, 150, 0}};
  return rtt[a][b];
}

// A test topology with `faults:` appended.
std::string with_faults(const std::string& name, const std::string& faults) {
  std::ifstream in(topology(name));
  std::stringstream text;
  text << in.rdbuf();
  return write_temp(name, text.str() + "faults:\n" + faults);
}

}  // namespace

TEST_CASE("ReplicatedStore cp: a majority commit costs the leader's nearest round trip", "[store]") {
  // System under consideration: tests/topologies/store-cp.yaml, no faults.
  // Expectations: one leader, from the start; with leader L, the fastest write (from L's own region) takes
  // op_time + the round trip from L to its nearest follower, the slowest (from the replica
  // farthest from L) that plus the round trip to L; reads at L are answered at once under the
  // lease (op_time), the slowest read pays one round trip to L. Nothing stale, nothing lost.
  const auto& j = run_once(topology("store-cp.yaml"));
  const auto& s = store(j);
  REQUIRE(s["protocol"]["elections_won"] == 1);
  int L = s["protocol"]["leaders"][0]["replica"];
  // An election round takes at most 2T (the timer) plus a pre-vote and a vote round trip (at most
  // 200 ms each here); a split or an early pre-vote costs a round, so allow three.
  CHECK(s["protocol"]["leaders"][0]["at_s"].get<double>() < 3 * (2 * 0.5 + 2 * 0.2));
  double nearest = 1e9, farthest = 0;
  for (int p = 0; p < 3; ++p)
    if (p != L) {
      nearest = std::min(nearest, rtt_ms(L, p));
      farthest = std::max(farthest, rtt_ms(L, p));
    }
  const auto& lat = s["normal_operation_latency_ms"];
  CHECK(lat["write"]["min"].get<double>() == Approx(0.1 + nearest).margin(0.01));
  CHECK(lat["write"]["max"].get<double>() == Approx(0.1 + nearest + farthest).margin(0.01));
  CHECK(lat["read"]["min"].get<double>() == Approx(0.1).margin(0.001));
  CHECK(lat["read"]["max"].get<double>() == Approx(0.1 + farthest).margin(0.01));
  CHECK(s["stale_reads"] == 0);
  CHECK(s["lost_acknowledged_writes"] == 0);
  CHECK(s["availability"]["read"] == 1.0);
  CHECK(s["availability"]["write"] == 1.0);
  CHECK(s["reads_checked"].get<int>() > 100);
}

TEST_CASE("ReplicatedStore cp: the leader at the start is chosen by region, printed with it; a cold start elects one",
          "[store]") {
  // store-cp.yaml (replicas in us-east, eu-west, ap-south; election_timeout 500 ms).
  // Expectations: by default replica 0 (us-east) leads from t = 0 in term 1; `leader: ap-south` puts
  // it on replica 2, whose fastest write pays the round trip to its nearest follower (eu-west,
  // 150 ms) instead of us-east's 80 ms; `cold_start: true` starts with no leader, and the first is
  // elected after at least one election timeout and within three election rounds.
  const auto& def = store(run_once(topology("store-cp.yaml")))["protocol"]["leaders"][0];
  CHECK(def["at_s"].get<double>() == 0);
  CHECK(def["replica"] == 0);
  CHECK(def["region"] == "us-east");
  CHECK(def["term"] == 1);

  const auto& ap = store(run_once(topology("store-cp.yaml"), {"--set", "components.kv.leader=ap-south"}));
  REQUIRE(ap["protocol"]["elections_won"] == 1);
  CHECK(ap["protocol"]["leaders"][0]["replica"] == 2);
  CHECK(ap["protocol"]["leaders"][0]["region"] == "ap-south");
  CHECK(ap["normal_operation_latency_ms"]["write"]["min"].get<double>() == Approx(0.1 + 150).margin(0.01));
  Outcome o = run_archsim({"run", topology("store-cp.yaml"), "--set", "components.kv.leader=ap-south"});
  REQUIRE(o.exit_code == 0);
  CHECK(o.out.find("leaders: replica 2 (ap-south) from 0 s (term 1, at the start)") != std::string::npos);

  const auto& cold = store(run_once(topology("store-cp.yaml"), {"--set", "components.kv.cold_start=true"}));
  REQUIRE(cold["protocol"]["leaders"].size() >= 1);
  double at = cold["protocol"]["leaders"][0]["at_s"];
  CHECK(at >= 0.5);
  CHECK(at < 3 * (2 * 0.5 + 2 * 0.2));
}

TEST_CASE("ReplicatedStore cp: losing the leader, the others elect one and writes resume", "[store]") {
  // The same store; its leader (found by a first run with the same seed, which is identical up to
  // the crash) crashes at 10 s for 5 s. Expectations: the two others elect a new leader after at
  // least one election timeout (500 ms) and within three election rounds (each at most 2T plus a
  // pre-vote and a vote round trip; a pre-vote that reaches a follower still within T of its last
  // heartbeat is refused and costs a round); every write that reached
  // a live replica after that succeeds; the old leader rejoins as a follower (no new election
  // after its return); no log index is ever applied with two different entries (the run would
  // fail), nothing stale, nothing lost.
  const auto& first = run_once(topology("store-cp.yaml"));
  int L = store(first)["protocol"]["leaders"][0]["replica"];
  std::string file = with_faults("store-cp.yaml", "  - {crash: kv/" + std::to_string(L) + ", at: 10s, for: 5s}\n");
  const auto& j = run_once(file);
  const auto& s = store(j);
  const auto& leaders = s["protocol"]["leaders"];
  REQUIRE(leaders.size() == 2);
  CHECK(leaders[1]["replica"] != L);
  double elected = leaders[1]["at_s"];
  CHECK(elected > 10.5);
  CHECK(elected < 10 + 3 * (2 * 0.5 + 2 * 0.2));
  CHECK(leaders[1]["term"].get<int>() > leaders[0]["term"].get<int>());
  CHECK(s["stale_reads"] == 0);
  CHECK(s["lost_acknowledged_writes"] == 0);
  // The old leader catches up after its return: the replicas agree again.
  REQUIRE(s["convergence"].size() == 1);
  CHECK(s["convergence"][0]["convergence_time_s"].get<double>() < 1.0);
}

TEST_CASE("ReplicatedStore cp: the log safety check names two replicas that applied different entries", "[store]") {
  // The check every cp run makes (sim/support/consistency.hpp AppliedLog), fed directly: a second replica
  // applying the same entry at an index is fine; a different term or value at that index is the
  // violation, reported once with both sides.
  archsim::StoreStats st;
  archsim::AppliedLog log(&st);
  log.applied(0, 5, 2, 77);
  log.applied(1, 5, 2, 77);
  CHECK(st.safety_violation.empty());
  log.applied(2, 5, 3, 78);
  CHECK(st.safety_violation == "log index 5 was applied as term 2 value 77 by replica 0 and as term 3 value 78 by replica 2");
  log.applied(1, 6, 3, 80);
  log.applied(0, 6, 3, 81);
  CHECK(st.safety_violation.find("index 5") != std::string::npos);  // the first violation stays
}

TEST_CASE("ReplicatedStore ap: last-writer-wins with a clock ahead loses exactly the writes it overrides", "[store]") {
  // System under consideration: tests/topologies/store-lww-skew.yaml. us-east's clock is 1 s ahead;
  // its write of key 7 at 1.0 s carries timestamp 2.0 s. eu-west's writes at 1.2, 1.4, 1.6 and
  // 1.8 s are acknowledged (W = 1) but older by timestamp than what every replica holds: exactly
  // 4 acknowledged writes lost. Its write at 2.3 s wins; the reads at 3 s see it (not stale).
  const auto& s = store(run_once(topology("store-lww-skew.yaml")));
  CHECK(s["writes_acknowledged"] == 6);
  CHECK(s["lost_acknowledged_writes"] == 4);
  CHECK(s["reads_checked"] == 2);
  CHECK(s["stale_reads"] == 0);
  CHECK(s["divergence"]["keys_at_end"] == 0);

  SECTION("without the skew, nothing is lost") {
    const auto& t = store(run_once(topology("store-lww-skew.yaml"), {"--set", "components.kv.clock_skew.0=0ms"}));
    CHECK(t["lost_acknowledged_writes"] == 0);
  }
  SECTION("with siblings, the concurrent values are kept instead") {
    const auto& t = store(run_once(topology("store-lww-skew.yaml"), {"--set", "components.kv.conflict=siblings"}));
    CHECK(t["lost_acknowledged_writes"] == 0);
  }
}

TEST_CASE("ReplicatedStore ap: R + W <= N is stale with the probability the replication delay gives", "[store]") {
  // System under consideration: tests/topologies/store-quorum.yaml, R = W = 1, N = 3, replicas
  // 100 ms apart, writes Poisson 20/s on one key from us-east, reads from the two other regions.
  // A read misses the newest acknowledged write when that write is younger than the one-way delay
  // minus the coordinator's op_time (49.9 ms): P(stale) = 1 - exp(-20 x 0.0499) = 0.6314.
  // The t-visibility curve is a step at 50 ms: reads less than 49.9 ms after the newest write
  // never see it, reads 50 ms or more after it always do.
  const auto& s = store(run_once(topology("store-quorum.yaml")));
  double expected = 1 - std::exp(-20 * 0.0499);
  CHECK(s["stale_read_ratio"].get<double>() == Approx(expected).margin(0.02));
  for (const auto& bin : s["t_visibility"]) {
    double from = bin["from_ms"], to = bin["to_ms"].is_null() ? 1e9 : bin["to_ms"].get<double>();
    if (to <= 49.9) CHECK(bin["p_fresh"] == 0.0);
    if (from >= 50) CHECK(bin["p_fresh"] == 1.0);
  }
  // The price of R + W <= N is nothing: each operation is answered by its own replica.
  CHECK(s["normal_operation_latency_ms"]["read"]["max"].get<double>() == Approx(0.1).margin(0.001));
  CHECK(s["normal_operation_latency_ms"]["write"]["max"].get<double>() == Approx(0.1).margin(0.001));

  SECTION("R = W = 2 overlap: no stale read, one 100 ms round trip per operation") {
    const auto& t = store(run_once(topology("store-quorum.yaml"),
                                   {"--set", "components.kv.quorum.r=2", "--set", "components.kv.quorum.w=2"}));
    CHECK(t["stale_reads"] == 0);
    CHECK(t["normal_operation_latency_ms"]["read"]["p50"].get<double>() == Approx(100.1).margin(0.05));
    CHECK(t["normal_operation_latency_ms"]["write"]["p50"].get<double>() == Approx(100.1).margin(0.05));
  }
}

TEST_CASE("ReplicatedStore ap: a replica that was down receives its hints when it is back", "[store]") {
  // store-quorum.yaml with anti-entropy off and eu-west's replica down from 10 s to 15 s: every
  // write us-east coordinates meanwhile finds it refusing and becomes a hint (about 20/s x 5 s);
  // the hints go every second, so within about a second of its return it has them all and the
  // replicas agree again. Availability stays 100% where the clients' replica is up.
  std::string file = with_faults("store-quorum.yaml", "  - {crash: kv/1, at: 10s, for: 5s}\n");
  const auto& s = store(run_once(file, {"--set", "run.duration=30s"}));
  CHECK(s["protocol"]["hints_stored"].get<double>() == Approx(100).margin(30));
  CHECK(s["protocol"]["hints_delivered"] == s["protocol"]["hints_stored"]);
  CHECK(s["protocol"]["hints_dropped"] == 0);
  REQUIRE(s["convergence"].size() == 1);
  CHECK(s["convergence"][0]["convergence_time_s"].get<double>() <= 1.0 + 0.2);
  CHECK(s["availability"]["by_region"]["us-east"]["write_availability"] == 1.0);
}

TEST_CASE("Shipped quorum-tuning.yaml: R + W > N never reads stale, R + W <= N does, and each costs its round trips",
          "[store][shipped]") {
  // topologies/quorum-tuning.yaml: N = 3 replicas in us-east, eu-west, ap-south (80, 200 and
  // 150 ms apart), strict quorums, no failures. Expectations by (R, W):
  // (1,1): everything answered locally (op_time, 0.1 ms), and some reads stale;
  // (2,2): no stale read; a read or write waits for the nearest other replica: 80 ms from us-east
  //        and eu-west, 150 ms from ap-south (its nearest is eu-west), so p50 80.1 and p99 150.1;
  // (1,3): no stale read; reads local, writes wait for the farthest replica (200 ms from us-east
  //        and ap-south, 150 from eu-west): p99 200.1;
  // (3,1): the mirror image: writes local, reads wait for the farthest.
  auto run = [](int r, int w) {
    return store(run_once(source_path("topologies/quorum-tuning.yaml"),
                          {"--set", "components.store.quorum.r=" + std::to_string(r), "--set",
                           "components.store.quorum.w=" + std::to_string(w)}),
                 "store");
  };
  auto p = [](const nlohmann::json& s, const char* op, const char* q) {
    return s["normal_operation_latency_ms"][op][q].get<double>();
  };
  const auto& a = run(1, 1);
  CHECK(a["stale_reads"].get<int>() > 50);
  CHECK(p(a, "read", "max") == Approx(0.1).margin(0.001));
  CHECK(p(a, "write", "max") == Approx(0.1).margin(0.001));
  const auto& b = run(2, 2);
  CHECK(b["stale_reads"] == 0);
  CHECK(p(b, "read", "p50") == Approx(80.1).margin(0.05));
  CHECK(p(b, "write", "p99") == Approx(150.1).margin(0.05));
  const auto& c = run(1, 3);
  CHECK(c["stale_reads"] == 0);
  CHECK(p(c, "read", "max") == Approx(0.1).margin(0.001));
  CHECK(p(c, "write", "p99") == Approx(200.1).margin(0.05));
  const auto& d = run(3, 1);
  CHECK(d["stale_reads"] == 0);
  CHECK(p(d, "write", "max") == Approx(0.1).margin(0.001));
  CHECK(p(d, "read", "p99") == Approx(200.1).margin(0.05));
}

TEST_CASE("Shipped cap-payment-ledger.yaml (CP): the minority side fails, the majority goes on, nothing stale or lost",
          "[store][shipped]") {
  // topologies/cap-payment-ledger.yaml: a cp store in us-east, eu-west and ap-south; ap-south cut
  // off from 20 s to 50 s. Expectations: ap-south's operations fail during the partition (its
  // replica has no leader; over the 75 s window it is available well under 70% of the time),
  // us-east and eu-west stay available (at most a brief election when the leader was on the
  // minority side); zero stale reads, zero lost writes; the history is linearizable.
  std::string hist = write_temp("ledger.jsonl", "");
  auto o = run_archsim({"run", source_path("topologies/cap-payment-ledger.yaml"), "--json", "--history", hist, "--check"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  auto j = nlohmann::json::parse(o.out);
  const auto& s = store(j, "store");
  const auto& by = s["availability"]["by_region"];
  CHECK(by["ap-south"]["write_availability"].get<double>() < 0.7);
  CHECK(by["ap-south"]["read_availability"].get<double>() < 0.7);
  for (const char* r : {"us-east", "eu-west"}) {
    CHECK(by[r]["write_availability"].get<double>() > 0.97);
    CHECK(by[r]["read_availability"].get<double>() > 0.97);
  }
  CHECK(s["stale_reads"] == 0);
  CHECK(s["lost_acknowledged_writes"] == 0);
  CHECK(j["history_check"]["verdict"] == "linearizable");
  // The fault is reported and the replicas agree again after the heal.
  CHECK(j["faults"][0]["kind"] == "partition");
  REQUIRE(s["convergence"].size() == 1);
  CHECK(s["convergence"][0]["convergence_time_s"].is_number());
  // Where the time went: the protocol (ap-south's writes cross to the leader in us-east, a quorum
  // round each), not a 0% network row over an unattributed rest.
  const auto& cp = j["critical_path"];
  for (const auto& row : cp["rows"]) CHECK(row["cause"] != "unattributed");
  CHECK(cp["by_cause"]["replication"]["share_above_p99"].get<double>() > 0.9);
  CHECK_THAT(cp["verdict"].get<std::string>(), Catch::Contains("in the replication protocol of store"));
  // Nothing saturates, yet a fifth of the requests fail: the bottleneck verdict says they did, and
  // that it is not saturation.
  CHECK(j["bottleneck"]["resource"] == "none");
  std::string failed = fmt::format("yet {} of ", j["requests"]["failed"].get<uint64_t>());
  CHECK_THAT(j["bottleneck"]["evidence"].get<std::string>(), Catch::Contains(failed) && Catch::Contains("not saturation; see the faults"));
}

TEST_CASE("Shipped cap-last-seen.yaml (AP): every side answers, reads go stale, replicas converge after the heal",
          "[store][shipped]") {
  // topologies/cap-last-seen.yaml: the same design in ap mode (R = W = 1, sloppy, hints,
  // anti-entropy every 10 s). Expectations: every region 100% available through the partition;
  // stale reads on both sides during it; convergence within the anti-entropy interval after the
  // heal; the history is not linearizable, and the checker's excerpt names the read that cannot be
  // placed.
  auto o = run_archsim({"run", source_path("topologies/cap-last-seen.yaml"), "--json", "--check"});
  INFO(o.err);
  REQUIRE(o.exit_code == 4);  // not linearizable
  auto j = nlohmann::json::parse(o.out);
  const auto& s = store(j, "store");
  for (const auto& [region, side] : s["availability"]["by_region"].items()) {
    INFO(region);
    CHECK(side["read_availability"] == 1.0);
    CHECK(side["write_availability"] == 1.0);
  }
  CHECK(s["stale_reads"].get<int>() > 100);
  REQUIRE(s["convergence"].size() == 1);
  CHECK(s["convergence"][0]["convergence_time_s"].get<double>() <= 10.0);
  // The writes the other side missed waited as hints (after the coordinator's 500 ms request
  // timeout) and were delivered after the heal.
  CHECK(s["protocol"]["hints_stored"].get<int>() > 100);
  CHECK(s["protocol"]["hints_delivered"] == s["protocol"]["hints_stored"]);
  CHECK(j["history_check"]["verdict"] == "not linearizable");
  CHECK(j["history_check"]["violation"]["blocked"]["f"] == "read");
}

TEST_CASE("ReplicatedStore idempotency: a retried write to a store is applied once with keys, again without",
          "[store][idempotency]") {
  // System under consideration: tests/topologies/store-idempotency.yaml: a 230 ms ledger write
  // (ap-south to the eu-west leader, its majority round trip to us-east, and back) under a 200 ms
  // call timeout with two retries. The symptom: `idempotency: true` and `false` gave identical
  // results and no duplicate was counted. Expectations: without keys every attempt times out and
  // every retry that reaches the log is applied again (duplicates counted on the store and in
  // requests.duplicate_applies); with keys no write is applied twice, the retry that reaches the
  // leader after the first attempt committed is answered from its key table (a 150 ms round
  // trip, inside the timeout), so the calls succeed; the history stays linearizable (the replayed
  // attempt took no effect of its own). The same holds when the leader crashes and another
  // leader commits retries of writes its predecessor applied: the keys travel in the log.
  const std::string file = topology("store-idempotency.yaml");
  const auto& without = run_once(file);
  const auto& w = store(without, "ledger")["writes_of_retried_calls"];
  CHECK(w["duplicate_applies"].get<int>() > w["applied"].get<int>() / 2);
  CHECK(without["requests"]["duplicate_applies"] == w["duplicate_applies"]);
  CHECK(w["idempotent_replays"] == 0);
  CHECK(without["requests"]["completed"] == 0);

  const std::vector<std::string> keys = {"--set", "components.api.calls.pay.0.idempotency=true"};
  const auto& with = run_once(file, keys);
  const auto& k = store(with, "ledger")["writes_of_retried_calls"];
  CHECK(k["duplicate_applies"] == 0);
  CHECK(with["requests"]["duplicate_applies"] == 0);
  CHECK(k["idempotent_replays"].get<int>() > k["applied"].get<int>() * 9 / 10);
  CHECK(with["requests"]["completed"].get<int>() > 0);
  CHECK(with["requests"]["failed"] == 0);
  CHECK(store(with, "ledger")["lost_acknowledged_writes"] == 0);

  std::string history = write_temp("store-idempotency.jsonl", "");
  Outcome checked = run_archsim({"run", file, "--set", "components.api.calls.pay.0.idempotency=true", "--history",
                                 history, "--check"});
  CHECK(checked.exit_code == 0);
  CHECK(checked.out.find("history check: linearizable") != std::string::npos);

  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  std::string crashed = write_temp("store-idempotency-crash.yaml",
                                   text.str() + "faults:\n  - {crash: ledger/1, at: 5s, for: 3s}\n");
  const auto& c = run_once(crashed, keys);
  REQUIRE(store(c, "ledger")["protocol"]["leaders"].size() == 2);
  CHECK(store(c, "ledger")["writes_of_retried_calls"]["duplicate_applies"] == 0);
  const auto& c0 = run_once(crashed);
  CHECK(store(c0, "ledger")["writes_of_retried_calls"]["duplicate_applies"].get<int>() > 0);
}

TEST_CASE("ReplicatedStore idempotency: an ap store's coordinators share a key table", "[store][idempotency]") {
  // The same design in ap mode with W = 3 (strict): a write waits for the farthest replica (200 ms
  // round trip), so every attempt times out. Expectations: without keys each retry is written
  // again; with keys a retry finds the key of the attempt under way and is answered at once.
  std::ifstream in(topology("store-idempotency.yaml"));
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  yaml.replace(yaml.find("consistency: cp\n    leader: eu-west"), std::string("consistency: cp\n    leader: eu-west").size(),
               "consistency: ap\n    quorum: {w: 3, sloppy: false}\n    request_timeout: 1s");
  std::string file = write_temp("store-idempotency-ap.yaml", yaml);
  const auto& without = run_once(file);
  CHECK(store(without, "ledger")["writes_of_retried_calls"]["duplicate_applies"].get<int>() > 0);
  CHECK(without["requests"]["completed"] == 0);
  const auto& with = run_once(file, {"--set", "components.api.calls.pay.0.idempotency=true"});
  const auto& k = store(with, "ledger")["writes_of_retried_calls"];
  CHECK(k["duplicate_applies"] == 0);
  CHECK(k["idempotent_replays"].get<int>() > 0);
  CHECK(with["requests"]["failed"] == 0);
}

TEST_CASE("ReplicatedStore capacity: a cp store's leader runs every operation and queues as M/M/c (Erlang C)",
          "[store][capacity]") {
  // System under consideration: tests/topologies/store-capacity.yaml: three replicas in one
  // region, 6,000 operations/s spread over them, op_time exponential 1 ms, 8 cores each. The
  // symptom: a store had no capacity (10x the load left its latency unchanged). Expectations:
  // the followers forward at once and the leader runs everything, so the leader is an M/M/8
  // queue at 75%: its cores 75% busy (the busiest replica is what the table shows), the others
  // idle, and the mean number waiting (Little: lambda x W_q) and the mean wait as Erlang C
  // gives (Lq 1.071, W_q 0.178 ms; 108k operations: within 6%). Past the leader's capacity
  // (8,000/s) the verdict names the leader's cores, and the run is not steady.
  const auto& j = run_once(topology("store-capacity.yaml"));
  const auto& c = j["components"]["ledger"];
  double lambda = c["throughput_rps"];
  CHECK(lambda == Approx(6000).epsilon(0.02));
  CHECK(c["utilization"]["cpu"].get<double>() == Approx(0.75).epsilon(0.02));
  double wq = archsim::erlang_c_wait(6000, 1e-3, 8);
  CHECK(c["mean_wait_ms"].get<double>() == Approx(wq * 1e3).epsilon(0.06));
  CHECK(c["mean_queue_len"].get<double>() == Approx(6000 * wq).epsilon(0.06));
  CHECK(j["bottleneck"]["resource"] == "none");

  const auto& over = run_once(topology("store-capacity.yaml"),
                              {"--set", "components.users.arrival.rate=8.4k/s", "--set", "run.duration=6s"});
  CHECK(over["bottleneck"]["component"] == "ledger");
  CHECK(over["bottleneck"]["resource"] == "cpu");
  CHECK(over["bottleneck"]["evidence"].get<std::string>().find("the leader") != std::string::npos);
  CHECK(over["steady_state"]["steady"] == false);
  CHECK(over["components"]["ledger"]["p99_residence_ms"].get<double>() >
        10 * c["p99_residence_ms"].get<double>());
}

TEST_CASE("ReplicatedStore log disk: a write waits for two syncs in parallel paths; a full disk is named, group commit keeps throughput",
          "[store][capacity]") {
  // System under consideration: tests/topologies/store-cp.yaml with `log_sync: 2ms`. The leader
  // syncs its entry while it sends it; a follower syncs before it acknowledges. Expectations: the
  // fastest write costs op_time + the nearest round trip + one sync (the leader's sync runs
  // beside the round trip), 2 ms more than without a disk. Then tests/topologies/store-capacity.yaml
  // with 64 KB values on a 100 MB/s log: 1,500 writes/s x 64 KB = 96% of the disk's bandwidth.
  // Expectations: the verdict names the store's log disk (io) with the leader; the store still
  // serves what is offered (each sync writes everything appended since the last: group commit),
  // paid for in write latency (batches of tens of entries: p50 above 10 ms).
  const auto& base = run_once(topology("store-cp.yaml"));
  const auto& disk = run_once(topology("store-cp.yaml"), {"--set", "components.kv.log_sync=2ms"});
  int L = store(disk)["protocol"]["leaders"][0]["replica"];
  double nearest = 1e9;
  for (int p = 0; p < 3; ++p)
    if (p != L) nearest = std::min(nearest, rtt_ms(L, p));
  CHECK(store(disk)["normal_operation_latency_ms"]["write"]["min"].get<double>() == Approx(0.1 + nearest + 2).margin(0.01));
  CHECK(store(base)["normal_operation_latency_ms"]["write"]["min"].get<double>() == Approx(0.1 + nearest).margin(0.01));
  CHECK(store(disk)["stale_reads"] == 0);
  CHECK(store(disk)["log_disk"]["by_replica"].size() == 3);

  const auto& full = run_once(topology("store-capacity.yaml"),
                              {"--set", "components.ledger.log_sync=1ms", "--set", "components.ledger.log_bandwidth=100MB/s",
                               "--set", "components.ledger.value_size=64KB", "--set", "run.duration=6s"});
  CHECK(full["bottleneck"]["component"] == "ledger");
  CHECK(full["bottleneck"]["resource"] == "io");
  std::string evidence = full["bottleneck"]["evidence"];
  CHECK(evidence.find("log disk") != std::string::npos);
  CHECK(evidence.find("the leader") != std::string::npos);
  const auto& per = store(full, "ledger")["log_disk"]["by_replica"];
  CHECK(per[0]["bandwidth_utilization"].get<double>() == Approx(1500 * (64000 + 32) / 100e6).epsilon(0.05));
  CHECK(full["components"]["ledger"]["throughput_rps"].get<double>() == Approx(6000).epsilon(0.03));
  CHECK(store(full, "ledger")["normal_operation_latency_ms"]["write"]["p50"].get<double>() > 10);
}

TEST_CASE("ReplicatedStore log disk, ap: a replica acknowledges a write once synced; a full disk is named",
          "[store][capacity]") {
  // System under consideration: tests/topologies/store-quorum.yaml (ap, three replicas 100 ms
  // apart, the writer in us-east) with `log_sync: 2ms`. Expectations: with W = 1 the fastest
  // write is op_time + the coordinator's own sync (0.1 + 2 ms); with W = 2, op_time + a round
  // trip + the remote replica's sync (its own runs beside the round trip): 2 ms more than without
  // a disk either way. Then 1,500 writes/s of 64 KB on a 100 MB/s log: 96% of every replica's
  // disk; the verdict names the store's log disk (io) and group commit keeps what is served.
  std::vector<std::string> shorter = {"--set", "run.duration=20s"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), shorter.begin(), shorter.end());
    return more;
  };
  auto fastest = [](const nlohmann::json& j) {
    return store(j)["normal_operation_latency_ms"]["write"]["min"].get<double>();
  };
  CHECK(fastest(run_once(topology("store-quorum.yaml"), shorter)) == Approx(0.1).margin(0.001));
  CHECK(fastest(run_once(topology("store-quorum.yaml"), with({"--set", "components.kv.log_sync=2ms"}))) ==
        Approx(2.1).margin(0.01));
  CHECK(fastest(run_once(topology("store-quorum.yaml"), with({"--set", "components.kv.quorum.w=2"}))) ==
        Approx(100.1).margin(0.01));
  CHECK(fastest(run_once(topology("store-quorum.yaml"),
                         with({"--set", "components.kv.quorum.w=2", "--set", "components.kv.log_sync=2ms"}))) ==
        Approx(102.1).margin(0.01));

  const auto& full = run_once(topology("store-quorum.yaml"),
                              {"--set", "run.duration=6s", "--set", "components.writer.arrival.rate=1500/s", "--set",
                               "components.kv.log_sync=1ms", "--set", "components.kv.log_bandwidth=100MB/s", "--set",
                               "components.kv.value_size=64KB"});
  CHECK(full["bottleneck"]["component"] == "kv");
  CHECK(full["bottleneck"]["resource"] == "io");
  CHECK(full["bottleneck"]["evidence"].get<std::string>().find("log disk") != std::string::npos);
  for (const auto& r : store(full)["log_disk"]["by_replica"])
    CHECK(r["bandwidth_utilization"].get<double>() == Approx(1500 * (64000 + 32) / 100e6).epsilon(0.05));
  CHECK(full["requests"]["failed"] == 0);
}

TEST_CASE("ReplicatedStore failover: a caller whose region's replica is down retries in the nearest other region",
          "[store][failover]") {
  // System under consideration: tests/topologies/store-failover.yaml: a service in eu-west, the
  // eu-west replica of a cp ledger down from 4 s to 8 s (the leader is in us-east). The symptom: a
  // caller reached only its own region's replica, so a local crash was a regional outage.
  // Expectations: without failover every call during the crash fails (unavailable: about 4 s of
  // the 11 s window, 36% of the calls); with `failover: true` each retry goes to us-east, the
  // nearest other region, so no call fails, and the failed-over retries are counted; outside the
  // crash nothing changes.
  const std::string file = topology("store-failover.yaml");
  const auto& without = run_once(file);
  const auto& edge = without["components"]["api"]["calls_to"]["ledger"];
  double share = edge["failed"]["unavailable"].get<double>() / edge["calls"].get<double>();
  CHECK(share == Approx(4.0 / 11).margin(0.04));
  CHECK_FALSE(edge.contains("failovers"));
  const auto& with = run_once(file, {"--set", "components.api.calls.0.failover=true"});
  const auto& e = with["components"]["api"]["calls_to"]["ledger"];
  CHECK(e["failed"]["unavailable"] == 0);
  CHECK(with["requests"]["failed"] == 0);
  CHECK(e["failovers"].get<double>() == Approx(edge["failed"]["unavailable"].get<double>()).epsilon(0.1));
  CHECK(store(with, "ledger")["lost_acknowledged_writes"] == 0);
}

TEST_CASE("ReplicatedStore: a heartbeat far below the majority round trip is warned, with the rounds in flight",
          "[store]") {
  // store-cp.yaml: replicas in us-east, eu-west, ap-south; the nearest majority is 80 ms away.
  Outcome o = run_archsim({"validate", topology("store-cp.yaml"), "--set", "components.kv.heartbeat_interval=1ms"});
  CHECK(o.exit_code == 0);
  CHECK(o.err.find("warning: heartbeat_interval (1ms) is well below the round trip in which the leader of 'kv' "
                   "reaches a majority (80ms): about 80 heartbeat rounds are in flight") != std::string::npos);
  Outcome as_shipped = run_archsim({"validate", topology("store-cp.yaml")});  // 50 ms: under two rounds
  CHECK(as_shipped.err.find("heartbeat_interval") == std::string::npos);
}
