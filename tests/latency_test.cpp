// Latency arithmetic, end to end: topologies in which no request ever queues or computes, so the
// end-to-end latency is pure network time and call structure, known exactly. Each topology sits in
// tests/topologies/ with a comment saying what it models.
//
// Network model (docs/topology.md, sim/engine/engine.hpp): a host-to-host round trip inside a region is
// intra_region_rtt; between regions it is the link's `rtt` (host to host, NICs included). A message
// of B bytes additionally takes 8B / (slowest bandwidth on its route): the transfer is a fluid flow
// through the sender's NIC, the region links and the receiver's NIC at once (no store-and-forward),
// so a 10 Gbps NIC behind a 1 Gbps region link adds nothing. The engine sends at least one byte per
// message, 0.8 ns at 10 Gbps (8 ns at 1 Gbps): far inside the tolerances below.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "tests/run_helpers.hpp"

using archsim::testing::run_json;
using archsim::testing::run_once;
using archsim::testing::source_path;
using archsim::testing::topology;
using nlohmann::json;

namespace {


// Every completed request took `ms`: the mean is `ms` and so is the slowest (so none was faster
// by more than the tolerance either, or the mean would show it), within a relative `tolerance`.
void check_every_request_took(const json& latency, double ms, double tolerance) {
  INFO("latency summary: " << latency.dump());
  CHECK(latency.at("count").get<int64_t>() > 0);
  CHECK(latency.at("mean").get<double>() == Approx(ms).epsilon(tolerance));
  CHECK(latency.at("max").get<double>() == Approx(ms).epsilon(tolerance));
}

}  // namespace

// System under consideration: tests/topologies/cross-continent.yaml. A client in us-east calls a
// service in eu-west that does no work; the regions are joined by a 1 Gbps link with
// rtt: cross_continent_rtt (150 ms, host to host); NICs are 10 Gbps; one request every 500 ms, so
// transfers never share a link. 10 s simulated, 19 requests answered.
// Expectations:
//   empty messages: every request takes exactly the round trip, 150 ms (within 0.1%).
//   a 1 MiB response: plus its transmission at the bottleneck, the 1 Gbps region link:
//     1 MiB = 1,048,576 B = 8,388,608 bits; / 1e9 bit/s = 8.388608 ms → 158.388608 ms (0.1%).
//     (The 10 Gbps NICs on the same route do not add their 0.84 ms: the flow is not
//     stored and forwarded.)
//   the same 1 MiB response inside one region (the service moved to us-east): the 500 µs
//     same-datacenter round trip plus 8,388,608 bits / 10 Gbps = 0.8388608 ms at the NICs →
//     1.3388608 ms (0.1%).
TEST_CASE("Latency: a cross-continent round trip costs its 150 ms rtt plus transmission time", "[latency]") {
  const std::string file = topology("cross-continent.yaml");
  const double rtt_ms = 150;

  SECTION("with empty messages every request takes exactly the 150 ms round trip") {
    const json& s = run_once(file);
    CHECK(s["requests"]["completed"].get<int64_t>() >= 15);
    check_every_request_took(s["latency_ms"], rtt_ms, 0.001);
  }
  SECTION("a 1 MiB response adds 8.388608 ms of transmission over the 1 Gbps region link") {
    const json& s = run_once(file, {"--set", "components.users.requests.get.response_size=1MiB"});
    double transmission_ms = 1048576.0 * 8 / 1e9 * 1e3;
    REQUIRE(transmission_ms == Approx(8.388608));
    check_every_request_took(s["latency_ms"], rtt_ms + transmission_ms, 0.001);
  }
  SECTION("inside one region the same response costs 0.5 ms plus its time at the 10 Gbps NICs") {
    const json& s = run_once(file, {"--set", "components.users.requests.get.response_size=1MiB", "--set",
                                    "components.api.region=us-east"});
    double nic_ms = 1048576.0 * 8 / 10e9 * 1e3;
    check_every_request_took(s["latency_ms"], 0.5 + nic_ms, 0.001);
  }
}

// System under consideration: tests/topologies/sequential-calls.yaml, in one region with
// intra_region_rtt 500 µs, empty messages, no work anywhere, Poisson arrivals (so requests
// overlap on the hosts' links). Two paths side by side, told apart by request type:
//   chained: client → gateway, which calls a, b, c, d, e one after the other;
//   direct:  client → solo, which calls nothing.
// 10 s simulated, ~2000 requests on each path.
// Expectations ("five internal service calls, each requiring a 500 µs round trip, add 2.5 ms"):
//   direct takes one round trip, 0.5 ms; chained takes 0.5 ms + 5 x 0.5 ms = 3.0 ms; the
//   difference is 2.5 ms. Every request, not just the mean, within 0.1%.
TEST_CASE("Latency: five sequential in-region calls add five 500 us round trips", "[latency]") {
  const json& s = run_once(topology("sequential-calls.yaml"));
  const json& by_type = s["latency_ms"]["by_type"];

  SECTION("a request that calls nothing takes one 0.5 ms round trip") {
    check_every_request_took(by_type["direct"], 0.5, 0.001);
  }
  SECTION("a request whose gateway calls five services in sequence takes 3.0 ms") {
    check_every_request_took(by_type["chained"], 3.0, 0.001);
  }
  SECTION("the five calls add exactly 2.5 ms") {
    double added = by_type["chained"]["mean"].get<double>() - by_type["direct"]["mean"].get<double>();
    CHECK(added == Approx(2.5).epsilon(0.001));
  }
  SECTION("each callee is called once per request") {
    double gateway = s["components"]["gateway"]["arrivals"].get<double>();
    for (const char* callee : {"a", "b", "c", "d", "e"})
      CHECK(s["components"][callee]["arrivals"].get<double>() == Approx(gateway).epsilon(0.001));
  }
}

// System under consideration: tests/topologies/parallel-calls.yaml. A gateway (no work) calls
// `fast` (holds each request exactly 1 ms) and `slow` (exactly 3 ms) together with
// {parallel: [fast, slow]}; intra_region_rtt 500 µs, empty messages, unbounded workers, Poisson
// arrivals at 100/s. 10 s simulated, ~1000 requests.
// Expectations: the gateway waits for the slower call, so every request takes
//   0.5 ms (client ↔ gateway) + 0.5 ms (gateway ↔ callees, sent together) + max(1, 3) ms = 4.0 ms
//   within 0.1% (in sequence it would be 0.5 + (0.5 + 1) + (0.5 + 3) = 5.5 ms).
TEST_CASE("Latency: a parallel call group takes as long as its slowest call", "[latency]") {
  const json& s = run_once(topology("parallel-calls.yaml"));

  SECTION("every request takes one round trip to the gateway, one to the callees, and 3 ms") {
    check_every_request_took(s["latency_ms"], 0.5 + 0.5 + 3.0, 0.001);
  }
  SECTION("the gateway's residence is the callees' round trip plus the slower callee") {
    CHECK(s["components"]["gateway"]["mean_residence_ms"].get<double>() == Approx(0.5 + 3.0).epsilon(0.001));
    CHECK(s["components"]["fast"]["mean_residence_ms"].get<double>() == Approx(1.0).epsilon(0.001));
    CHECK(s["components"]["slow"]["mean_residence_ms"].get<double>() == Approx(3.0).epsilon(0.001));
  }
}

// System under consideration: tests/topologies/fanout-all.yaml. A gateway (no work) sends each
// request to all 10 replicas of `leaf` with {to: leaf, fanout: all}; each replica holds it for
// an independent exponential delay of mean 1 ms (unbounded workers: no queueing);
// intra_region_rtt 500 µs, empty messages, Poisson arrivals at 1000/s. 20 s simulated, ~20k
// requests.
// Expectations: the gateway waits for the last of the 10 replies; the mean of the maximum of n
// independent exponentials of mean m is m x H(n), H(10) = 7381/2520 = 2.928968. So:
//   fanout: all → 0.5 + 0.5 + 2.928968 = 3.928968 ms end to end;
//   fanout: 1 (one replica, for comparison) → 0.5 + 0.5 + 1 = 2.0 ms.
//   Both within 1% (the standard error of the mean is ~0.2% here). Every leaf replica sees every
//   request (10 x the gateway's arrivals, within 0.1%).
TEST_CASE("Latency: a fan-out to all replicas waits for the slowest replica", "[latency]") {
  const std::string file = topology("fanout-all.yaml");
  double harmonic10 = 0;
  for (int k = 1; k <= 10; ++k) harmonic10 += 1.0 / k;
  REQUIRE(harmonic10 == Approx(7381.0 / 2520));

  SECTION("waiting for all 10 replicas costs the mean of the maximum of 10 exponential delays") {
    const json& s = run_once(file);
    CHECK(s["latency_ms"]["mean"].get<double>() == Approx(0.5 + 0.5 + harmonic10).epsilon(0.01));
    CHECK(s["components"]["gateway"]["mean_residence_ms"].get<double>() == Approx(0.5 + harmonic10).epsilon(0.01));
    CHECK(s["components"]["leaf"]["arrivals"].get<double>() ==
          Approx(10 * s["components"]["gateway"]["arrivals"].get<double>()).epsilon(0.001));
  }
  SECTION("calling one replica instead costs one mean delay") {
    const json& s = run_once(file, {"--set", "components.gateway.calls.0.fanout=1"});
    CHECK(s["latency_ms"]["mean"].get<double>() == Approx(0.5 + 0.5 + 1.0).epsilon(0.01));
    CHECK(s["components"]["leaf"]["arrivals"].get<double>() ==
          Approx(s["components"]["gateway"]["arrivals"].get<double>()).epsilon(0.001));
  }
}
