// The cache: eviction policies and TTL on hand-built sequences, LRU against Che's approximation,
// the hot-key sketch and the consistent-hash ring (all in-process, no engine); then the write
// policies, stampedes and a crash on the in-process engine, and end to end through `archsim run`.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "models/cache/cache.hpp"
#include "models/cache/cache_store.hpp"
#include "models/database/database.hpp"
#include "models/service/service.hpp"
#include "sim/analysis/estimate.hpp"
#include "sim/support/hash_ring.hpp"
#include "sim/support/heavy_hitters.hpp"
#include "sim/support/key_distribution.hpp"
#include "sim/support/queueing_formulas.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;
using archsim::testing::instant_network;

namespace {

CacheStoreParams store_params(Eviction e, double capacity, double ttl = 0) {
  CacheStoreParams p;
  p.eviction = e;
  p.capacity = capacity;
  p.ttl = ttl;
  return p;
}

bool hit(CacheStore& c, uint64_t key, double now = 0) { return c.lookup(key, now) == CacheStore::Lookup::Hit; }

// The hit ratio of `store` under a Zipf(s) stream over `keys` keys: `warm` requests to fill it,
// then `measured` requests counted. A miss inserts the key, as a read-through cache does.
double zipf_hit_ratio(CacheStore& store, uint64_t keys, double s, int warm, int measured) {
  KeyDistribution d = KeyDistribution::zipf(keys, s);
  Rng rng(7);
  int hits = 0;
  for (int i = 0; i < warm + measured; ++i) {
    uint64_t k = d.sample(rng);
    if (hit(store, k)) {
      if (i >= warm) ++hits;
    } else {
      store.insert(k, 1, 0);
    }
  }
  return static_cast<double>(hits) / measured;
}

}  // namespace

TEST_CASE("CacheStore: LRU evicts the least recently used key", "[cache]") {
  auto c = make_lru_cache(store_params(Eviction::Lru, 2));
  c->insert(1, 1, 0);
  c->insert(2, 1, 0);
  CHECK(hit(*c, 1));  // 1 is now the most recent
  CHECK(c->insert(3, 1, 0) == 1);  // evicts 2
  CHECK(hit(*c, 1));
  CHECK_FALSE(hit(*c, 2));
  CHECK(hit(*c, 3));
  CHECK(c->size() == 2);
  CHECK(c->evictions() == 1);
}

TEST_CASE("CacheStore: FIFO evicts the oldest insertion whatever its hits", "[cache]") {
  // Sequence: insert 1, 2; hit 1 twice; insert 3. LRU would evict 2 (least recent); FIFO evicts 1.
  auto c = make_fifo_cache(store_params(Eviction::Fifo, 2));
  c->insert(1, 1, 0);
  c->insert(2, 1, 0);
  CHECK(hit(*c, 1));
  CHECK(hit(*c, 1));
  c->insert(3, 1, 0);
  CHECK_FALSE(c->contains(1));
  CHECK(c->contains(2));
  CHECK(c->contains(3));
  SECTION("rewriting a key makes it the newest insertion") {
    c->insert(2, 1, 0);
    c->insert(4, 1, 0);  // evicts 3, now the oldest
    CHECK(c->contains(2));
    CHECK_FALSE(c->contains(3));
  }
}

TEST_CASE("CacheStore: LFU evicts the least frequently used key, ties to the least recent", "[cache]") {
  // Sequence: insert 1, 2, 3 (capacity 3); 1 used 3 times, 2 once, 3 twice; insert 4 evicts 2.
  // Then 4 (0 uses) and ... insert 5 evicts 4, the only key with 0 uses.
  auto c = make_lfu_cache(store_params(Eviction::Lfu, 3));
  c->insert(1, 1, 0);
  c->insert(2, 1, 0);
  c->insert(3, 1, 0);
  for (int i = 0; i < 3; ++i) CHECK(hit(*c, 1));
  CHECK(hit(*c, 2));
  CHECK(hit(*c, 3));
  CHECK(hit(*c, 3));
  c->insert(4, 1, 0);
  CHECK_FALSE(c->contains(2));
  c->insert(5, 1, 0);
  CHECK_FALSE(c->contains(4));
  CHECK(c->contains(1));
  CHECK(c->contains(3));
  CHECK(c->contains(5));
  SECTION("among equally used keys the least recently used leaves") {
    CHECK(hit(*c, 5));  // 5: 1 use, 3: 2 uses, 1: 3 uses
    CHECK(hit(*c, 5));  // 5: 2 uses, used after 3
    c->insert(6, 1, 0);
    CHECK_FALSE(c->contains(3));
    CHECK(c->contains(5));
  }
}

TEST_CASE("CacheStore: an entry expires TTL seconds after it was written", "[cache]") {
  for (Eviction e : {Eviction::Lru, Eviction::Lfu, Eviction::Fifo}) {
    INFO(to_string(e));
    auto c = make_cache_store(store_params(e, 10, 1.0));
    c->insert(1, 1, 0.0);
    CHECK(c->lookup(1, 0.5) == CacheStore::Lookup::Hit);  // a hit does not extend the TTL
    CHECK(c->lookup(1, 1.0) == CacheStore::Lookup::Expired);
    CHECK(c->lookup(1, 1.1) == CacheStore::Lookup::Miss);  // gone after expiring
    c->insert(1, 1, 1.2);  // written again: valid until 2.2
    CHECK(c->lookup(1, 2.1) == CacheStore::Lookup::Hit);
    CHECK(c->lookup(1, 2.3) == CacheStore::Lookup::Expired);
    CHECK(c->expired() == 2);
    CHECK(c->evictions() == 0);
  }
}

TEST_CASE("CacheStore: a capacity in bytes charges each value its size", "[cache]") {
  // 1000 bytes: two 400-byte values fit, a third evicts the oldest; a 1200-byte value never fits.
  auto c = make_lru_cache(store_params(Eviction::Lru, 1000));
  c->insert(1, 400, 0);
  c->insert(2, 400, 0);
  CHECK(c->used() == 400 + 400);
  CHECK(c->insert(3, 400, 0) == 1);
  CHECK_FALSE(c->contains(1));
  CHECK(c->insert(4, 1200, 0) == 0);
  CHECK_FALSE(c->contains(4));
  CHECK(c->insert(5, 100, 0) == 0);  // 400 + 400 + 100 fits
  CHECK(c->size() == 3);
  c->clear();
  CHECK(c->size() == 0);
  CHECK(c->used() == 0);
}

TEST_CASE("CacheStore: the LRU hit ratio under Zipf keys matches Che's approximation within 2 points", "[cache]") {
  // System under consideration: an LRU cache of C entries under independent Zipf(s) requests over
  // 100,000 keys, warmed with 300k requests, measured over 1M.
  // Expectations: Che, Tung & Wang (2002) (sim/analysis/estimate.cpp) within 2 percentage points.
  struct Case {
    double capacity, s;
  };
  for (Case k : {Case{1000, 0.8}, Case{10000, 0.9}, Case{2000, 1.2}, Case{20000, 0.6}}) {
    auto lru = make_lru_cache(store_params(Eviction::Lru, k.capacity));
    double measured = zipf_hit_ratio(*lru, 100000, k.s, 300000, 1000000);
    double che = che_hit_ratio({KeyDistribution::zipf(100000, k.s)}, {1.0}, k.capacity);
    INFO("capacity " << k.capacity << ", s " << k.s << ": measured " << measured << ", Che " << che);
    WARN("LRU capacity " << k.capacity << " s " << k.s << ": measured " << measured << " vs Che " << che);
    CHECK(std::abs(measured - che) < 0.02);
  }
}

TEST_CASE("CacheStore: LFU beats LRU and FIFO on a stable Zipf popularity", "[cache]") {
  // Under IRM (popularity never changes) LFU keeps the truly popular keys; FIFO ignores hits.
  double lru = zipf_hit_ratio(*make_lru_cache(store_params(Eviction::Lru, 1000)), 100000, 0.9, 200000, 500000);
  double lfu = zipf_hit_ratio(*make_lfu_cache(store_params(Eviction::Lfu, 1000)), 100000, 0.9, 200000, 500000);
  double fifo = zipf_hit_ratio(*make_fifo_cache(store_params(Eviction::Fifo, 1000)), 100000, 0.9, 200000, 500000);
  WARN("Zipf 0.9, 1000 of 100k keys: LFU " << lfu << ", LRU " << lru << ", FIFO " << fifo);
  CHECK(lfu > lru);
  CHECK(lru > fifo);
}

TEST_CASE("HeavyHitters: Space-Saving finds the hottest keys in bounded memory", "[cache]") {
  // 500k Zipf(1.1) requests over 1M keys into 64 counters: the top 10 are ranks 0..9, and the top
  // key's share is within its error bound of the truth (about 1/zeta(1.1) = 9.4%).
  KeyDistribution d = KeyDistribution::zipf(1000000, 1.1);
  Rng rng(3);
  HeavyHitters hh(64);
  uint64_t key0 = 0;
  const int n = 500000;
  for (int i = 0; i < n; ++i) {
    uint64_t k = d.sample(rng);
    key0 += k == 0;
    hh.add(k, static_cast<uint32_t>(k % 3));
  }
  auto top = hh.top(10);
  REQUIRE(top.size() == 10);
  std::set<uint64_t> keys;
  for (const auto& e : top) keys.insert(e.key);
  for (uint64_t k = 0; k < 5; ++k) CHECK(keys.count(k));
  CHECK(top[0].key == 0);
  CHECK(top[0].count >= key0);
  CHECK(top[0].count - top[0].error <= key0);
  CHECK(hh.total() == static_cast<uint64_t>(n));
}

TEST_CASE("HashRing: keys spread evenly and adding a replica moves about 1/(N+1) of them", "[cache]") {
  HashRing four(4, 150), five(5, 150);
  std::vector<int> load(4);
  int moved = 0;
  const int n = 200000;
  for (uint64_t k = 0; k < static_cast<uint64_t>(n); ++k) {
    size_t a = four.owner(k);
    ++load[a];
    if (five.owner(k) != a) ++moved;
  }
  for (int l : load) CHECK(l == Approx(n / 4.0).epsilon(0.15));
  CHECK(static_cast<double>(moved) / n == Approx(0.2).margin(0.03));
}

// ---- The model on the in-process engine ----

namespace {

// Sends scripted requests at given times to node 0 and records each answer.
class Script : public ModelNode {
 public:
  struct Req {
    double at;
    bool write;
    uint64_t key;
  };
  explicit Script(std::vector<Req> reqs, NodeId target = 0) : reqs_(std::move(reqs)), target_(target) {}
  void on_start(Context& ctx) override {
    for (size_t i = 0; i < reqs_.size(); ++i) ctx.start_timer(reqs_[i].at, i);
  }
  void on_timer(Context& ctx, uint64_t i) override {
    auto m = std::make_unique<Message>();
    m->call_id = i;
    m->is_write = reqs_[i].write;
    m->key = reqs_[i].key;
    m->type = reqs_[i].write ? 1 : 0;
    ctx.send(target_, std::move(m));
  }
  void on_message(Context& ctx, MessagePtr msg) override {
    latency[msg->call_id] = ctx.now() - reqs_[msg->call_id].at;
    status[msg->call_id] = msg->status;
    ++answers;
  }
  std::map<uint64_t, double> latency;
  std::map<uint64_t, Status> status;
  int answers = 0;

 private:
  std::vector<Req> reqs_;
  NodeId target_;
};

ComponentStats stats_for(double end) {
  ComponentStats s;
  s.configure(0, end);
  return s;
}

CallTarget target_of(NodeId n) {
  CallTarget t;
  t.replicas = {n};
  t.by_key = true;
  return t;
}

// A cache (node 0, 1 ms per lookup) in front of a database (node 1: reads 5 ms, writes 5 ms, one
// disk channel per request so requests do not slow each other down).
struct Rig {
  ComponentStats cs = stats_for(10), ds = stats_for(10);
  Cache::Params cp;
  Database::Params dp;
  Rig(WritePolicy w) {
    cp.capacity = 1000;
    cp.hit = Distribution::constant(1e-3);
    cp.write_policy = w;
    cp.backend_call.targets = {target_of(1)};
    dp.station.io_parallelism = 1000;
    dp.read_io = Distribution::constant(5e-3);
    dp.write_io = Distribution::constant(5e-3);
  }
};

}  // namespace

TEST_CASE("Cache: write_through writes cost the cache plus the database; write_behind only the cache", "[cache]") {
  // System under consideration: a write to key 1 at t = 0, then a read of key 1 at t = 0.1.
  // Expectations: write_through: the write takes 1 ms (cache) + 5 ms (database) = 6 ms and fills
  // the cache, so the read hits in 1 ms. read_through: the write also takes 6 ms but invalidates,
  // so the read misses (1 + 5 ms). write_behind: the write is acknowledged in 1 ms.
  struct Case {
    WritePolicy policy;
    double write_ms, read_ms;
  };
  for (Case k : {Case{WritePolicy::WriteThrough, 6, 1}, Case{WritePolicy::ReadThrough, 6, 6},
                 Case{WritePolicy::WriteBehind, 1, 1}}) {
    INFO(to_string(k.policy));
    Rig rig(k.policy);
    auto engine = make_local_engine(instant_network());
    Cache cache(rig.cp, &rig.cs, Rng(1));
    Database db(rig.dp, &rig.ds, Rng(2));
    Script probe({{0.0, true, 1}, {0.1, false, 1}});
    engine->add_node("cache", 0, &cache);
    engine->add_node("db", 0, &db);
    engine->add_node("probe", 0, &probe);
    engine->run(3, 0);
    REQUIRE(probe.answers == 2);
    CHECK(probe.latency[0] * 1e3 == Approx(k.write_ms));
    CHECK(probe.latency[1] * 1e3 == Approx(k.read_ms));
  }
}

TEST_CASE("Cache: a crash loses exactly the acknowledged writes not flushed yet", "[cache]") {
  // System under consideration: a write_behind cache flushing every 1 s; 25 writes, one every
  // 100 ms from t = 0.05 (keys 0..9 over and over, so flushes collapse repeated keys); the cache
  // replica crashes at t = 2.5 s and comes back at 3.0 s.
  // Expectations: the flushes at 1 s and 2 s send the 20 writes acknowledged before them; the 5
  // acknowledged at 2.05..2.45 s are lost. The database receives one write per distinct key per
  // flush (10 + 10). A write sent while the replica is down (2.75 s) is refused at once
  // (failed); one sent after it restarts (3.25 s) is acknowledged and flushed at 4 s.
  Rig rig(WritePolicy::WriteBehind);
  rig.cp.flush_interval = 1.0;
  auto engine = make_local_engine(instant_network());
  Cache cache(rig.cp, &rig.cs, Rng(1));
  Database db(rig.dp, &rig.ds, Rng(2));
  std::vector<Script::Req> reqs;
  for (int i = 0; i < 25; ++i) reqs.push_back({0.05 + 0.1 * i, true, static_cast<uint64_t>(i % 10)});
  reqs.push_back({2.75, true, 99});
  reqs.push_back({3.25, true, 98});
  Script probe(reqs);
  engine->add_node("cache", 0, &cache);
  engine->add_node("db", 0, &db);
  engine->add_node("probe", 0, &probe);
  engine->schedule_crash(0, 2.5, 3.0);
  engine->run(5, 0);
  CHECK(rig.cs.cache.writes_acknowledged == 26);
  CHECK(rig.cs.cache.writes_flushed == 21);
  CHECK(rig.cs.cache.unflushed_writes_lost == 5);
  CHECK(rig.ds.completed == 10 + 10 + 1);
  CHECK(probe.answers == 27);
  CHECK(probe.status[25] == Status::Failed);
  CHECK(probe.latency[25] == 0.0);
  CHECK(probe.status[26] == Status::Ok);
}

TEST_CASE("Cache: the write-behind flush timer runs only while writes wait", "[cache]") {
  // System under consideration: a write_behind cache flushing every 1 ns (the engine's
  // resolution); 25 writes over 2.5 s, then nothing until 100 s.
  // Expectations: every write is flushed, one flush per write, and the run costs a few events
  // per write instead of one timer per nanosecond (1e11 of them).
  Rig rig(WritePolicy::WriteBehind);
  rig.cp.flush_interval = 1e-9;
  auto engine = make_local_engine(instant_network());
  Cache cache(rig.cp, &rig.cs, Rng(1));
  Database db(rig.dp, &rig.ds, Rng(2));
  std::vector<Script::Req> reqs;
  for (int i = 0; i < 25; ++i) reqs.push_back({0.05 + 0.1 * i, true, static_cast<uint64_t>(i % 10)});
  Script probe(reqs);
  engine->add_node("cache", 0, &cache);
  engine->add_node("db", 0, &db);
  engine->add_node("probe", 0, &probe);
  engine->run(100, 0);
  CHECK(rig.cs.cache.writes_acknowledged == 25);
  CHECK(rig.cs.cache.writes_flushed == 25);
  CHECK(rig.ds.completed == 25);
  CHECK(engine->events() < 25 * 20);
}

TEST_CASE("Cache: a hot key's expiry stampedes the database unless misses are coalesced", "[cache]") {
  // System under consideration: one key read every 0.1 ms (10k/s) for 1 s; TTL 10 ms; database
  // reads take 5 ms.
  // Expectations: each expiry is followed by 5 ms of misses, every one a database read (about 50
  // per expiry; all but the first are stampede misses). With coalesce_misses the database sees
  // one read per expiry and the other misses wait for it.
  auto run = [](bool coalesce, ComponentStats& cs, ComponentStats& ds) {
    Rig rig(WritePolicy::ReadThrough);
    rig.cp.ttl = 10e-3;
    rig.cp.coalesce_misses = coalesce;
    auto engine = make_local_engine(instant_network());
    Cache cache(rig.cp, &cs, Rng(1));
    Database db(rig.dp, &ds, Rng(2));
    std::vector<Script::Req> reqs;
    for (int i = 0; i < 10000; ++i) reqs.push_back({i * 1e-4, false, 42});
    Script probe(reqs);
    engine->add_node("cache", 0, &cache);
    engine->add_node("db", 0, &db);
    engine->add_node("probe", 0, &probe);
    engine->run(1.1, 0);
    return probe.answers;
  };
  ComponentStats cs = stats_for(1.1), ds = stats_for(1.1), cs2 = stats_for(1.1), ds2 = stats_for(1.1);
  CHECK(run(false, cs, ds) == 10000);
  CHECK(run(true, cs2, ds2) == 10000);
  uint64_t expiries = cs.cache.expired;
  WARN("stampede: " << cs.misses << " misses, " << cs.cache.stampede_misses << " stampede misses, " << ds.arrivals
                    << " database reads; coalesced: " << cs2.misses << " misses, " << ds2.arrivals
                    << " database reads, " << cs2.cache.coalesced_misses << " waited");
  CHECK(expiries > 40);
  CHECK(ds.arrivals == cs.misses);
  CHECK(cs.cache.stampede_misses == cs.misses - (expiries + 1));  // +1: the cold miss
  CHECK(cs.cache.stampede_misses > 40 * expiries);
  CHECK(cs2.cache.stampede_misses == 0);
  CHECK(ds2.arrivals == cs2.cache.expired + 1);
  CHECK(cs2.cache.coalesced_misses == cs2.misses - ds2.arrivals);
}

TEST_CASE("Cache: cache_aside makes the caller read the database on a miss and fill the cache", "[cache]") {
  // System under consideration: a service (node 2, no work) calls a cache_aside cache (node 0,
  // 1 ms) whose backend is the database (node 1, 5 ms). Key 7 is read at 0, read at 0.1, written
  // at 0.2 and read at 0.3.
  // Expectations: read 1 misses: cache 1 ms + database 5 ms + fill 1 ms = 7 ms; read 2 hits: 1 ms;
  // the write goes to the database then invalidates the key: 5 + 1 = 6 ms; read 4 misses again:
  // 7 ms. The database sees 2 reads and 1 write; the cache 2 fills and 1 invalidation.
  Rig rig(WritePolicy::CacheAside);
  ComponentStats ss = stats_for(10);
  Service::Params sp;
  ResolvedCall to_cache;
  to_cache.targets = {target_of(0)};
  auto backend = std::make_shared<ResolvedCall>();
  backend->targets = {target_of(1)};
  to_cache.aside_backend = backend;
  sp.calls_by_type = {{to_cache}, {to_cache}};
  auto engine = make_local_engine(instant_network());
  Cache cache(rig.cp, &rig.cs, Rng(1));
  Database db(rig.dp, &rig.ds, Rng(2));
  Service svc(sp, &ss, Rng(3));
  Script probe({{0.0, false, 7}, {0.1, false, 7}, {0.2, true, 7}, {0.3, false, 7}}, 2);
  engine->add_node("cache", 0, &cache);
  engine->add_node("db", 0, &db);
  engine->add_node("svc", 0, &svc);
  engine->add_node("probe", 0, &probe);
  engine->run(1, 0);
  REQUIRE(probe.answers == 4);
  CHECK(probe.latency[0] * 1e3 == Approx(7));
  CHECK(probe.latency[1] * 1e3 == Approx(1));
  CHECK(probe.latency[2] * 1e3 == Approx(6));
  CHECK(probe.latency[3] * 1e3 == Approx(7));
  CHECK(rig.ds.completed == 3);
  CHECK(rig.cs.cache.fills == 2);
  CHECK(rig.cs.cache.invalidations == 1);
  CHECK(rig.cs.hits == 1);
  CHECK(rig.cs.misses == 2);
}

// ---- End to end through `archsim run` (SimGrid engine) ----

using archsim::testing::run_once;
using archsim::testing::topology;

TEST_CASE("Cache: write_through write latency is the cache's plus the database's", "[cache]") {
  // System under consideration: tests/topologies/cache-write-policies.yaml: client -> cache (1 ms)
  // -> database (writes 5 ms of I/O), 500 us round trips; 10 keys, all cached.
  // Expectations: write_through: a write takes 0.5 + 1 + 0.5 + 5 = 7 ms; a read hits: 0.5 + 1 =
  // 1.5 ms (within 0.5%). write_behind acknowledges a write like a hit (1.5 ms).
  auto j = run_once(topology("cache-write-policies.yaml"));
  CHECK(j["latency_ms"]["by_type"]["write"]["mean"].get<double>() == Approx(7.0).epsilon(0.005));
  CHECK(j["latency_ms"]["by_type"]["read"]["mean"].get<double>() == Approx(1.5).epsilon(0.005));
  CHECK(j["components"]["cache"]["hit_ratio"].get<double>() == 1.0);
  CHECK(j["components"]["cache"]["write_policy"] == "write_through");
  auto b = run_once(topology("cache-write-policies.yaml"), {"--set", "components.cache.write_policy=write_behind"});
  CHECK(b["latency_ms"]["by_type"]["write"]["mean"].get<double>() == Approx(1.5).epsilon(0.005));
}

TEST_CASE("Cache: crashing a write-behind replica loses exactly the writes acknowledged since the last flush", "[cache]") {
  // System under consideration: tests/topologies/cache-write-behind-crash.yaml: one write every
  // 10 ms from t = 0.01 s to a write_behind cache (1 ms, flush every 1 s); the replica crashes at
  // 2.5 s and restarts empty at 3 s.
  // Expectations: the writes acknowledged between the flush at 2 s and the crash (sent at 2.00 ..
  // 2.49 s) are lost: exactly 50. The 50 sent while it is down are refused (failed, not timed
  // out: the connection is refused at once). Acknowledged: 249 before
  // the crash + 150 after the restart; flushed: 99 + 100 before, 100 at 4 s; the 50 acknowledged
  // after 4 s are still waiting at the end (not lost).
  auto j = run_once(topology("cache-write-behind-crash.yaml"));
  auto c = j["components"]["cache"];
  CHECK(c["unflushed_writes_lost"] == 50);
  CHECK(c["writes_acknowledged"] == 399);
  CHECK(c["writes_flushed"] == 299);
  CHECK(j["components"]["db"]["completed"] == 299);
  CHECK(j["requests"]["failed"] == 50);
  CHECK(j["requests"]["timed_out"] == 0);
}

TEST_CASE("Cache: a hot key's expiry sends a stampede of reads to the database; coalescing sends one", "[cache]") {
  // System under consideration: tests/topologies/cache-stampede.yaml: one key read 5,000/s, TTL
  // 50 ms, database reads 5 ms.
  // Expectations: each expiry is followed by ~5 ms of misses (~25 at 5,000/s), each a database
  // read: the database sees every miss, and stampede misses are all but one per expiry. With
  // coalesce_misses the database sees one read per expiry and no stampede misses.
  auto j = run_once(topology("cache-stampede.yaml"));
  auto c = j["components"]["cache"];
  uint64_t expired = c["expired"], stampede = c["stampede_misses"];
  uint64_t db_reads = j["components"]["db"]["arrivals"];
  CHECK(expired > 30);
  CHECK(stampede > 15 * expired);
  CHECK(db_reads >= stampede + expired - 1);
  CHECK(db_reads <= stampede + expired + 1);
  auto k = run_once(topology("cache-stampede.yaml"), {"--set", "components.cache.coalesce_misses=true"});
  auto kc = k["components"]["cache"];
  CHECK(kc["stampede_misses"] == 0);
  CHECK(kc["coalesced_misses"].get<uint64_t>() > 15 * kc["expired"].get<uint64_t>());
  uint64_t k_reads = k["components"]["db"]["arrivals"], k_expired = kc["expired"];
  CHECK(k_reads >= k_expired - 1);
  CHECK(k_reads <= k_expired + 1);
}

TEST_CASE("Cache: a hot key shows up as one overloaded replica of the cluster", "[cache]") {
  // System under consideration: tests/topologies/cache-hot-key.yaml: 4 cache replicas on a
  // consistent-hash ring, Zipf(1.2) reads over 1,000 keys.
  // Expectations: the hottest key is rank 0 with its Zipf share, 1 / sum_k k^-1.2 (within 1.5
  // points); the replica that owns it is the busiest, at least 1.4x the mean; the top 10 are listed.
  auto j = run_once(topology("cache-hot-key.yaml"));
  auto c = j["components"]["cache"];
  double h = 0;
  for (int k = 1; k <= 1000; ++k) h += std::pow(k, -1.2);
  REQUIRE(c["hot_keys"].size() == 10);
  CHECK(c["hot_keys"][0]["key"] == 0);
  CHECK(c["hot_keys"][0]["share"].get<double>() == Approx(1 / h).margin(0.015));
  int hot_replica = c["hot_keys"][0]["replica"];
  for (const auto& r : c["replica_load"])
    if (r["replica"] != hot_replica) CHECK(r["reads"].get<int>() < c["replica_load"][hot_replica]["reads"].get<int>());
  CHECK(c["replica_load_skew"].get<double>() > 1.4);
}

TEST_CASE("Cache: cache_aside costs the caller an extra cache round trip on every miss", "[cache]") {
  // System under consideration: tests/topologies/cache-aside.yaml: client -> app -> cache (1 ms)
  // -> database (reads 2 ms, writes 5 ms), 500 us round trips, every read a miss.
  // Expectations: cache_aside: a read is app hop 0.5 + cache 0.5 + 1 (miss) + database 0.5 + 2 +
  // fill 0.5 + 1 = 6.0 ms; a write is 0.5 + database 0.5 + 5 + invalidate 0.5 + 1 = 7.5 ms; the
  // cache sees every read twice (get, then fill). read_through: the cache reads the database
  // itself: 0.5 + 0.5 + 1 + 0.5 + 2 = 4.5 ms, one cache request per read. The database sees the
  // same reads and writes either way.
  auto a = run_once(topology("cache-aside.yaml"));
  auto r = run_once(topology("cache-aside.yaml"), {"--set", "components.cache.write_policy=read_through"});
  CHECK(a["latency_ms"]["by_type"]["read"]["mean"].get<double>() == Approx(6.0).epsilon(0.005));
  CHECK(a["latency_ms"]["by_type"]["write"]["mean"].get<double>() == Approx(7.5).epsilon(0.005));
  CHECK(r["latency_ms"]["by_type"]["read"]["mean"].get<double>() == Approx(4.5).epsilon(0.005));
  auto ac = a["components"]["cache"];
  CHECK(ac["fills"].get<int>() > 300);
  CHECK(ac["invalidations"].get<int>() > 300);
  CHECK(a["components"]["db"]["arrivals"] == r["components"]["db"]["arrivals"]);
}

TEST_CASE("Cache: warm: true starts at the steady-state hit ratio; a cold short run says it was still filling",
          "[cache]") {
  // System under consideration: 5,000 reads/s over 200,000 Zipf(0.9) keys into an LRU cache of
  // 20,000 entries (one replica, or four of 5,000 on a ring), 3 s after 0.5 s.
  // Expectations: Che's approximation gives the steady-state hit ratio h. Cold, the cache fills at
  // about the miss rate (~2,000 new keys/s) and is far from full after 3.5 s: the run is not steady,
  // with a `cache_filling` reason, and its hit ratio is below h. Warm, it starts full with keys drawn
  // with their steady-state probabilities: steady, full, its hit ratio h within 1.5 points (about
  // 15,000 reads: the standard error is 0.4 points; Che's own error here is below a point).
  double h = che_hit_ratio({KeyDistribution::zipf(200000, 0.9)}, {1.0}, 20000);
  auto yaml = [](const std::string& cache) {
    return "name: warm\nnetwork: {intra_region_rtt: 0}\ncomponents:\n"
           "  users: {kind: client, arrival: {process: poisson, rate: 5000/s}, requests: {get: {keys: {count: 200000, "
           "distribution: zipf, s: 0.9}}}, target: cache}\n"
           "  cache: {kind: cache, " + cache + ", hit: 10us, backend: store}\n"
           "  store: {kind: service, cores: 64, cpu: 100us}\n"
           "run: {duration: 3.5s, warmup: 0.5s, seed: 1}\n";
  };
  auto hit_of = [](const nlohmann::json& j) { return j["components"]["cache"]["hit_ratio"].get<double>(); };
  const auto& cold = testing::run_once(testing::write_temp("cold.yaml", yaml("capacity: 20000")));
  INFO("Che " << h << "; cold " << cold["steady_state"].dump());
  CHECK_FALSE(cold["steady_state"]["steady"].get<bool>());
  REQUIRE(cold["steady_state"]["reasons"].size() == 1);
  CHECK(cold["steady_state"]["reasons"][0]["kind"] == "cache_filling");
  CHECK(cold["components"]["cache"]["filled_at_end"].get<double>() < 0.9);
  CHECK(hit_of(cold) < h - 0.03);
  for (const char* spec : {"capacity: 20000, warm: true", "capacity: 5000, replicas: 4, warm: true"}) {
    const auto& warm = testing::run_once(testing::write_temp("warm.yaml", yaml(spec)));
    INFO(spec << ": " << warm["components"]["cache"].dump());
    CHECK(warm["steady_state"]["steady"].get<bool>());
    CHECK(warm["components"]["cache"]["filled_at_end"].get<double>() > 0.99);
    CHECK(hit_of(warm) == Approx(h).margin(0.015));
  }
}
