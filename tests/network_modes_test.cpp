// `--network auto | flow | latency` (sim/engine/engine.hpp): auto runs the native event core and
// hands SimGrid's flow model only the transfers over contended links; where nothing contends it
// is the latency model exactly, and on a network-bound design it agrees with the flow model.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

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
  // The flow model's run (the reference: SimGrid carries every transfer) agrees within 2%.
  auto fl = run_json(f, {"--network", "flow", "--set", "run.duration=3s", "--set", "run.warmup=1s"});
  CHECK(fl["network"]["mode"] == "flow");
  CHECK(fl["network"]["direct_transfers"] == 0);
  CHECK(rel(fl["network"]["flow_transfers"].get<double>(), a["network"]["direct_transfers"].get<double>()) < 0.001);
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

TEST_CASE("Network modes: a NIC the analytic view predicts busy is carried from the start", "[network]") {
  // 2,000 answers of 25 KB a second from one replica on a 1 Gbps NIC: 40% offered, over the 20%
  // threshold, so SimGrid carries it from t = 0 rather than from the first window that measures it.
  // The client's NIC receives the same 40%. With three replicas each offers 13%: only the client's is.
  std::string f = write_temp("predicted.yaml", R"(name: predicted
network: {host_bandwidth: 1Gbps}
components:
  users: {kind: client, arrival: {process: poisson, rate: 2000/s}, requests: {get: {weight: 1, response_size: 25KB}}, target: app}
  app: {kind: service, cpu: 100us, cores: 4}
run: {duration: 1s, warmup: 0.2s, seed: 1}
)");
  auto a = run_json(f, {"--network", "auto"});
  const auto& carried = a["network"]["carried"];
  REQUIRE(carried.size() == 2);
  CHECK(carried[0]["link"] == "users/0 NIC");
  CHECK(carried[0]["why"] == "analytic view: offered 40%");
  CHECK(carried[1]["link"] == "app/0 NIC");
  CHECK(carried[1]["since_s"] == 0.0);
  CHECK(std::fabs(carried[1]["utilization"].get<double>() - 0.4) < 1e-9);
  CHECK(a["network"]["direct_transfers"] == 0);
  auto fl = run_json(f, {"--network", "flow"});
  CHECK(a["latency_ms"] == fl["latency_ms"]);
  // Behind a cache with a hot set the analytic view (hit ratio unknown: 0) predicts the database's
  // NIC at 40%; the first 10 ms window measures a few percent and releases it.
  std::string cached = write_temp("predicted-cache.yaml", R"(name: predicted-cache
network: {host_bandwidth: 1Gbps}
components:
  users: {kind: client, arrival: {process: poisson, rate: 2000/s}, requests: {get: {weight: 1, response_size: 25KB, keys: {count: 1000, distribution: hotset, hot_fraction: 0.01, hot_share: 0.99}}}, target: redis}
  redis: {kind: cache, replicas: 4, capacity: 1000, hit: 50us, backend: db}
  db: {kind: database, read: {io: 100us, cpu: 100us}}
run: {duration: 0.5s, warmup: 0.1s, seed: 1}
)");
  auto c = run_json(cached, {"--network", "auto"});
  bool released = false;
  for (const auto& e : c["network"]["carried"])
    if (e["link"] == "db/0 NIC") {
      CHECK(e["why"].get<std::string>().find("analytic view: offered 40%, measured") == 0);
      CHECK(e["until_s"].get<double>() >= 0.01);  // the first transfer after the first window
      CHECK(e["until_s"].get<double>() < 0.02);
      released = true;
    }
  CHECK(released);
  auto three = run_json(f, {"--network", "auto", "--set", "components.app.replicas=3"});
  for (const auto& c : three["network"]["carried"])
    if (c["why"].get<std::string>().find("analytic") != std::string::npos) CHECK(c["link"] == "users/0 NIC");
}

TEST_CASE("Network modes: a host's small messages do not wait behind another host's large one", "[network]") {
  // Two clients on their own hosts send to one service: 10 MB uploads 10 times a second and 1 KB
  // pings 1000 times a second. On a 10 Gbps NIC an upload takes 8 ms; a ping sharing the NIC with
  // it takes 1.6 us instead of 0.8 us, so its latency stays the 0.5 ms round trip. The previous
  // engine (`--engine simgrid`, one mailbox per sending region) delivered the pings that arrived
  // during an upload after it: p99 8.4 ms.
  std::string f = write_temp("hol.yaml", R"(name: hol
components:
  big: {kind: client, arrival: {process: constant, rate: 10/s}, requests: {upload: {weight: 1, request_size: 10MB, response_size: 100B}}, target: x}
  small: {kind: client, arrival: {process: poisson, rate: 1000/s}, requests: {ping: {weight: 1, request_size: 1KB, response_size: 100B}}, target: x}
  x: {kind: service, cores: 8}
run: {duration: 5s, seed: 1}
)");
  for (const char* mode : {"auto", "flow"}) {
    INFO(mode);
    auto j = run_json(f, {"--network", mode});
    CHECK(j["latency_ms"]["p99"].get<double>() < 0.51);
    CHECK(j["latency_ms"]["max"].get<double>() > 8.4);  // the uploads: 8 ms on the wire
  }
  auto old = run_json(f, {"--engine", "simgrid"});
  CHECK(old["latency_ms"]["p99"].get<double>() > 8);
}

TEST_CASE("Network modes: auto is deterministic", "[network]") {
  const std::string f = source_path("topologies/tail-at-scale.yaml");
  auto a = run_archsim({"run", f, "--network", "auto", "--json", "--set", "run.duration=1.5s", "--set", "run.warmup=0.5s"});
  auto b = run_archsim({"run", f, "--network", "auto", "--json", "--set", "run.duration=1.5s", "--set", "run.warmup=0.5s"});
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == b.out);
}

TEST_CASE("Network modes: faults do the same on SimGrid's links under auto as under flow", "[network][faults]") {
  // Every region link marked contended, so that every cross-region transfer goes through the
  // flow carrier: links down with their in-flight loss, partitions, slowed links, crashes.
  for (const char* name : {"link-down.yaml", "partition-three-regions.yaml", "crash-database.yaml",
                           "cache-write-behind-crash.yaml", "store-cp.yaml"}) {
    INFO(name);
    std::ifstream in(topology(name));
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    for (size_t at = text.find("bandwidth: "); at != std::string::npos; at = text.find("bandwidth: ", at + 1)) {
      size_t close = text.find('}', at);
      if (close != std::string::npos && text.find('\n', at) > close) text.insert(close, ", contended: true");
    }
    std::string f = write_temp(std::string("marked-") + name, text);
    auto a = run_json(f, {"--network", "auto"});
    auto fl = run_json(f, {"--network", "flow"});
    CHECK(a["requests"] == fl["requests"]);
    if (fl.contains("faults")) CHECK(a["faults"] == fl["faults"]);
    CHECK(a["availability"] == fl["availability"]);
  }
}
