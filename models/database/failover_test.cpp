// Database failover (models/database/database.hpp): hot standby promotion and cold standby restore, their
// measured RTO and RPO, the sync-replication invariant, and availability against the SLA rows
// (sim/report/availability.hpp).
#include <catch2/catch.hpp>

#include <map>
#include <memory>

#include "models/database/database.hpp"
#include "sim/report/availability.hpp"
#include "models/common/message.hpp"
#include "sim/scenario/scenario.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;
using namespace archsim::testing;

namespace {

const nlohmann::json& only_failover(const nlohmann::json& j, const std::string& db) {
  const auto& list = j["components"][db]["failovers"];
  REQUIRE(list.size() == 1);
  return list[0];
}

}  // namespace

TEST_CASE("Failover: async hot standby loses the writes its replica had not applied", "[failover]") {
  // System under consideration: tests/topologies/failover-async-small.yaml. Writes every 10 ms
  // from t = 10 ms, 1 ms each on an instant network: write i (1, 2, ...) is acknowledged at
  // 10i + 1 ms. The replica applies one write per 15 ms, so write k starts applying at
  // 11 + 15 (k - 1) ms. The primary crashes at T = 1002.5 ms.
  // Expectations, by hand: acknowledged by T: 10i + 1 <= 1002.5, i <= 100; applied or applying by
  // T: 11 + 15 (k - 1) <= 1002.5, k <= 67. Lost at the promotion: writes 68..100 = 33, acknowledged
  // from 681 ms to 1001 ms (span 320 ms). Detected at T + 500 ms, replica 1 primary at T + 750 ms;
  // the next write is sent at 1760 ms and acknowledged at 1761 ms: RTO = 1761 - 1002.5 = 758.5 ms.
  // The writes sent from 1010 ms to 1750 ms (75) find no primary and fail.
  const auto& j = run_once(topology("failover-async-small.yaml"));
  const auto& f = only_failover(j, "db");
  CHECK(f["crashed_at"].get<double>() == Approx(1.0025));
  CHECK(f["detected_at"].get<double>() == Approx(1.5025));
  CHECK(f["promoted_at"].get<double>() == Approx(1.7525));
  CHECK(f["new_primary"] == 1);
  CHECK(f["rpo_writes"] == 33);
  CHECK(f["unreplicated_at_crash"] == 33);
  CHECK(f["rpo_oldest_at"].get<double>() == Approx(0.681).margin(1e-4));
  CHECK(f["rpo_newest_at"].get<double>() == Approx(1.001).margin(1e-4));
  CHECK(f["rpo_span_s"].get<double>() == Approx(0.320).margin(1e-4));
  CHECK(f["rto_s"].get<double>() == Approx(0.7585).margin(5e-4));  // the bytes' transfer: microseconds
  CHECK(j["requests"]["failed"] == 75);
}

TEST_CASE("Failover: sync hot standby loses nothing, and RTO is detect + promote + the first write", "[failover]") {
  // System under consideration: tests/topologies/failover-sync-small.yaml: the same, sync, the
  // replica applying a write in 5 ms (acknowledged at 10i + 6 ms).
  // Expectations: write 100 (sent at 1000 ms) is on the replica but not acknowledged when the
  // primary crashes: it fails, and nothing acknowledged is lost (RPO 0). The promoted replica has
  // no live replica to wait for, so the next write (1760 ms) is acknowledged at 1761 ms:
  // RTO 758.5 ms as in the async case. 1 + 75 writes fail.
  const auto& j = run_once(topology("failover-sync-small.yaml"));
  const auto& f = only_failover(j, "db");
  CHECK(f["rpo_writes"] == 0);
  CHECK(f["unreplicated_at_crash"] == 0);
  CHECK(f["rpo_span_s"] == 0);
  CHECK(f["new_primary"] == 1);
  CHECK(f["rto_s"].get<double>() == Approx(0.7585).margin(5e-4));
  CHECK(j["requests"]["failed"] == 76);
}

TEST_CASE("Failover: a cold standby is back restore_time after the crash, with every acknowledged write", "[failover]") {
  // System under consideration: tests/topologies/failover-manual-small.yaml: one node, manual
  // failover with restore_time 2 s; the crash at 1002.5 ms lasts 100 ms but the restore 2 s.
  // Expectations: no detection, the same node primary again at 3002.5 ms; the next write is sent
  // at 3010 ms and acknowledged at 3011 ms: RTO = restore_time + 8.5 ms. RPO 0 (on disk). The
  // writes sent from 1010 ms to 3000 ms (200) fail.
  const auto& j = run_once(topology("failover-manual-small.yaml"));
  const auto& f = only_failover(j, "db");
  CHECK(f["detected_at"].is_null());
  CHECK(f["promoted_at"].get<double>() == Approx(3.0025));
  CHECK(f["new_primary"] == 0);
  CHECK(f["rto_s"].get<double>() == Approx(2.0 + 0.0085).margin(5e-4));
  CHECK(f["rpo_writes"] == 0);
  CHECK(j["requests"]["failed"] == 200);
}

namespace {

// Sends scripted writes and reads: (time, node, key, write?).
class Writer : public ModelNode {
 public:
  struct Step {
    double at;
    NodeId to;
    uint64_t key;
    bool write;
  };
  explicit Writer(std::vector<Step> steps) : steps_(std::move(steps)) {}
  void on_start(Context& ctx) override {
    for (size_t i = 0; i < steps_.size(); ++i) ctx.start_timer(steps_[i].at, i);
  }
  void on_timer(Context& ctx, uint64_t i) override {
    auto m = std::make_unique<Message>();
    m->call_id = i;
    m->key = steps_[i].key;
    m->is_write = steps_[i].write;
    ctx.send(steps_[i].to, std::move(m));
  }
  void on_message(Context& ctx, MessagePtr msg) override { status[msg->call_id] = msg->status; }
  std::map<uint64_t, Status> status;

 private:
  std::vector<Step> steps_;
};

}  // namespace

TEST_CASE("Failover: the old primary rejoins as a replica without resurrecting the writes lost at the promotion",
          "[failover]") {
  // System under consideration: a primary (node 0) and one async replica (node 1) with failover
  // (detect_after 100 ms, promote_time 50 ms) on an instant network, built in process; a write costs
  // 1 ms, the replica applies one in 10 ms. Writes to node 0: key 7 at 0 (version 1, applied on the
  // replica by 11 ms) and key 8 at 20 ms (version 2, acknowledged at 21 ms, applying from 21 ms to
  // 31 ms) and key 9 at 25 ms (version 3, acknowledged at 26 ms, waiting). Node 0 crashes at 28 ms
  // and restarts at 300 ms; a write of key 7 goes to node 1 at 200 ms, a read of key 9 to node 0 at
  // 400 ms.
  // Expectations: version 2 was being applied at the crash and survives; version 3 is lost (RPO 1,
  // acknowledged at 26 ms). Node 1 is primary at 178 ms; its write at 200 ms is acknowledged at
  // 201 ms (RTO 173 ms). Node 0, back at 300 ms, follows node 1: it has key 7 at node 1's version
  // (4), key 8 at 2, and no key 9: the lost write does not come back.
  auto engine = make_local_engine(instant_network());
  ComponentStats stats;
  stats.configure(0, 1);
  auto stats_f = std::make_shared<FailoverStats>();
  auto set = std::make_shared<ReplicaSet>();
  set->ids = {0, 1};
  set->members.assign(2, nullptr);
  set->up.assign(2, 1);
  set->armed.assign(2, 0);
  set->applied.assign(2, 0);
  set->applying.assign(2, 0);
  set->view = std::make_shared<PrimaryView>();
  set->view->primary = {0};
  set->view->out = {0, 0};
  Database::Params p;
  p.read_cpu = p.write_cpu = Distribution::constant(1e-3);
  p.apply = Distribution::constant(10e-3);
  p.set = set;
  p.failover = FailoverMode::Hot;
  p.detect_after = 0.1;
  p.promote_time = 0.05;
  p.failover_stats = stats_f;
  Database::Params r = p;
  p.replicas = {1};
  r.primary = false;
  r.member = 1;
  Database primary(p, &stats, Rng(1)), replica(r, &stats, Rng(2));
  replica.set_replica_index(1);
  set->members = {&primary, &replica};
  Writer w({{0, 0, 7, true}, {20e-3, 0, 8, true}, {25e-3, 0, 9, true}, {0.2, 1, 7, true}, {0.4, 0, 9, false}});
  engine->add_node("db/0", 0, &primary);
  engine->add_node("db/1", 0, &replica);
  engine->add_node("writer", 0, &w);
  engine->schedule_crash(0, 28e-3, 0.3);
  engine->run(1, 0);

  REQUIRE(stats_f->records.size() == 1);
  const FailoverRecord& f = stats_f->records[0];
  CHECK(f.detected_at == Approx(0.128));
  CHECK(f.promoted_at == Approx(0.178));
  CHECK(f.new_primary == 1);
  CHECK(f.lost_writes == 1);
  CHECK(f.unreplicated_at_crash == 1);
  CHECK(f.lost_oldest_at == Approx(26e-3));
  CHECK(f.rto == Approx(0.201 - 0.028));
  CHECK(w.status.at(3) == Status::Ok);
  CHECK(set->primary == 1);
  CHECK(set->view->primary[0] == 1);
  CHECK(set->committed.count(9) == 0);
  CHECK(primary.applied_version(7) == 4);
  CHECK(primary.applied_version(8) == 2);
  CHECK(primary.applied_version(9) == 0);
  CHECK(set->view->out[0] == 0);  // back in the read rotation
  CHECK(w.status.at(4) == Status::Ok);
}

TEST_CASE("Failover: payment-failover.yaml, sync hot standby: RPO 0, RTO about detect_after + promote_time",
          "[failover]") {
  // System under consideration: topologies/payment-failover.yaml: ~133 charges/s and ~67 balance
  // reads/s over 115 s measured; the ledger primary crashes at 30 s, detect_after 10 s,
  // promote_time 5 s.
  // Expectations: detected at 40 s, a replica primary at 45 s; RTO = 15 s + the wait for the next
  // charge (7.5 ms on average) + its latency (under 130 ms even from eu-west): within [15 s, 15.2 s].
  // RPO 0 (the run would also have thrown). Balance reads are served by the replicas throughout:
  // availability 1. Charges fail for the 15 s: availability about 1 - 15 / 115.
  const auto& j = run_once(source_path("topologies/payment-failover.yaml"));
  const auto& f = only_failover(j, "ledger");
  CHECK(f["detected_at"].get<double>() == Approx(40));
  CHECK(f["promoted_at"].get<double>() == Approx(45));
  CHECK(f["rpo_writes"] == 0);
  CHECK(f["rto_s"].get<double>() >= 15.0);
  CHECK(f["rto_s"].get<double>() <= 15.2);
  const auto& a = j["availability"];
  CHECK(a["by_type"]["balance"]["availability"] == 1.0);
  CHECK(a["by_type"]["charge"]["availability"].get<double>() == Approx(1 - 15.0 / 115).epsilon(0.01));
  CHECK(a["by_client_region"].size() == 2);
  for (const auto& row : a["sla"]) CHECK(row["met"] == false);  // a 15 s outage in 115 s meets none
}

TEST_CASE("Failover: async-failover.yaml loses the writes in the replication lag window at the crash", "[failover]") {
  // System under consideration: topologies/async-failover.yaml: the same design, async, the
  // replicas applying a write in 7 ms on average (exponential) at ~133 writes/s, so they lag.
  // Expectations: the RPO is positive and equals the count the model took at the crash instant of
  // acknowledged writes no live replica had applied or was applying (the promoted replica is the
  // one that had applied the most); the writes lost were acknowledged over a positive span before
  // the crash. RTO as in payment-failover.
  const auto& j = run_once(source_path("topologies/async-failover.yaml"));
  const auto& f = only_failover(j, "ledger");
  CHECK(f["rpo_writes"].get<int>() > 0);
  CHECK(f["rpo_writes"] == f["unreplicated_at_crash"]);
  CHECK(f["rpo_span_s"].get<double>() > 0);
  CHECK(f["rpo_newest_at"].get<double>() <= 30.0);
  CHECK(f["rto_s"].get<double>() >= 15.0);
  CHECK(f["rto_s"].get<double>() <= 15.2);
}

TEST_CASE("Availability: downtime per year is (1 - availability) x 365.25 days", "[failover]") {
  CHECK(downtime_per_year(1.0) == 0);
  CHECK(downtime_per_year(0.999) == Approx(0.001 * 365.25 * 86400));
  // The seed's rows: 99.9% "allows ~8.7 hours", 99.99% "~52 minutes".
  CHECK(downtime_per_year(0.999) / 3600 == Approx(8.766).margin(1e-3));
  CHECK(downtime_per_year(0.9999) / 60 == Approx(52.596).margin(1e-3));
  CHECK(downtime_per_year(0.99999) / 60 == Approx(5.2596).margin(1e-4));
  REQUIRE(sla_table().size() == 4);
  CHECK(sla_table()[1].target == 0.999);
  CHECK(sla_table()[2].target == 0.9999);
}

TEST_CASE("Availability: successful over attempted, overall, per type and per client region", "[failover]") {
  // System under consideration: two clients (no topology: one region), two request types.
  // Expectations: attempted leaves out the requests still in flight at the end; per type sums the
  // clients; 997 of 1000 overall is 99.7%: meets 99%, not 99.9%.
  RunResult r;
  r.type_names = {"read", "write"};
  auto& a = r.clients.emplace_back();
  a.generated = 602;
  a.in_flight_at_end = 2;
  a.completed = 599;
  a.generated_by_type = {400, 202};
  a.in_flight_by_type = {0, 2};
  a.completed_by_type = {400, 199};
  auto& b = r.clients.emplace_back();
  b.generated = 400;
  b.completed = 398;
  b.generated_by_type = {300, 100};
  b.in_flight_by_type = {0, 0};
  b.completed_by_type = {298, 100};
  Availability av = availability(r);
  CHECK(av.overall.attempted == 1000);
  CHECK(av.overall.successful == 997);
  CHECK(av.overall.availability() == Approx(0.997));
  CHECK(av.by_type[0].attempted == 700);
  CHECK(av.by_type[0].successful == 698);
  CHECK(av.by_type[1].attempted == 300);
  CHECK(av.by_type[1].successful == 299);
  REQUIRE(av.by_region.size() == 1);
  CHECK(av.by_region[0].attempted == 1000);
  auto j = availability_json(av);
  CHECK(j["downtime_per_year_h"].get<double>() == Approx(0.003 * 365.25 * 24).margin(1e-5));
  CHECK(j["sla"][0]["met"] == true);
  CHECK(j["sla"][1]["met"] == false);
  CHECK(j["sla"][1]["seed"] == "~8.7 hours of downtime per year");
  // The rows say what they extrapolate: the measured window, with or without faults.
  r.window_start = 2;
  r.window_end = 12;
  std::string quiet = availability_scope(availability(r));
  CHECK(quiet.find("measured window only (10 s, no fault injected)") != std::string::npos);
  CHECK(availability_json(availability(r))["scope"]["faults"] == 0);
  r.faults.emplace_back();
  std::string faulty = availability_scope(availability(r));
  CHECK(faulty.find("(10 s with 1 fault)") != std::string::npos);
  CHECK(faulty.find("all year") != std::string::npos);
}

TEST_CASE("Failover invariant: a sync database that lost acknowledged writes breaks the run", "[failover]") {
  // System under consideration: the checker run at the end of every run, given records.
  // Expectations: async may lose writes (that is its RPO); sync losing one throws and says why.
  FailoverStats f;
  f.records.push_back({});
  f.records[0].lost_writes = 3;
  f.records[0].crashed_at = 30;
  f.sync = false;
  CHECK_NOTHROW(check_failover_invariants("ledger", f));
  f.sync = true;
  CHECK_THROWS_WITH(check_failover_invariants("ledger", f),
                    Catch::Contains("database 'ledger' (synchronous replication) lost 3 acknowledged writes"));
  f.records[0].lost_writes = 0;
  CHECK_NOTHROW(check_failover_invariants("ledger", f));
}

TEST_CASE("Failover: archsim run prints the failovers and the availability next to the SLA rows", "[failover]") {
  auto o = run_archsim({"run", topology("failover-async-small.yaml")});
  REQUIRE(o.exit_code == 0);
  CHECK_THAT(o.out, Catch::Contains("failover (auto) shard 0: crashed 1.002 s, detected 1.502 s, primary db/1 at 1.752 s"));
  CHECK_THAT(o.out, Catch::Contains("RPO 33 writes over 0.320 s"));
  CHECK_THAT(o.out, Catch::Contains("SLA 99.9%"));
  CHECK_THAT(o.out, Catch::Contains("not met"));
}
