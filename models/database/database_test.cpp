// Databases: read replicas and what async vs sync replication costs (stale reads, read-your-writes
// violations, write latency), connection limits and a pooler, and the presets.
#include <catch2/catch.hpp>

#include <map>
#include <memory>

#include "models/database/database.hpp"
#include "models/common/message.hpp"
#include "sim/config/loader.hpp"
#include "sim/config/validate.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;
using namespace archsim::testing;

namespace {

std::string error_of(const std::string& doc) {
  try {
    Topology t = load_topology_text(doc, "t.yaml");
    validate_topology(t);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// A client calling one database whose keys follow the `db:` line; `db` is indented by 4.
std::string with_db(const std::string& db) {
  return "name: t\n"
         "components:\n"
         "  users:\n"
         "    kind: client\n"
         "    arrival: {process: poisson, rate: 100/s}\n"
         "    requests: {read: {weight: 1}}\n"
         "    target: db\n"
         "  db:\n"
         "    kind: database\n" +
         db;
}

// Sends scripted requests: (time, node, write?) for key 7, and records when each answer came back.
class Script : public ModelNode {
 public:
  struct Step {
    double at;
    NodeId to;
    bool write;
  };
  explicit Script(std::vector<Step> steps) : steps_(std::move(steps)) {}
  void on_start(Context& ctx) override {
    for (size_t i = 0; i < steps_.size(); ++i) ctx.start_timer(steps_[i].at, i);
  }
  void on_timer(Context& ctx, uint64_t i) override {
    auto m = std::make_unique<Message>();
    m->call_id = i;
    m->key = 7;
    m->is_write = steps_[i].write;
    ctx.send(steps_[i].to, std::move(m));
  }
  void on_message(Context& ctx, MessagePtr msg) override { answered[msg->call_id] = ctx.now(); }
  std::map<uint64_t, double> answered;

 private:
  std::vector<Step> steps_;
};

// A primary (node 0) and one read replica (node 1) of one shard on an instant network; the
// replica applies a write in 10 ms; reads and writes cost 1 ms of CPU.
struct Pair {
  ComponentStats stats;
  std::unique_ptr<Database> primary, replica;
  Pair(bool sync) {
    stats.configure(0, 1);
    auto set = std::make_shared<ReplicaSet>();
    Database::Params p;
    p.read_cpu = p.write_cpu = Distribution::constant(1e-3);
    p.apply = Distribution::constant(10e-3);
    p.sync = sync;
    p.set = set;
    Database::Params r = p;
    p.replicas = {1};
    r.primary = false;
    primary = std::make_unique<Database>(p, &stats, Rng(1));
    replica = std::make_unique<Database>(r, &stats, Rng(2));
  }
};

}  // namespace

TEST_CASE("Database: an async replica serves a read before it applied the write", "[database]") {
  // System under consideration: a write to the primary at t = 0 (1 ms of CPU, acknowledged at 1 ms,
  // streamed to the replica, applied there at 11 ms); reads of the same key at the replica at
  // 5 ms and at 20 ms.
  // Expectations: the write answers at 1 ms; the 5 ms read misses it: a stale read 4 ms old and a
  // read-your-writes violation (acknowledged before the read was sent); the 20 ms read is fresh.
  // The replication lag is the 10 ms apply.
  auto engine = make_local_engine(testing::instant_network());
  Pair pair(false);
  Script script({{0, 0, true}, {5e-3, 1, false}, {20e-3, 1, false}});
  engine->add_node("db/0", 0, pair.primary.get());
  engine->add_node("db/1", 0, pair.replica.get());
  engine->add_node("script", 0, &script);
  engine->run(1, 0);
  CHECK(script.answered.at(0) == Approx(1e-3));
  CHECK(pair.stats.replica_reads == 2);
  CHECK(pair.stats.stale_reads == 1);
  CHECK(pair.stats.ryw_violations == 1);
  CHECK(pair.stats.staleness.max() == Approx(4e-3).epsilon(0.02));
  CHECK(pair.stats.replication_lag.mean() == Approx(10e-3).epsilon(0.02));
}

TEST_CASE("Database: a sync write waits for the replica, so no read misses it", "[database]") {
  // System under consideration: the same script with sync replication.
  // Expectations: the write answers at 1 ms + 10 ms apply = 11 ms (the network is instant); the
  // 5 ms read comes before the commit, so it is not stale; nothing is stale.
  auto engine = make_local_engine(testing::instant_network());
  Pair pair(true);
  Script script({{0, 0, true}, {5e-3, 1, false}, {20e-3, 1, false}});
  engine->add_node("db/0", 0, pair.primary.get());
  engine->add_node("db/1", 0, pair.replica.get());
  engine->add_node("script", 0, &script);
  engine->run(1, 0);
  CHECK(script.answered.at(0) == Approx(11e-3));
  CHECK(pair.stats.replica_reads == 2);
  CHECK(pair.stats.stale_reads == 0);
  CHECK(pair.stats.ryw_violations == 0);
}

TEST_CASE("Replication: async replicas serve stale reads and break read-your-writes; sync does not", "[database]") {
  // System under consideration: tests/topologies/replication.yaml: 10 users, 1 ms think time, 20
  // rows, 5% writes, reads from the one read replica, which applies writes one at a time in 2 ms.
  // Expectations: async: the replication lag (one way 0.25 ms + queueing + 2 ms apply) exceeds the
  // 1 ms think time, so some reads miss a write already acknowledged: stale_reads > 0 and
  // read_your_writes_violations > 0 (the key stands for the caller), each at most the replica's
  // reads; the staleness ages are positive. sync: a write is acknowledged only after the replica
  // applied it: no stale read, no violation.
  const auto& async = run_once(topology("replication.yaml"));
  const auto& a = async["components"]["db"]["replication"];
  CHECK(a["mode"] == "async");
  CHECK(a["lag_ms"]["p50"].get<double>() > 1.0);
  CHECK(a["stale_reads"].get<int>() > 0);
  CHECK(a["read_your_writes_violations"].get<int>() > 0);
  CHECK(a["read_your_writes_violations"].get<int>() <= a["stale_reads"].get<int>());
  CHECK(a["stale_reads"].get<int>() <= a["replica_reads"].get<int>());
  CHECK(a["staleness_ms"]["count"] == a["stale_reads"]);
  CHECK(a["staleness_ms"]["max"].get<double>() > 0);

  const auto& sync = run_once(topology("replication.yaml"), {"--set", "components.db.replication.mode=sync"});
  const auto& s = sync["components"]["db"]["replication"];
  CHECK(s["mode"] == "sync");
  CHECK(s["replica_reads"].get<int>() > 1000);
  CHECK(s["stale_reads"] == 0);
  CHECK(s["read_your_writes_violations"] == 0);
}

TEST_CASE("Replication: a sync write costs about one replica round trip more than an async one", "[database]") {
  // System under consideration: replication.yaml with a 100 us apply (the replica never queues).
  // Expectations: async write = the client's round trip (0.5 ms) + 50 us; sync adds the round trip
  // to the replica (0.5 ms, same data centre) and its 100 us apply: +0.6 ms, within 0.05 ms.
  // Reads do not change.
  std::vector<std::string> fast{"--set", "components.db.replication.apply=100us"};
  std::vector<std::string> fast_sync = fast;
  fast_sync.insert(fast_sync.end(), {"--set", "components.db.replication.mode=sync"});
  const auto& a = run_once(topology("replication.yaml"), fast);
  const auto& s = run_once(topology("replication.yaml"), fast_sync);
  double async_write = a["latency_ms"]["by_type"]["write"]["mean"];
  double sync_write = s["latency_ms"]["by_type"]["write"]["mean"];
  CHECK(sync_write - async_write == Approx(0.6).margin(0.05));
  CHECK(s["latency_ms"]["by_type"]["read"]["mean"].get<double>() ==
        Approx(a["latency_ms"]["by_type"]["read"]["mean"].get<double>()).epsilon(0.01));
}

TEST_CASE("postgres-connections: max_connections is the wall, a pooler the fix", "[database][topologies]") {
  // System under consideration: topologies/postgres-connections.yaml: 5,000 closed-loop users
  // (100 ms think time) on one `preset: postgres` node (16 cores, 320 us per read, 500 connections,
  // refused beyond, ~1 us of CPU per query per active connection).
  // Expectations without the pooler: all 500 connections busy, a read costs ~820 us, so the node
  // serves under 25k/s and more than a third of the requests are refused.
  // With `pooler.enabled=true` (100 server connections): nobody refused, at most 100 busy
  // connections, at least 1.7x the throughput, and the wait moves into the pooler (mean_wait_ms).
  const auto& wall = run_once(source_path("topologies/postgres-connections.yaml"));
  const auto& w = wall["components"]["db"];
  CHECK(w["connections"]["peak_busy_per_node"] == 500);
  CHECK(w["throughput_rps"].get<double>() < 25000);
  CHECK(wall["requests"]["rejected"].get<double>() > wall["requests"]["generated"].get<double>() / 3);
  CHECK(w["connections"]["peak_connection_memory_mb"].get<double>() == Approx(5000));

  const auto& fix = run_once(source_path("topologies/postgres-connections.yaml"),
                             {"--set", "components.db.pooler.enabled=true"});
  const auto& f = fix["components"]["db"];
  CHECK(fix["requests"]["rejected"] == 0);
  CHECK(f["connections"]["peak_busy_per_node"] == 100);
  CHECK(f["connections"]["pooler"]["kind"] == "pgbouncer");
  CHECK(f["throughput_rps"].get<double>() > 1.7 * w["throughput_rps"].get<double>());
  CHECK(f["mean_wait_ms"].get<double>() > 1.0);
}

TEST_CASE("Database presets: load with the seed's numbers, and every field can be overridden", "[database][loader]") {
  SECTION("postgres: 16 cores, 320 us per read (50k/s), 1 ms writes on 10 channels (10k/s), 500 connections") {
    Topology t = load_topology_text(with_db("    preset: postgres\n"), "t.yaml");
    const Component& db = *t.find("db");
    CHECK(db.db.preset == "postgres");
    CHECK(db.cores == 16);
    CHECK(db.workers == 500);
    CHECK(db.io_parallelism == 10);
    CHECK(db.read_profile.cpu.mean() == Approx(320e-6));
    CHECK(db.write_profile.io.mean() == Approx(1e-3));
    CHECK(db.db.refuse_over_limit);
    CHECK(16 / db.read_profile.cpu.mean() == Approx(50000));
    CHECK(10 / db.write_profile.io.mean() == Approx(10000));
  }
  SECTION("keys beside the preset override it, one field at a time") {
    Topology t = load_topology_text(
        with_db("    preset: postgres\n    max_connections: 800\n    read: {cpu: 100us}\n    connection_overflow: wait\n"),
        "t.yaml");
    const Component& db = *t.find("db");
    CHECK(db.workers == 800);
    CHECK(db.read_profile.cpu.mean() == Approx(100e-6));
    CHECK(db.read_profile.io.mean() == 0);  // the preset's, untouched
    CHECK(db.cores == 16);
    CHECK_FALSE(db.db.refuse_over_limit);
  }
  SECTION("every preset loads") {
    for (const char* p : {"postgres", "mysql", "cassandra", "dynamodb", "redis"}) {
      INFO(p);
      CHECK(error_of(with_db(std::string("    preset: ") + p + "\n")) == "");
    }
    Topology t = load_topology_text(with_db("    preset: redis\n"), "t.yaml");
    CHECK(1 / t.find("db")->read_profile.cpu.mean() == Approx(100000));  // the seed's ~100K ops/s
  }
  SECTION("an unknown preset is an error that suggests the nearest") {
    CHECK(error_of(with_db("    preset: postgress\n")) ==
          "t.yaml:10:13: error: unknown database preset 'postgress' (did you mean 'postgres'?); known: postgres, mysql, "
          "cassandra, dynamodb, redis");
  }
}

TEST_CASE("Database schema: replicas, shards and directories are checked", "[database][loader]") {
  CHECK(error_of(with_db("    reads_from: replicas\n")) ==
        "t.yaml:10:17: error: reads_from: replicas needs read_replicas: 1 or more");
  CHECK(error_of(with_db("    replicas: 2\n    shards: 2\n")).find("give either `shards:` or `replicas:`") != std::string::npos);
  // Legacy `replicas: N` with read replicas: N shards of (1 + R) nodes.
  Topology t = load_topology_text(with_db("    replicas: 3\n    read_replicas: 2\n"), "t.yaml");
  CHECK(t.find("db")->replicas == 9);
  CHECK(t.find("db")->shards == 3);
  // A directory-sharded database reached around its directory.
  std::string doc = with_db("    shards: 2\n    sharding: {strategy: directory, directory: dir}\n") +
                    "  dir: {kind: service, delay: 1ms, calls: [db]}\n";
  CHECK(error_of(doc).find("'users' calls 'db' directly, but 'db' finds its shards through the directory 'dir'") !=
        std::string::npos);
}
