// One routing rule for every caller kind (models/common/routing.hpp): end to end, the paths that once
// had their own rule. Expectations: a queue consumer's writes reach the shard's primary and are
// all replicated; a cache reads a replicated store through the replica in its own region, so the
// store's reads per region follow the regions' traffic and a miss costs a same-region round trip.
#include <catch2/catch.hpp>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;

TEST_CASE("Routing: a queue consumer's writes go to the primary and are replicated", "[routing]") {
  auto j = run_json(topology("queue-consumer-writes.yaml"));
  const auto& db = j["components"]["db"];
  CHECK(j["requests"]["generated"].get<uint64_t>() == 800);  // 400/s for 2 s, constant arrivals
  // All but the last, still on its way through the queue when the run ends.
  uint64_t writes = db["arrivals"].get<uint64_t>();
  CHECK(writes == 799);
  CHECK(db["replication"]["writes_replicated"].get<uint64_t>() == writes);
  CHECK(db["replication"]["lag_ms"]["count"].get<uint64_t>() == writes);
}

TEST_CASE("Routing: a cache in front of a replicated store reads its own region's replica", "[routing]") {
  auto j = run_json(topology("cache-regional-store.yaml"));
  const auto& by_region = j["stores"]["store"]["availability"]["by_region"];
  // Each region's cache misses almost always (1,000 of 100,000 keys fit): the store's reads in a
  // region are that region's requests.
  for (auto [region, cache] : {std::pair{"us-east", "us_cache"}, {"eu-west", "eu_cache"}, {"ap-south", "ap_cache"}}) {
    INFO(region);
    auto misses = j["components"][cache]["arrivals"].get<double>() *
                  (1 - j["components"][cache]["hit_ratio"].get<double>());
    CHECK(by_region[region]["reads"].get<double>() == Approx(misses).margin(2));
  }
  // Client to cache to store replica, all in one region: ~1.1 ms, not the 80 to 200 ms of a
  // cross-region read.
  CHECK(j["latency_ms"]["p99"].get<double>() < 2.0);
}
