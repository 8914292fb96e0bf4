// Rate limiting at the edge: the three algorithms on hand-built arrival sequences (in-process, no
// engine), then topologies/rate-limiter.yaml end to end through `archsim run`.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <vector>

#include "models/rate_limiter/rate_limiter.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;
using archsim::testing::run_json;
using archsim::testing::run_once;
using archsim::testing::source_path;

namespace {

// Which of the requests arriving at `times` the state admits, in order.
std::vector<bool> decisions(LimiterState& s, const std::vector<double>& times) {
  std::vector<bool> out;
  for (double t : times) out.push_back(s.admit(t));
  return out;
}

// The largest number admitted in any window of `window` seconds, by the tracker.
uint64_t largest_burst(LimiterState& s, const std::vector<double>& times, double window) {
  BurstTracker b(window);
  for (double t : times)
    if (s.admit(t)) b.record(0, t, true);
  return b.largest();
}

RateLimitSpec spec_of(RateLimitSpec::Algorithm a, double capacity, double refill, int64_t limit, double window) {
  RateLimitSpec s;
  s.algorithm = a;
  s.capacity = capacity;
  s.refill = refill;
  s.limit = limit;
  s.window = window;
  return s;
}

}  // namespace

TEST_CASE("TokenBucket: the seed's bucket (capacity 10, refill 5/s) admits the first 10 of a burst of 15",
          "[rate_limiter]") {
  // System under consideration: the seed's `TokenBucket(capacity=10, refill_rate=5)`, starting full.
  // Expectations: 15 requests at the same instant: 10 ALLOWED, then 5 RATE LIMITED; 0.2 s later
  // one token has come back (5/s x 0.2 s): one more admitted, the next refused; after 2 s idle the
  // bucket is full again (never above capacity): 10 admitted.
  TokenBucket b(10, 5);
  std::vector<double> burst(15, 1.0);
  std::vector<bool> expected(15, false);
  for (int i = 0; i < 10; ++i) expected[static_cast<size_t>(i)] = true;
  CHECK(decisions(b, burst) == expected);

  SECTION("tokens come back at the refill rate") {
    CHECK(b.admit(1.2));
    CHECK_FALSE(b.admit(1.2));
    CHECK_FALSE(b.admit(1.3));  // half a token
    CHECK(b.admit(1.4));        // a whole token again
  }
  SECTION("an idle bucket refills to its capacity and no further") {
    std::vector<double> later(12, 10.0);
    std::vector<bool> first_ten(12, true);
    first_ten[10] = first_ten[11] = false;
    CHECK(decisions(b, later) == first_ten);
  }
  SECTION("in any 1 s window it admits at most capacity + refill x 1 s") {
    // A request every 10 ms for 3 s: 10 from the full bucket, then one per 200 ms.
    TokenBucket c(10, 5);
    std::vector<double> steady;
    for (int i = 0; i < 300; ++i) steady.push_back(i * 0.01);
    uint64_t largest = largest_burst(c, steady, 1.0);
    CHECK(largest <= 15);
    CHECK(largest >= 14);
  }
}

TEST_CASE("SlidingWindowLog: never more than `limit` admitted in any window", "[rate_limiter]") {
  // System under consideration: limit 3 per 1 s window, a log of admitted timestamps; an
  // admission exactly one window old has left the log (as ZREMRANGEBYSCORE 0 now-window).
  // Expectations, request by request:
  //   0, 0.25, 0.5 admitted (3 in the log); 0.75 refused (the log is full);
  //   1.0 admitted (0 left); 1.125 refused (0.25, 0.5, 1.0 still in); 1.25 admitted (0.25 left);
  //   1.5 admitted (0.5 left: the log holds 1.0, 1.25).
  SlidingWindowLog s(3, 1.0);
  CHECK(decisions(s, {0, 0.25, 0.5, 0.75, 1.0, 1.125, 1.25, 1.5}) ==
        std::vector<bool>{true, true, true, false, true, false, true, true});

  SECTION("a burst straddling a window boundary gets only `limit` through") {
    SlidingWindowLog t(3, 1.0);
    std::vector<double> straddle = {0.75, 0.875, 0.9375, 1.0, 1.125, 1.25};
    CHECK(decisions(t, straddle) == std::vector<bool>{true, true, true, false, false, false});
    SlidingWindowLog u(3, 1.0);
    CHECK(largest_burst(u, straddle, 1.0) == 3);
  }
}

TEST_CASE("FixedWindow: one counter per aligned window, so a boundary burst gets 2x the limit through",
          "[rate_limiter]") {
  // System under consideration: limit 3 per aligned 1 s window [k, k+1).
  // Expectations: 0.75, 0.875, 0.9375 admitted (window 0 full); 1.0, 1.125, 1.25 admitted (window 1
  // starts at 1.0 with a fresh counter); 1.5 refused. Six admitted within 0.5 s: twice the limit
  // in one window of the configured length, where the sliding log admitted three.
  FixedWindow f(3, 1.0);
  std::vector<double> straddle = {0.75, 0.875, 0.9375, 1.0, 1.125, 1.25, 1.5};
  CHECK(decisions(f, straddle) == std::vector<bool>{true, true, true, true, true, true, false});
  FixedWindow g(3, 1.0);
  CHECK(largest_burst(g, straddle, 1.0) == 6);

  SECTION("within one window it refuses everything past the limit") {
    FixedWindow h(3, 1.0);
    CHECK(decisions(h, {2.0, 2.1, 2.2, 2.3, 2.99}) == std::vector<bool>{true, true, true, false, false});
    CHECK(h.admit(3.0));
  }
}

TEST_CASE("BurstTracker: the largest admitted count in any window, per key", "[rate_limiter]") {
  // Expectations: windows are (t - W, t]: 0.0 and 1.0 are not in one window of 1 s; three
  // admissions of key 7 at 1.0, 1.5, 1.9 are; another key's admissions do not add to key 7's.
  BurstTracker b(1.0);
  b.record(7, 0.0, true);
  b.record(7, 1.0, true);
  CHECK(b.largest() == 1);
  b.record(8, 1.2, true);
  b.record(7, 1.5, true);
  b.record(7, 1.9, true);
  CHECK(b.largest() == 3);
  CHECK(b.largest_at() == 1.9);
  b.record(9, 2.0, false);  // outside the measured window: kept, but sets no maximum
  CHECK(b.largest() == 3);
}

TEST_CASE("LimiterTable: per-key limits are independent and idle keys are forgotten", "[rate_limiter]") {
  // System under consideration: fixed window, limit 2 per 1 s, per key.
  // Expectations: keys 1 and 2 each get 2 through in window 0; 5000 keys seen once each, then
  // 3200 new keys in a later window: the table grows past its sweep threshold (8192) and drops
  // the keys whose counters are back to a fresh key's (all of window 0's).
  LimiterTable t(spec_of(RateLimitSpec::Algorithm::FixedWindow, 0, 0, 2, 1.0));
  CHECK(t.admit(1, 0.1));
  CHECK(t.admit(1, 0.2));
  CHECK_FALSE(t.admit(1, 0.3));
  CHECK(t.admit(2, 0.4));
  CHECK(t.admit(2, 0.5));
  CHECK_FALSE(t.admit(2, 0.6));
  for (uint64_t k = 100; k < 5100; ++k) t.admit(k, 0.7);
  CHECK(t.keys() > 2000);
  for (uint64_t k = 10000; k < 13200; ++k) t.admit(k, 5.0);
  CHECK(t.keys() < 4000);
  CHECK(t.admit(1, 5.1));
}

TEST_CASE("rate-limiter.yaml: token bucket, fixed window vs sliding log, local fleet vs central store",
          "[rate_limiter][topologies]") {
  // System under consideration: topologies/rate-limiter.yaml. Trace arrivals give exact timings:
  //   bucket (capacity 10, refill 5/s) gets two bursts of 15 requests 1 ms apart, at 1 s and 3 s;
  //     the first 10 of each are of type `within`, the last 5 of type `beyond`;
  //   fixed and sliding (limit 10 per 1 s window) get 10 requests at 0.90-0.99 s, 10 at
  //     1.00-1.09 s and 10 at 2.50-2.59 s;
  //   fleet_local and fleet_central (3 replicas each, token bucket 10, 5/s) get 45 requests 1 ms
  //     apart at 1 s, spread round robin over the replicas.
  // Expectations: bucket admits exactly the 10 `within` requests of each burst (20 in all, 10
  // limited) and never more than 10 within 1 s; fixed admits all 30, 20 of them within 0.2 s
  // around the boundary at 1 s (twice the limit); sliding admits 20 and never more than 10 in a
  // window; the local fleet admits 3 x 10 = 30 of the 45; the central one 10, each decision paying
  // a round trip to the store (>= the 0.5 ms same-DC rtt).
  const auto& j = run_once(source_path("topologies/rate-limiter.yaml"));
  const auto& c = j["components"];

  SECTION("the seed's token bucket admits the first 10 of each burst of 15") {
    const auto& b = c["bucket"]["rate_limit"];
    CHECK(b["admitted"].get<int>() == 20);
    CHECK(b["limited"].get<int>() == 10);
    CHECK(j["latency_ms"]["by_type"]["within"]["count"].get<int>() == 20);
    CHECK(j["latency_ms"]["by_type"]["beyond"]["count"].get<int>() == 0);
    CHECK(b["largest_burst"]["admitted"].get<int>() == 10);
  }
  SECTION("a fixed window lets twice the limit through across a boundary; the sliding log does not") {
    const auto& f = c["fixed"]["rate_limit"];
    const auto& s = c["sliding"]["rate_limit"];
    CHECK(f["admitted"].get<int>() == 30);
    CHECK(f["limited"].get<int>() == 0);
    CHECK(f["largest_burst"]["admitted"].get<int>() == 20);
    CHECK(f["largest_burst"]["ratio"].get<double>() == 2.0);
    CHECK(s["admitted"].get<int>() == 20);
    CHECK(s["limited"].get<int>() == 10);
    CHECK(s["largest_burst"]["admitted"].get<int>() == 10);
    CHECK(s["largest_burst"]["ratio"].get<double>() <= 1.0);
  }
  SECTION("local counters admit N x the limit across N replicas; central counters admit the limit") {
    CHECK(c["fleet_local"]["rate_limit"]["admitted"].get<int>() == 30);
    CHECK(c["fleet_local"]["rate_limit"]["largest_burst"]["admitted"].get<int>() == 30);
    CHECK(c["fleet_central"]["rate_limit"]["admitted"].get<int>() == 10);
    CHECK(c["fleet_central"]["rate_limit"]["limited"].get<int>() == 35);
    CHECK(c["fleet_central"]["rate_limit"]["decision_ms"]["mean"].get<double>() >= 0.5);
    CHECK(c["fleet_local"]["rate_limit"]["decision_ms"]["mean"].get<double>() == 0.0);
    CHECK(c["fleet_central"]["rate_limit"]["store"]["errors"].get<int>() == 0);
  }
  SECTION("every limited request reaches its client as a rejection") {
    CHECK(j["requests"]["rejected"].get<int>() == 10 + 0 + 10 + 15 + 35);
  }
}

TEST_CASE("rate-limiter.yaml: when the central store does not answer, the limiter fails open or closed",
          "[rate_limiter]") {
  // System under consideration: fleet_central with a store timeout (1 us) shorter than any round
  // trip to the store (0.5 ms), so every decision falls back on `on_store_failure`.
  // Expectations: fail_open admits all 45 requests, fail_closed none; each counts 45 store errors.
  auto open = run_json(source_path("topologies/rate-limiter.yaml"),
                       {"--set", "components.fleet_central.store_timeout=1us"});
  const auto& o = open["components"]["fleet_central"]["rate_limit"];
  CHECK(o["admitted"].get<int>() == 45);
  CHECK(o["store"]["errors"].get<int>() == 45);
  CHECK(o["store"]["failed_open"].get<int>() == 45);

  auto closed = run_json(source_path("topologies/rate-limiter.yaml"),
                         {"--set", "components.fleet_central.store_timeout=1us", "--set",
                          "components.fleet_central.on_store_failure=fail_closed"});
  const auto& k = closed["components"]["fleet_central"]["rate_limit"];
  CHECK(k["admitted"].get<int>() == 0);
  CHECK(k["limited"].get<int>() == 45);
  CHECK(k["store"]["failed_closed"].get<int>() == 45);
}

TEST_CASE("A load balancer's rate_limit: uses the same limiter", "[rate_limiter]") {
  // System under consideration: a client sending a constant 100 req/s for 3 s through a load
  // balancer limited by a token bucket of capacity 10 and refill 20/s, to two app replicas.
  // Expectations: after the first 10 (the bucket), 20 admitted per second: about 10 + 20 x 3 = 70
  // of 300 admitted; the rest are rejected to the client.
  std::string file = archsim::testing::write_temp("lb-limit.yaml",
                                                  "name: lb-limit\n"
                                                  "components:\n"
                                                  "  users:\n"
                                                  "    kind: client\n"
                                                  "    arrival: {process: constant, rate: 100/s}\n"
                                                  "    requests: {get: {}}\n"
                                                  "    target: lb\n"
                                                  "  lb:\n"
                                                  "    kind: load_balancer\n"
                                                  "    targets: app\n"
                                                  "    rate_limit: {algorithm: token_bucket, capacity: 10, refill: 20/s}\n"
                                                  "  app: {kind: service, replicas: 2, cpu: 1ms}\n"
                                                  "run: {duration: 3s}\n");
  auto j = run_json(file);
  const auto& r = j["components"]["lb"]["rate_limit"];
  CHECK(r["admitted"].get<int>() == Approx(70).margin(2));
  CHECK(r["admitted"].get<int>() + r["limited"].get<int>() == j["requests"]["generated"].get<int>() -
                                                                  j["requests"]["in_flight_at_end"].get<int>());
  CHECK(j["requests"]["rejected"].get<int>() == r["limited"].get<int>());
  CHECK(j["components"]["lb"]["kind"] == "load_balancer");
}

TEST_CASE("Rate limits per key and per client keep one set of counters each", "[rate_limiter]") {
  // System under consideration: two clients, each replaying 15 requests at 1 s (1 ms apart): 10
  // for key 1 then 5 for key 2 (trace `t_s,type,key`), through one limiter (token bucket of
  // capacity 5, refill 1/s) to an app.
  // Expectations: per: global admits 5 of the 30; per: client admits 5 per client, 10; per: key
  // admits 5 for key 1 and 5 for key 2, 10 in all.
  std::string trace;
  for (int i = 0; i < 15; ++i) trace += fmt::format("{:.3f},0,{}\n", 1.0 + i * 0.001, i < 10 ? 1 : 2);
  std::string trace_file = archsim::testing::write_temp("keys.csv", trace);
  std::string file = archsim::testing::write_temp(
      "per.yaml", fmt::format("name: per\n"
                              "components:\n"
                              "  a: {{kind: client, arrival: {{process: trace, file: {0}}}, requests: {{get: {{}}}}, target: edge}}\n"
                              "  b: {{kind: client, arrival: {{process: trace, file: {0}}}, requests: {{get: {{}}}}, target: edge}}\n"
                              "  edge: {{kind: rate_limiter, algorithm: token_bucket, capacity: 5, refill: 1/s, per: global, target: app}}\n"
                              "  app: {{kind: service, cpu: 100us}}\n"
                              "run: {{duration: 2s}}\n",
                              trace_file));
  auto admitted = [&](const std::string& per) {
    auto j = run_json(file, {"--set", "components.edge.per=" + per});
    return j["components"]["edge"]["rate_limit"]["admitted"].get<int>();
  };
  CHECK(admitted("global") == 5);
  CHECK(admitted("client") == 10);
  CHECK(admitted("key") == 10);
}
