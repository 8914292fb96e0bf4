// `--network auto | flow | latency` (sim/engine/engine.hpp): auto runs the native event core and
// hands SimGrid's flow model only the transfers over contended links; where nothing contends it
// is the latency model exactly, and on a network-bound design it agrees with the flow model.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/run_helpers.hpp"

using namespace archsim;
using namespace archsim::testing;

namespace {

double rel(double a, double b) { return b == 0 ? std::fabs(a) : std::fabs(a - b) / std::fabs(b); }

}  // namespace

TEST_CASE("Network modes: where no link contends, auto is the latency model and SimGrid carries nothing",
          "[network]") {
  const std::string f = source_path("topologies/three-tier.yaml");
  auto a = run_json(f, {"--network", "auto", "--set", "run.duration=3s", "--set", "run.warmup=1s"});
  auto l = run_json(f, {"--network", "latency", "--set", "run.duration=3s", "--set", "run.warmup=1s"});
  CHECK(a["network"]["mode"] == "auto");
  CHECK(a["network"]["carried_count"] == 0);
  CHECK(a["network"]["flow_transfers"] == 0);
  CHECK(a["network"]["direct_transfers"].get<uint64_t>() > 10000);
  CHECK(l["network"]["mode"] == "latency");
  CHECK(a["latency_ms"] == l["latency_ms"]);
  CHECK(a["components"] == l["components"]);
  // The flow model's run (the reference) has no `network` block and agrees within 2%.
  auto fl = run_json(f, {"--network", "flow", "--set", "run.duration=3s", "--set", "run.warmup=1s"});
  CHECK(fl.find("network") == fl.end());
  CHECK(rel(a["latency_ms"]["mean"], fl["latency_ms"]["mean"]) < 0.02);
  CHECK(rel(a["latency_ms"]["p99"], fl["latency_ms"]["p99"]) < 0.02);
  CHECK(rel(a["throughput_rps"], fl["throughput_rps"]) < 0.01);
  CHECK(a["bottleneck"]["component"] == fl["bottleneck"]["component"]);
}

TEST_CASE("Network modes: a network-bound design's links go to SimGrid, and auto agrees with flow", "[network]") {
  const std::string f = source_path("topologies/cdn-media.yaml");
  auto a = run_json(f, {"--network", "auto", "--set", "run.duration=7s"});
  auto fl = run_json(f, {"--network", "flow", "--set", "run.duration=7s"});
  const auto& n = a["network"];
  CHECK(n["carried_count"].get<size_t>() >= 6);  // at least every edge replica's NIC
  CHECK(n["flow_transfers"].get<uint64_t>() > 10 * n["direct_transfers"].get<uint64_t>());
  // The 1 Gbps NICs carry 200 KB images: the tail and the throughput agree with the flow model.
  CHECK(rel(a["latency_ms"]["p99"], fl["latency_ms"]["p99"]) < 0.02);
  CHECK(rel(a["throughput_rps"], fl["throughput_rps"]) < 0.03);
  for (const auto& c : {"edge-us", "edge-eu", "edge-ap", "origin"}) {
    INFO(c);
    CHECK(std::fabs(a["components"][c]["utilization"]["network"].get<double>() -
                    fl["components"][c]["utilization"]["network"].get<double>()) < 0.03);
  }
  auto out = run_archsim({"run", f, "--network", "auto", "--set", "run.duration=5s"});
  CHECK(out.exit_code == 0);
  CHECK(out.out.find("network: SimGrid's flow model carried") != std::string::npos);
}

TEST_CASE("Network modes: links the file marks contended are carried from the start", "[network]") {
  std::string f = write_temp("marked.yaml", R"(name: marked
regions: [a, b]
network:
  links:
    - {between: [a, b], rtt: 20ms, contended: true}
  contended: [app]
components:
  users: {kind: client, region: a, arrival: {process: constant, rate: 100/s}, requests: {get: {weight: 1}}, target: app}
  app: {kind: service, region: b, cpu: 1ms}
run: {duration: 1s}
)");
  auto a = run_json(f, {"--network", "auto"});
  const auto& carried = a["network"]["carried"];
  REQUIRE(carried.size() == 2);
  CHECK(carried[0]["link"] == "a<->b");
  CHECK(carried[0]["why"] == "marked");
  CHECK(carried[1]["link"] == "app/0 NIC");
  CHECK(a["network"]["direct_transfers"] == 0);
  // Alone on their links, SimGrid's transfers take exactly latency + bytes / bandwidth.
  auto l = run_json(f, {"--network", "latency"});
  CHECK(std::fabs(a["latency_ms"]["mean"].get<double>() - l["latency_ms"]["mean"].get<double>()) < 1e-6);
  auto bad = write_temp("marked-bad.yaml", R"(name: marked-bad
network: {contended: [ap]}
components:
  users: {kind: client, arrival: {process: constant, rate: 100/s}, requests: {get: {weight: 1}}, target: app}
  app: {kind: service}
)");
  auto out = run_archsim({"validate", bad});
  CHECK(out.exit_code == 2);
  CHECK(out.err == bad + ":2:23: error: network.contended: no component 'ap' (did you mean 'app'?)\n");
}

TEST_CASE("Network modes: auto is deterministic", "[network]") {
  const std::string f = source_path("topologies/tail-at-scale.yaml");
  auto a = run_archsim({"run", f, "--network", "auto", "--json", "--set", "run.duration=1.5s", "--set", "run.warmup=0.5s"});
  auto b = run_archsim({"run", f, "--network", "auto", "--json", "--set", "run.duration=1.5s", "--set", "run.warmup=0.5s"});
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == b.out);
}
