// Sharding: where each placement strategy puts keys (sim/support/sharding.hpp), what a change of shard
// count moves (`archsim reshard`), and the shipped sharded-users topology.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "sim/support/key_distribution.hpp"
#include "sim/config/loader.hpp"
#include "sim/analysis/reshard.hpp"
#include "sim/support/sharding.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;
using namespace archsim::testing;

namespace {

ShardingSpec spec_of(ShardStrategy s) {
  ShardingSpec sp;
  sp.given = true;
  sp.strategy = s;
  return sp;
}

const ReshardRow& row_of(const ReshardReport& r, ShardStrategy s) {
  for (const auto& row : r.rows)
    if (row.strategy == s) return row;
  FAIL("no row for " << to_string(s));
  return r.rows.front();
}

}  // namespace

TEST_CASE("ShardMap: range sharding puts sequential new ids on the last shard", "[sharding]") {
  // System under consideration: 4 range shards split at 250k / 500k / 750k, and 10,000 sign-ups
  // whose ids continue after the 1,000,000 existing users (keys: distribution: sequential).
  // Expectations: every new id is past the last boundary, so shard 3 takes all of them; the
  // hashes give each shard a quarter (within 2 points).
  ShardingSpec range = spec_of(ShardStrategy::Range);
  range.boundaries = {250000, 500000, 750000};
  ShardMap by_range(range, 4), by_hash(spec_of(ShardStrategy::HashMod), 4),
      by_ring(spec_of(ShardStrategy::ConsistentHash), 4);
  KeyDistribution ids = KeyDistribution::sequential(1000000, 1000000);
  Rng rng = Rng::derive(1, "test");
  std::vector<int> range_count(4), hash_count(4), ring_count(4);
  for (int i = 0; i < 10000; ++i) {
    uint64_t k = ids.sample(rng);
    ++range_count[by_range.shard_of(k)];
    ++hash_count[by_hash.shard_of(k)];
    ++ring_count[by_ring.shard_of(k)];
  }
  CHECK(range_count[3] == 10000);
  for (int s = 0; s < 4; ++s) {
    CHECK(hash_count[static_cast<size_t>(s)] / 10000.0 == Approx(0.25).margin(0.02));
    CHECK(ring_count[static_cast<size_t>(s)] / 10000.0 == Approx(0.25).margin(0.05));
  }
  SECTION("the sequence starts just past the existing keys and never repeats") {
    KeyDistribution fresh = KeyDistribution::sequential(1000, 1000);
    CHECK(fresh.sample(rng) == 1000);
    CHECK(fresh.sample(rng) == 1001);
  }
}

TEST_CASE("Reshard: mod-N moves about N/(N+1) of the keys, consistent hashing about 1/(N+1)", "[sharding]") {
  // System under consideration: the keys 0..999,999 placed under N and N + 1 shards, N = 2..10.
  // Expectations (the seed's claim): hash mod N moves N/(N+1) of them, within 2 points each time.
  // A consistent-hash ring with the default 150 vnodes moves 1/(N+1) on average over the N (within
  // 2 points); any single step is off by the luck of where the new shard's 150 points fall (a
  // shard's share varies by about 1/sqrt(150) of itself), within 3 points here, and within 2 with
  // 1000 vnodes. A directory moves exactly the minimum, 1/(N+1).
  double ring_error_sum = 0;
  for (int64_t n = 2; n <= 10; ++n) {
    INFO("from " << n << " shards to " << n + 1);
    ReshardReport r = reshard("db", spec_of(ShardStrategy::HashMod), n, n + 1, 1000000, 1024);
    double nn = static_cast<double>(n);
    CHECK(row_of(r, ShardStrategy::HashMod).fraction == Approx(nn / (nn + 1)).margin(0.02));
    CHECK(row_of(r, ShardStrategy::HashMod).expected == Approx(nn / (nn + 1)).margin(1e-9));
    double ring = row_of(r, ShardStrategy::ConsistentHash).fraction;
    CHECK(ring == Approx(1 / (nn + 1)).margin(0.03));
    ring_error_sum += ring - 1 / (nn + 1);
    CHECK(row_of(r, ShardStrategy::Directory).fraction == Approx(1 / (nn + 1)).margin(0.002));
    CHECK(row_of(r, ShardStrategy::HashMod).bytes_moved ==
          Approx(row_of(r, ShardStrategy::HashMod).moved * 1024.0).epsilon(1e-9));
  }
  CHECK(std::fabs(ring_error_sum / 9) < 0.02);

  ShardingSpec fine = spec_of(ShardStrategy::ConsistentHash);
  fine.vnodes = 1000;
  ReshardReport r = reshard("db", fine, 4, 5, 1000000, 1024);
  CHECK(row_of(r, ShardStrategy::ConsistentHash).fraction == Approx(0.2).margin(0.02));
}

TEST_CASE("Reshard: a range split moves half of one range", "[sharding]") {
  // System under consideration: 4 equal ranges over 1,000,000 keys, going to 5 and back to 3.
  // Expectations: adding a shard splits one range at its median: 125,000 keys (12.5%) move;
  // removing one merges the two emptiest neighbours: one range (25%) moves.
  ShardingSpec range = spec_of(ShardStrategy::Range);
  range.boundaries = {250000, 500000, 750000};
  CHECK(row_of(reshard("db", range, 4, 5, 1000000, 1), ShardStrategy::Range).fraction == Approx(0.125).margin(0.001));
  CHECK(row_of(reshard("db", range, 4, 3, 1000000, 1), ShardStrategy::Range).fraction == Approx(0.25).margin(0.001));
}

TEST_CASE("Reshard command: prints the measured fractions of every strategy", "[sharding][cli]") {
  // System under consideration: `archsim reshard topologies/sharded-users.yaml --component ring_db --to 5`.
  // Expectations: exit 0; JSON with the four strategies over the 1,000,000 keys of the workload;
  // hash_mod ~80% (4/5), consistent_hash ~20% (1/5); bytes moved = keys moved x --value-size.
  Outcome o = run_archsim({"reshard", source_path("topologies/sharded-users.yaml"), "--component", "ring_db", "--to",
                           "5", "--value-size", "2KB", "--json"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  auto j = nlohmann::json::parse(o.out);
  CHECK(j["from"] == 4);
  CHECK(j["key_space"] == 1000000);
  CHECK(j["strategies"]["hash_mod"]["fraction_moved"].get<double>() == Approx(0.8).margin(0.02));
  CHECK(j["strategies"]["consistent_hash"]["fraction_moved"].get<double>() == Approx(0.2).margin(0.03));
  CHECK(j["strategies"]["hash_mod"]["bytes_moved"].get<double>() ==
        Approx(j["strategies"]["hash_mod"]["keys_moved"].get<double>() * 2000).epsilon(1e-9));
  Outcome text = run_archsim({"reshard", source_path("topologies/sharded-users.yaml"), "--component", "ring_db", "--to", "5"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("N/(N+1)") != std::string::npos);
  CHECK(text.out.find("1/(N+1)") != std::string::npos);

  Outcome typo = run_archsim({"reshard", source_path("topologies/sharded-users.yaml"), "--component", "rang_db", "--to", "5"});
  CHECK(typo.exit_code == 2);
  CHECK(typo.err.find("did you mean 'range_db'?") != std::string::npos);
}

TEST_CASE("sharded-users: range sharding piles sign-ups on the last shard, the hashes spread them", "[sharding][topologies]") {
  // System under consideration: topologies/sharded-users.yaml: 3k/s sign-ups with sequential new
  // ids and 6k/s Zipf profile views, sent to three 4-shard copies of the users database placed by
  // range, hash_mod and consistent_hash. A shard's disk serves 2k writes/s.
  // Expectations: range_db's shard 3 gets every sign-up: its disk saturates (>= 95%) and the
  // verdict names range_db shard 3 (io); Zipf views pile the popular low ids on range shard 0
  // (over half of its requests); the hashes keep every shard's disk under 60% and their skew
  // (most loaded / mean) under 1.5.
  const auto& j = run_once(source_path("topologies/sharded-users.yaml"));
  CHECK(j["bottleneck"]["component"] == "range_db");
  CHECK(j["bottleneck"]["resource"] == "io");
  CHECK(j["bottleneck"]["shard"] == 3);
  const auto& range = j["components"]["range_db"]["sharding"];
  CHECK(range["busiest_shard"] == 3);
  CHECK(range["per_shard"][3]["utilization"].get<double>() >= 0.95);
  CHECK(range["per_shard"][0]["share"].get<double>() > 0.5);
  for (const char* db : {"hash_db", "ring_db"}) {
    INFO(db);
    const auto& sh = j["components"][db]["sharding"];
    CHECK(sh["skew"].get<double>() < 1.5);
    for (const auto& s : sh["per_shard"]) CHECK(s["utilization"].get<double>() < 0.6);
  }
}

TEST_CASE("Range sharding in a run: sequential writes all land on the last shard", "[sharding]") {
  // System under consideration: tests/topologies/range-sequential.yaml: 1k/s writes of new ids to
  // a 4-shard range database (boundaries 250k/500k/750k over 1M existing ids).
  // Expectations: shard 3 receives every write (share >= 0.999), skew = 4 (= shards).
  const auto& j = run_once(topology("range-sequential.yaml"));
  const auto& sh = j["components"]["db"]["sharding"];
  CHECK(sh["hottest_shard"] == 3);
  CHECK(sh["per_shard"][3]["share"].get<double>() >= 0.999);
  CHECK(sh["skew"].get<double>() == Approx(4).margin(0.01));
}

TEST_CASE("Sharded cache: the caller routes by the cache's own strategy", "[sharding]") {
  // System under consideration: tests/topologies/sharded-cache.yaml: 1k/s reads of new sequential
  // ids through a cache with 4 range shards (boundaries 250k/500k/750k) to a database of 4 hash
  // shards. Every read misses (each id is new).
  // Expectations: the cache's shard 3 takes every read (share >= 0.999); the database's hash
  // shards each take a quarter of the misses (within 3 points).
  const auto& j = run_once(topology("sharded-cache.yaml"));
  const auto& cache = j["components"]["cache"]["sharding"];
  CHECK(cache["strategy"] == "range");
  CHECK(cache["per_shard"][3]["share"].get<double>() >= 0.999);
  const auto& db = j["components"]["db"]["sharding"];
  CHECK(db["strategy"] == "hash_mod");
  for (const auto& s : db["per_shard"]) CHECK(s["share"].get<double>() == Approx(0.25).margin(0.03));
}

TEST_CASE("Directory sharding: every request pays the lookup, and the directory can be the bottleneck", "[sharding]") {
  // System under consideration: tests/topologies/directory.yaml: 2k/s reads through `lookup` (1 ms
  // delay + 150 us CPU on 1 core, 64 workers, 200 queued) to 4 directory-placed database shards.
  // Expectations at 2k/s: the lookup serves the database's requests (within 1%, the window's edges) and its 1.15 ms shows
  // in every request (mean end-to-end above 2.5 ms: two 0.5 ms hops, the lookup, one more hop);
  // the directory spreads keys evenly (skew under 1.15).
  // At 8k/s the lookup needs 1.2 cores: it is the bottleneck (cpu) and, its queue full, refuses
  // requests, which fail: the directory is a single point of failure for every shard.
  const auto& j = run_once(topology("directory.yaml"));
  CHECK(j["components"]["lookup"]["completed"].get<double>() ==
        Approx(j["components"]["db"]["completed"].get<double>()).epsilon(0.01));  // but for the window's edges
  CHECK(j["latency_ms"]["mean"].get<double>() > 2.5);
  CHECK(j["components"]["db"]["sharding"]["skew"].get<double>() < 1.15);
  const auto& hot = run_once(topology("directory.yaml"), {"--set", "components.users.arrival.rate=8k/s"});
  CHECK(hot["bottleneck"]["component"] == "lookup");
  CHECK(hot["bottleneck"]["resource"] == "cpu");
  CHECK(hot["components"]["lookup"]["rejected"].get<int>() > 0);
  CHECK(hot["requests"]["failed"].get<int>() > 0);
}
