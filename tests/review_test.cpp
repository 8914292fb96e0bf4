// `archsim review`: one report for a design review, in the seed's order, every number from the
// runs it cites.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_text(path)); }

const char* kSections[] = {"1. The design",
                           "2. Back-of-envelope beside simulated",
                           "3. Where it breaks",
                           "4. What fails and what it costs",
                           "5. The consistency choice under partition",
                           "6. Constraint mutations",
                           "7. Cost"};

}  // namespace

// System under consideration: topologies/url-shortener.yaml (10k req/s: redirects through Redis, 1%
// shortens to PostgreSQL), run for 4 s with 1 s of warm-up (the failure sweep needs 3 s measured),
// reviewed against p99 <= 50 ms with one wall of the capacity ladder. Expectations: review.md and
// review.html carry every section in the seed's order; the HTML holds the picture inline; the
// simulated p99, the capacity knee, the single points of failure and the mutations' p99s are the
// ones in the JSON files the runs wrote; the shortener has no region links and no replicated store,
// which the report says in a sentence.
TEST_CASE("Review: every section is there and its numbers are the runs' own", "[review]") {
  // Catch2 runs this body once per SECTION: the review runs once and the sections read it.
  static const std::string out = write_temp("review-url", "") + ".d";
  static const Outcome o = [] {
    std::filesystem::remove_all(out);
    return run_archsim({"review", source_path("topologies/url-shortener.yaml"), "--set", "run.duration=4s", "--set",
                        "run.warmup=1s", "--slo", "p99<=50ms", "--steps", "1", "--precision", "25%", "--jobs", "2",
                        "--out", out});
  }();
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  std::string md = read_text(out + "/review.md"), page = read_text(out + "/review.html");

  SECTION("every section heading is in both files, in the seed's order") {
    size_t md_at = 0, html_at = 0;
    for (const char* s : kSections) {
      INFO(s);
      size_t m = md.find(std::string("## ") + s), h = page.find(std::string("<h2>") + s + "</h2>");
      REQUIRE(m != std::string::npos);
      REQUIRE(h != std::string::npos);
      CHECK(m > md_at);
      CHECK(h > html_at);
      md_at = m;
      html_at = h;
    }
    CHECK_THAT(md, Catch::Contains("![the design](design.svg)"));
    CHECK_THAT(page, Catch::Contains("<svg") && !Catch::Contains("<?xml"));
    CHECK(std::filesystem::exists(out + "/design.svg"));
  }

  SECTION("the simulated p99 is the run's summary.json's") {
    nlohmann::json run = read_json(out + "/run/summary.json");
    std::string p99 = fmt::format("p99 {:.4g} ms", run["latency_ms"]["p99"].get<double>());
    CHECK_THAT(md, Catch::Contains("Simulated (" + out + "/run)") && Catch::Contains(p99));
    CHECK_THAT(page, Catch::Contains(p99));
    CHECK_THAT(md, Catch::Contains("archsim run " + source_path("topologies/url-shortener.yaml")));
  }

  SECTION("the capacity knee and wall are capacity.json's") {
    nlohmann::json cap = read_json(out + "/capacity/capacity.json");
    const auto& rung = cap["rungs"][0];
    CHECK_THAT(md, Catch::Contains(rung["knee"]["text"].get<std::string>()));
    CHECK_THAT(page, Catch::Contains(rung["knee"]["text"].get<std::string>()));
    CHECK_THAT(md, Catch::Contains(cap["ladder"].get<std::string>()));
    if (rung.contains("wall"))
      CHECK_THAT(md, Catch::Contains(rung["wall"]["component"].get<std::string>() + " " +
                                     rung["wall"]["resource"].get<std::string>()));
    CHECK_THAT(md, Catch::Contains("--slo 'p99<=50ms' --steps 1 --precision 25%"));
  }

  SECTION("the single points of failure are failures.json's") {
    nlohmann::json f = read_json(out + "/failures/failures.json");
    std::string spof;
    for (const auto& x : f["single_points_of_failure"]) spof += (spof.empty() ? "" : ", ") + x.get<std::string>();
    CHECK_THAT(md, Catch::Contains("Single points of failure: " + (spof.empty() ? std::string("none") : spof) + "."));
    CHECK_FALSE(spof.empty());  // one load balancer in front of everything
  }

  SECTION("the mutations run against the baseline, the inapplicable ones say why") {
    for (const char* id : {"baseline", "write-volume-x100", "read-write-reversed", "budget-cut-80"}) {
      INFO(id);
      nlohmann::json j = read_json(out + "/mutations/points/" + std::string(id) + "/r1/summary.json");
      CHECK_THAT(md, Catch::Contains(fmt::format("{:.4g} ms", j["latency_ms"]["p99"].get<double>())));
    }
    CHECK_THAT(md, Catch::Contains("cross-region-rtt-800ms: not run: the design declares no links"));
    CHECK_THAT(md, Catch::Contains("stricter-consistency: not run: the design has no replicated_store"));
    CHECK_THAT(md, Catch::Contains("url-shortener has no replicated_store"));
    CHECK_THAT(md, Catch::Contains("url-shortener declares no costs"));
    // Writes x100: shortens 100/s -> 10k/s while redirects stay 9.9k/s.
    CHECK_THAT(md, Catch::Contains("10000.0/s -> 19900.0/s"));
  }
}

// System under consideration: two regions 80 ms apart, 100 req/s from each (3 reads to 1 write)
// straight to an ap replicated store (one replica per region, R = W = 1) that costs $100 per
// replica-month, partitioned from 2 s to 4 s of a 6 s run. Expectations: section 5 gives the
// store's mode and the run's stale reads, lost writes and convergence, as summary.json has them;
// the region RTT and cp mutations run (cp as a topology of its own, without the ap-only keys the
// store gives: quorum, conflict and request_timeout, as the kind declares them),
// and cp costs availability under the partition; section 7 gives the summary's $/month.
TEST_CASE("Review: a replicated store's choice under partition, its mutations and its cost", "[review]") {
  static const std::string file = write_temp("review-store.yaml", R"(name: review-store
regions: [us, eu]
network:
  links:
    - {between: [us, eu], rtt: 80ms, bandwidth: 10Gbps}
components:
  us_users: {kind: client, region: us, arrival: {process: poisson, rate: 100/s}, requests: {read: {weight: 3, keys: {count: 100}}, write: {weight: 1, keys: {count: 100}}}, target: store, timeout: 2s}
  eu_users: {kind: client, region: eu, arrival: {process: poisson, rate: 100/s}, requests: {read: {weight: 3, keys: {count: 100}}, write: {weight: 1, keys: {count: 100}}}, target: store, timeout: 2s}
  store:
    kind: replicated_store
    replicas: [us, eu]
    consistency: ap
    quorum: {n: 2, r: 1, w: 1}
    conflict: lww
    request_timeout: 1s
    cost: {per_replica_month: $100}
faults:
  - {partition: [[us], [eu]], at: 2s, for: 2s}
run: {duration: 6s, warmup: 1s}
)");
  static const std::string out = file + ".d";
  static const Outcome o = [] {
    std::filesystem::remove_all(out);
    return run_archsim({"review", file, "--steps", "1", "--precision", "25%", "--jobs", "2", "--out", out});
  }();
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  std::string md = read_text(out + "/review.md");
  nlohmann::json run = read_json(out + "/run/summary.json");

  SECTION("the store's numbers are the simulated run's") {
    const auto& st = run["stores"]["store"];
    CHECK_THAT(md, Catch::Contains(fmt::format("store (ap): reads {:.3f}%", 100 * st["availability"]["read"].get<double>())));
    CHECK_THAT(md, Catch::Contains(fmt::format("{} stale read(s) of {} checked", st["stale_reads"].dump(), st["reads_checked"].dump())));
    CHECK_THAT(md, Catch::Contains(fmt::format("{} of {} acknowledged write(s) lost", st["lost_acknowledged_writes"].dump(),
                                               st["writes_acknowledged"].dump())));
    CHECK_THAT(md, Catch::Contains("healed at 4 s"));
  }

  SECTION("without --slo the SLO is ten times the simulated p99, rounded up") {
    int limit = static_cast<int>(std::max(1.0, std::ceil(10 * run["latency_ms"]["p99"].get<double>())));
    CHECK_THAT(md, Catch::Contains(fmt::format("No --slo was given: the SLO is p99<={}ms", limit)));
  }

  SECTION("the region RTT and cp mutations run; cp loses availability to the partition") {
    nlohmann::json base = read_json(out + "/mutations/points/baseline/r1/summary.json");
    nlohmann::json cp = read_json(out + "/mutations/points/stricter-consistency/r1/summary.json");
    CHECK(cp["stores"]["store"]["consistency"] == "cp");
    CHECK(cp["availability"]["availability"].get<double>() < base["availability"]["availability"].get<double>());
    CHECK_THAT(md, Catch::Contains("store (without its ap-only quorum, conflict, request_timeout)"));
    CHECK_THAT(md, Catch::Contains("every region link's rtt to 800 ms (was us-eu 80 ms)"));
    CHECK(std::filesystem::exists(out + "/mutations/points/cross-region-rtt-800ms/r1/summary.json"));
  }

  SECTION("the cost is the summary's") {
    CHECK_THAT(md, Catch::Contains(fmt::format("${:.2f}/month", run["cost"]["monthly_usd"].get<double>())));
  }
}

// Bad input fails before anything is written, with the flag or the file's place.
TEST_CASE("Review: bad input exits 2 and writes nothing", "[review]") {
  std::string out = write_temp("review-bad", "") + ".d";
  std::filesystem::remove_all(out);
  Outcome slo = run_archsim({"review", source_path("topologies/url-shortener.yaml"), "--slo", "p99<50ms", "--out", out});
  CHECK(slo.exit_code == 2);
  CHECK_THAT(slo.err, Catch::Contains("--slo p99<50ms: error:"));
  Outcome set = run_archsim({"review", source_path("topologies/url-shortener.yaml"), "--set",
                             "components.redirect.replicas=many", "--out", out});
  CHECK(set.exit_code == 2);
  CHECK_THAT(set.err, Catch::Contains("--set components.redirect.replicas=many: error:"));
  Outcome trace = run_archsim({"review", source_path("topologies/rate-limiter.yaml"), "--out", out});
  CHECK(trace.exit_code == 2);
  CHECK_THAT(trace.err, Catch::Contains("rate-limiter.yaml:") && Catch::Contains("replays a trace"));
  CHECK_FALSE(std::filesystem::exists(out));
}

// System under consideration: 200 req/s through 5 app replicas to a database of 5 shards with one
// read replica each (10 nodes). Expectation: the budget cut (x0.2) cuts the app to 1 replica and
// the database by its shards and read replicas, 5 -> 1 and 1 -> 0, to 1 node; the cut run's
// summary has those replicas, and the report says how each was cut.
TEST_CASE("Review: the budget cut reaches a sharded database through its shards and read replicas", "[review]") {
  std::string file = write_temp("review-shards.yaml", R"(name: review-shards
components:
  users: {kind: client, arrival: {process: poisson, rate: 200/s}, requests: {get: {weight: 1, keys: {count: 1000}}}, target: app}
  app: {kind: service, replicas: 5, cpu: 1ms, calls: [db]}
  db: {kind: database, shards: 5, read_replicas: 1, read: {io: 1ms}}
run: {duration: 4s, warmup: 1s}
)");
  std::string out = file + ".d";
  Outcome o = run_archsim({"review", file, "--steps", "1", "--precision", "25%", "--jobs", "2", "--out", out});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  nlohmann::json base = read_json(out + "/mutations/points/baseline/r1/summary.json");
  nlohmann::json cut = read_json(out + "/mutations/points/budget-cut-80/r1/summary.json");
  CHECK(base["components"]["db"]["replicas"] == 10);
  CHECK(cut["components"]["db"]["replicas"] == 1);
  CHECK(cut["components"]["app"]["replicas"] == 1);
  std::string md = read_text(out + "/review.md");
  CHECK_THAT(md, Catch::Contains("app 5 -> 1, db shards 5 -> 1, read replicas 1 -> 0 (nodes 10 -> 1)"));
}
