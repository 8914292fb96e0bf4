// Load balancer health checks (models/load_balancer/load_balancer.hpp): a crashed replica leaves
// the rotation after `unhealthy_after` missed probes and comes back after `healthy_after` answers.
//
// System under consideration: 2,000 req/s round robin over 4 replicas of a service (4 cores, 1 ms
// of CPU), replica 1 crashed from 2 s to 4 s; probes every 100 ms with a 50 ms timeout,
// unhealthy_after 2, healthy_after 2; 5.5 s measured after 0.5 s.
#include <catch2/catch.hpp>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;

namespace {

std::string topology_text(bool health_check, const std::string& timeout = "50ms", const std::string& extra = "") {
  return std::string("name: hc\ncomponents:\n"
                     "  users: {kind: client, arrival: {process: poisson, rate: 2000/s}, requests: {get: {}}, target: lb, "
                     "timeout: 200ms}\n"
                     "  lb:\n    kind: load_balancer\n    policy: round_robin\n    targets: app\n") + extra +
         (health_check ? "    health_check: {interval: 100ms, timeout: " + timeout +
                             ", unhealthy_after: 2, healthy_after: 2}\n"
                       : "") +
         "  app: {kind: service, replicas: 4, cores: 4, cpu: 1ms}\n"
         "faults:\n  - {crash: app/1, at: 2s, for: 2s}\n"
         "run: {duration: 6s, warmup: 0.5s, seed: 1}\n";
}

}  // namespace

TEST_CASE("Load balancer: health checks take a crashed replica out of the rotation and put it back", "[lb]") {
  // Expectations: without checks a quarter of the requests meet the crashed replica for all 2 s:
  // about 500/s x 2 s = 1,000 fail (Poisson: +-32). With checks the first probe round after the
  // crash (within 100 ms) and the next both miss: it is out 150 to 250 ms after the crash, so 75
  // to 125 requests fail (with noise: 50 to 150); it answers again from 4 s and is back 150 to 250
  // ms later, so it spends 1.9 to 2.1 s out of the rotation, once.
  const auto& without = run_once(write_temp("nohc.yaml", topology_text(false)));
  uint64_t failed_without = without["requests"]["failed"];
  CHECK(failed_without > 900);
  CHECK(failed_without < 1100);

  const auto& with = run_once(write_temp("hc.yaml", topology_text(true)));
  uint64_t failed_with = with["requests"]["failed"];
  INFO("failed without checks " << failed_without << ", with " << failed_with);
  CHECK(failed_with > 50);
  CHECK(failed_with < 150);
  const auto& hc = with["components"]["lb"]["load_balancer"];
  CHECK(hc["health_marked_down"] == 1);
  CHECK(hc["health_marked_up"] == 1);
  CHECK(hc["health_out_replica_s"].get<double>() == Approx(2.0).margin(0.11));
  CHECK(hc["health_probe_rounds"].get<double>() == Approx(60).margin(1));
}

TEST_CASE("Load balancer: a probe timeout longer than the interval is refused at its line", "[lb]") {
  Outcome o = run_archsim({"validate", write_temp("hc-bad.yaml", topology_text(true, "150ms"))});
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("hc-bad.yaml:8:") != std::string::npos);
  CHECK(o.err.find("health_check.timeout (150ms) must not exceed its interval (100ms)") != std::string::npos);
}

TEST_CASE("Load balancer: health checks work behind the balancer's own rate limit", "[lb]") {
  // The same crash, with a token bucket on the balancer that admits 1,500 of the 2,000 req/s:
  // about 500/s are limited (Rejected), and of the admitted 1,500/s a quarter meet the crashed
  // replica until it is out (150 to 250 ms: 56 to 94 fail; with noise 30 to 130), not for 2 s (750).
  std::string limit = "    rate_limit: {algorithm: token_bucket, capacity: 100, refill: 1500/s, per: global}\n";
  const auto& with = run_once(write_temp("hc-rl.yaml", topology_text(true, "50ms", limit)));
  uint64_t failed = with["requests"]["failed"];
  uint64_t rejected = with["requests"]["rejected"];
  INFO("failed " << failed << ", of them rejected " << rejected);
  CHECK(failed - rejected > 30);
  CHECK(failed - rejected < 130);
  CHECK(rejected > 2500);
  CHECK(rejected < 3000);
  const auto& hc = with["components"]["lb"]["load_balancer"];
  CHECK(hc["health_marked_down"] == 1);
  CHECK(hc["health_marked_up"] == 1);
}
