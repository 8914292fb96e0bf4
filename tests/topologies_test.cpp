// Every shipped topology runs and shows its headline outcome.
#include <catch2/catch.hpp>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;

TEST_CASE("three-tier: the app tier's CPU is the first resource to saturate at 20k req/s", "[topologies]") {
  // System under consideration: topologies/three-tier.yaml (the demo), shortened to 6 s.
  // Expectations: 20k req/s x 1.49 ms mean CPU = 29.8 core-seconds per second on 32 cores: the app
  // CPU runs at ~93% (within 3 points), so the verdict is app/cpu; the cache's hit ratio emerges
  // from Zipf keys and the LRU (between 50% and 95%, cold start included); every request is
  // accounted for.
  auto j = run_json(source_path("topologies/three-tier.yaml"), {"--set", "run.duration=6s", "--set", "run.warmup=1s"});
  CHECK(j["bottleneck"]["component"] == "app");
  CHECK(j["bottleneck"]["resource"] == "cpu");
  CHECK(j["components"]["app"]["utilization"]["cpu"].get<double>() == Approx(0.931).margin(0.03));
  double hit = j["components"]["cache"]["hit_ratio"];
  CHECK(hit > 0.5);
  CHECK(hit < 0.95);
  auto r = j["requests"];
  CHECK(r["generated"].get<int>() == r["completed"].get<int>() + r["failed"].get<int>() + r["in_flight_at_end"].get<int>());
}

TEST_CASE("three-tier: with 6 app replicas instead of 8 the CPU overloads and the tail explodes", "[topologies]") {
  // System under consideration: the demo with 24 cores for 29.8 core-seconds per second of work.
  // Expectations: utilization would be 124%: the app CPU is the bottleneck at ~100%, queues grow,
  // and the p99 passes 100 ms (against ~15 ms with 8 replicas), with requests timing out or rejected.
  auto k = run_json(source_path("topologies/three-tier.yaml"),
                    {"--set", "run.duration=4s", "--set", "run.warmup=1s", "--set", "components.app.replicas=6"});
  CHECK(k["bottleneck"]["component"] == "app");
  CHECK(k["bottleneck"]["resource"] == "cpu");
  CHECK(k["components"]["app"]["utilization"]["cpu"].get<double>() > 0.97);
  CHECK(k["latency_ms"]["p99"].get<double>() > 100);
}

TEST_CASE("url-shortener: Redis in front of the database keeps the redirect p99 under 10 ms", "[topologies]") {
  // System under consideration: topologies/url-shortener.yaml, the seed's redirect path.
  // Expectations: the seed's target "P99 < 10ms" holds; the cache absorbs at least 90% of the
  // redirects (the seed expects ~95% for popular links), so the database sees only the misses and
  // the writes: its throughput equals (1 - hit ratio) x redirects + shortens, within 2%.
  auto j = run_json(source_path("topologies/url-shortener.yaml"));
  CHECK(j["latency_ms"]["by_type"]["redirect"]["p99"].get<double>() < 10.0);
  double hit = j["components"]["redis"]["hit_ratio"];
  CHECK(hit >= 0.9);
  double redirects = j["components"]["redis"]["throughput_rps"];
  double db = j["components"]["postgres"]["throughput_rps"];
  double shorten_rate = j["latency_ms"]["by_type"]["shorten"]["count"].get<double>() / j["sim_time_s"].get<double>();
  CHECK(db == Approx((1 - hit) * redirects + shorten_rate).epsilon(0.02));
  CHECK(j["bottleneck"]["resource"] == "none");
}

TEST_CASE("microservice-chain: five sequential 500 us calls add 2.5 ms before any logic runs", "[topologies]") {
  // System under consideration: topologies/microservice-chain.yaml: client -> gateway -> five
  // services in sequence, none doing work, zero-byte messages, same-DC rtt 500 us.
  // Expectations: every request takes exactly 0.5 ms (its own hop) + 5 x 0.5 ms = 3.0 ms, and
  // the gateway holds each request for the 2.5 ms of its five calls (both within 0.1%).
  auto j = run_json(source_path("topologies/microservice-chain.yaml"));
  CHECK(j["latency_ms"]["mean"].get<double>() == Approx(3.0).epsilon(0.001));
  CHECK(j["latency_ms"]["max"].get<double>() == Approx(3.0).epsilon(0.001));
  CHECK(j["components"]["gateway"]["mean_residence_ms"].get<double>() == Approx(2.5).epsilon(0.001));
}

TEST_CASE("read-heavy-cache: without the cache the database saturates; with Redis it sees only the misses", "[topologies]") {
  // System under consideration: topologies/read-heavy-cache.yaml, the seed's 700k reads/s against
  // a ~50k QPS database, every rate divided by 100: 7k reads/s, a database good for 500/s.
  // Expectations: with the Redis tier the hit ratio emerges near the hot set's 95% (between 93%
  // and 98%), the database's throughput equals the misses, (1 - hit ratio) x reads within 3%, its
  // CPU stays under 90% and nothing is the bottleneck. Without the cache (users -> db) the
  // database's CPU is the bottleneck at ~100% and requests time out.
  auto j = run_json(source_path("topologies/read-heavy-cache.yaml"));
  auto redis = j["components"]["redis"];
  double hit = redis["hit_ratio"];
  CHECK(hit > 0.93);
  CHECK(hit < 0.98);
  double reads = redis["throughput_rps"], db = j["components"]["db"]["throughput_rps"];
  CHECK(db == Approx((1 - hit) * reads).epsilon(0.03));
  CHECK(j["components"]["db"]["utilization"]["cpu"].get<double>() < 0.9);
  CHECK(j["bottleneck"]["resource"] == "none");
  CHECK(redis["replica_load"].size() == 10);
  CHECK(redis["hot_keys"].size() == 10);
  auto n = run_json(source_path("topologies/read-heavy-cache.yaml"), {"--set", "components.users.target=db"});
  CHECK(n["bottleneck"]["component"] == "db");
  CHECK(n["bottleneck"]["resource"] == "cpu");
  CHECK(n["components"]["db"]["utilization"]["cpu"].get<double>() > 0.99);
  CHECK(n["requests"]["timed_out"].get<int>() > n["requests"]["generated"].get<int>() / 2);
}

TEST_CASE("cdn-media: the origin's NIC is the wall; per-region edges serve the images", "[topologies]") {
  // System under consideration: topologies/cdn-media.yaml: 200 KB images read in three regions,
  // 1 Gbps NICs (the origin sends at most 625 images/s).
  // Expectations: every reader pointed at the origin: the origin is network-bound (its NIC at 90%
  // or more) and the throughput stays under 625 images/s. With the edges: the hit ratios emerge
  // above 70%, the origin's NIC stays under 50%, nothing saturates, and the throughput is at least
  // 1.5x the origin-only one.
  auto e = run_json(source_path("topologies/cdn-media.yaml"));
  auto o = run_json(source_path("topologies/cdn-media.yaml"),
                    {"--set", "components.readers-us.target=origin", "--set", "components.readers-eu.target=origin",
                     "--set", "components.readers-ap.target=origin"});
  CHECK(o["bottleneck"]["component"] == "origin");
  CHECK(o["bottleneck"]["resource"] == "network");
  CHECK(o["components"]["origin"]["utilization"]["network"].get<double>() >= 0.9);
  CHECK(o["throughput_rps"].get<double>() < 625);
  for (const char* edge : {"edge-us", "edge-eu", "edge-ap"}) CHECK(e["components"][edge]["hit_ratio"].get<double>() > 0.7);
  CHECK(e["components"]["origin"]["utilization"]["network"].get<double>() < 0.5);
  CHECK(e["bottleneck"]["resource"] == "none");
  CHECK(e["throughput_rps"].get<double>() > 1.5 * o["throughput_rps"].get<double>());
}
