// kind: object_store. Its latency against first byte + size / bandwidth, its throttling against
// the closed form for constant arrivals above a token bucket's rate, prefixes, writes, the
// analytic view and its refusals.
#include <catch2/catch.hpp>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;

namespace {

// Constant arrivals of `rate` reads of 1 MB against one object store.
std::string design(const std::string& store, const std::string& rate = "100/s", const std::string& keys = "1") {
  return R"(name: blobs
components:
  users:
    kind: client
    arrival: {process: constant, rate: )" +
         rate + R"(}
    requests:
      get: {weight: 1, keys: {count: )" +
         keys + R"(}, response_size: 1MB, request_size: 200B}
    target: media
  media: )" +
         store + R"(
run: {duration: 10s, warmup: 1s, seed: 3}
)";
}

}  // namespace

TEST_CASE("object_store: a GET takes the first byte plus the size over the bandwidth", "[object_store]") {
  // 20 ms to the first byte, 1 MB at 80 Mbps (10 MB/s) = 100 ms: 120 ms at the store.
  auto j = run_json(write_temp("os-latency.yaml",
                               design("{kind: object_store, first_byte: 20ms, bandwidth: 80Mbps}")));
  const auto& c = j["components"]["media"];
  CHECK(c["kind"] == "object_store");
  CHECK(c["p50_residence_ms"].get<double>() == Approx(120.0).epsilon(1e-3));
  CHECK(c["p99_residence_ms"].get<double>() == Approx(120.0).epsilon(2e-2));
  CHECK(c["object_store"]["throttled"].get<double>() == 0);
  // 100 reads/s of 1 MB: 100 MB/s read.
  CHECK(c["object_store"]["read_mb_per_s"].get<double>() == Approx(100.0).epsilon(0.02));
  // End to end: the store's 120 ms plus the network (1 MB on the NICs, the intra-region round trip).
  double mean = j["latency_ms"]["mean"].get<double>();
  CHECK(mean > 120.0);
  CHECK(mean < 125.0);
}

TEST_CASE("object_store: a prefix above its rate is throttled as a token bucket predicts", "[object_store]") {
  // Constant 1000/s on one prefix limited to 400/s: after the burst, 60% are refused (503 Slow Down).
  auto j = run_json(write_temp(
      "os-throttle.yaml",
      design("{kind: object_store, first_byte: 1ms, read_limit: 400/s, burst: 100ms}", "1000/s")));
  const auto& c = j["components"]["media"];
  double arrivals = c["arrivals"].get<double>();
  double throttled = c["object_store"]["throttled"].get<double>();
  CHECK(throttled / arrivals == Approx(0.6).margin(0.005));
  CHECK(c["rejected"].get<double>() == throttled);
  CHECK(j["requests"]["failed_by_reason"]["rejected"].get<double>() == Approx(throttled).margin(1.0));
  CHECK(c["object_store"]["hottest_prefix_rps"].get<double>() == Approx(1000.0).epsilon(0.01));

  // The same load over 4 prefixes (uniform keys): 250/s each, under the limit, nothing throttled.
  auto spread = run_json(write_temp(
      "os-prefixes.yaml",
      design("{kind: object_store, first_byte: 1ms, read_limit: 400/s, burst: 100ms, prefixes: 4}", "1000/s",
             "100000")));
  CHECK(spread["components"]["media"]["object_store"]["throttled"].get<double>() == 0);
  CHECK(spread["components"]["media"]["object_store"]["hottest_prefix_rps"].get<double>() < 300);
}

TEST_CASE("object_store: writes pay the request's size and the write limit", "[object_store]") {
  std::string f = write_temp("os-writes.yaml", R"(name: uploads
components:
  users:
    kind: client
    arrival: {process: constant, rate: 50/s}
    requests:
      put: {weight: 1, op: write, keys: {count: 1}, request_size: 4MB, response_size: 100B}
    target: media
  media: {kind: object_store, first_byte: 10ms, bandwidth: 320Mbps, write_limit: 20/s, burst: 1s}
run: {duration: 10s, warmup: 2s, seed: 1}
)");
  auto j = run_json(f);
  const auto& c = j["components"]["media"];
  // 10 ms + 4 MB at 40 MB/s = 110 ms.
  CHECK(c["p50_residence_ms"].get<double>() == Approx(110.0).epsilon(1e-3));
  // 50/s against 20/s once the 1 s burst is spent (by 2 s): 60% refused.
  CHECK(c["object_store"]["throttled"].get<double>() / c["arrivals"].get<double>() == Approx(0.6).margin(0.01));
  CHECK(c["object_store"]["write_mb_per_s"].get<double>() == Approx(20 * 4.0).epsilon(0.03));
  CHECK(c["object_store"]["read_mb_per_s"].get<double>() == 0);
}

TEST_CASE("object_store: the analytic view puts the prefix limits among the resources", "[object_store]") {
  std::string f = write_temp("os-estimate.yaml",
                             design("{kind: object_store, read_limit: 400/s, prefixes: 2}", "600/s", "1000"));
  auto out = run_archsim({"estimate", f, "--json"});
  REQUIRE(out.exit_code == 0);
  auto j = nlohmann::json::parse(out.out);
  const auto& r = j["components"]["media"]["resources"]["prefix_reads"];
  CHECK(r["utilization"].get<double>() == Approx(600.0 / (400 * 2)));
  CHECK(r["servers"].get<double>() == 2);
  CHECK(j["first_to_saturate"]["component"] == "media");
  CHECK(j["first_to_saturate"]["resource"] == "prefix_reads");
  CHECK(j["first_to_saturate"]["client_rate_rps"].get<double>() == Approx(800.0));
}

TEST_CASE("object_store: bad parameters are refused where they are written", "[object_store]") {
  auto refuse = [](const std::string& store, const std::string& message) {
    std::string f = write_temp("os-bad.yaml", design(store));
    auto out = run_archsim({"validate", f});
    CHECK(out.exit_code == 2);
    CHECK(out.err == f + message + "\n");
  };
  refuse("{kind: object_store, prefix: 4}",
         ":9:31: error: unknown key 'prefix' in component 'media'; did you mean 'prefixes'?");
  refuse("{kind: object_store, prefixes: 0}", ":9:41: error: prefixes must be between 1 and 1000000, got 0");
  refuse("{kind: object_store, burst: 0s}", ":9:38: error: burst must be greater than zero");
  // It is not a station: no worker pool or queue bounds it.
  refuse("{kind: object_store, workers: 4}",
         ":9:31: error: unknown key 'workers' in component 'media'; valid keys: kind, region, cost, first_byte, "
         "bandwidth, object_size, prefixes, read_limit, write_limit, burst, endpoints");
}
