// `archsim failures`: every component, region and region link down alone for a window; the single
// points of failure first.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

const nlohmann::json* row(const nlohmann::json& j, const std::string& failure) {
  for (const auto& r : j["failures"])
    if (r["failure"] == failure) return &r;
  return nullptr;
}

std::string design(const std::string& name, int db_replicas) {
  return "name: " + name +
         "\ncomponents:\n"
         "  users: {kind: client, arrival: {process: poisson, rate: 200/s}, requests: {get: {weight: 1}}, target: app}\n"
         "  app: {kind: service, replicas: 2, cpu: 1ms, calls: [db]}\n"
         "  db: {kind: database, replicas: " +
         std::to_string(db_replicas) +
         ", read: {io: 1ms}}\n"
         "run: {duration: 12s, warmup: 1s}\n";
}

}  // namespace

// System under consideration: clients -> app (2 replicas) -> db, 200 requests/s, 12 s; each
// failure from 5 s for 4 s. Expectations: with one database replica, its crash fails every request
// during the window: the single point of failure, first in the table, recovered once it restarts;
// one app replica's crash fails about half (the client spreads over both), not a single point.
// With two database replicas (keys spread over them) no single failure takes more than about
// half: none. The baseline has no fault and full availability.
TEST_CASE("Failures: the single point of failure is found, and none where there is none", "[failures]") {
  std::string one = write_temp("spof.yaml", design("spof", 1));
  std::string out = one + ".fail";
  Outcome o = run_archsim({"failures", one, "--out", out, "--jobs", "2"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  nlohmann::json j = read_json(out + "/failures.json");
  CHECK(j["window"]["at_s"] == 5.0);
  CHECK(j["window"]["for_s"] == 4.0);
  CHECK(j["baseline"]["availability"]["window"] == 1.0);
  REQUIRE(j["single_points_of_failure"].size() == 1);
  CHECK(j["single_points_of_failure"][0] == "crash db");
  CHECK(j["failures"][0]["failure"] == "crash db");
  const nlohmann::json* db = row(j, "crash db");
  REQUIRE(db);
  CHECK((*db)["availability"]["during"].get<double>() < 0.01);
  CHECK((*db)["availability"]["after"].get<double>() > 0.99);
  CHECK((*db)["failed_by_reason"]["unavailable"].get<int>() > 700);
  CHECK((*db)["recovered"] == true);
  CHECK_THAT((*db)["command"].get<std::string>(), Catch::Contains("faults=[{crash: db, at: 5s, for: 4s}]"));
  const nlohmann::json* app = row(j, "crash app/0 (one of its replicas)");
  REQUIRE(app);
  CHECK((*app)["single_point_of_failure"] == false);
  CHECK((*app)["availability"]["during"].get<double>() == Approx(0.5).margin(0.1));
  CHECK_THAT(o.out, Catch::Contains("SINGLE POINT OF FAILURE") && Catch::Contains("single points of failure: crash db"));

  std::string two = write_temp("no-spof.yaml", design("no-spof", 2));
  Outcome n = run_archsim({"failures", two, "--out", two + ".fail", "--jobs", "2"});
  INFO(n.err);
  REQUIRE(n.exit_code == 0);
  nlohmann::json k = read_json(two + ".fail/failures.json");
  CHECK(k["single_points_of_failure"].empty());
  for (const auto& r : k["failures"]) {
    INFO(r["failure"]);
    CHECK(r["availability"]["during"].get<double>() > 0.3);
  }
  CHECK_THAT(n.out, Catch::Contains("single points of failure: none"));
}

TEST_CASE("Failures: a window outside the measured window is refused", "[failures]") {
  std::string f = write_temp("spof-window.yaml", design("w", 1));
  Outcome o = run_archsim({"failures", f, "--at", "11s", "--for", "5s"});
  CHECK(o.exit_code == 2);
  CHECK(o.out.empty());
  CHECK_THAT(o.err, Catch::Contains("the window must lie within the measured window"));
}

// A measured window shorter than 3 s leaves no whole second before, during and after a default
// failure window: refused at run.duration's line, with the duration that would do.
TEST_CASE("Failures: a measured window too short for the default window is refused at run.duration", "[failures]") {
  std::string text = design("short", 1);
  text.replace(text.find("duration: 12s"), 13, "duration: 2s");
  std::string f = write_temp("spof-short.yaml", text);
  Outcome o = run_archsim({"failures", f});
  CHECK(o.exit_code == 2);
  CHECK(o.out.empty());
  CHECK_THAT(o.err, Catch::Contains(f + ":6:17: error: the measured window (1s to 2s) is shorter than the 3 s"));
  CHECK_THAT(o.err, Catch::Contains("--set run.duration=7s"));
}

// System: clients -> least-connections load balancer -> app (4 replicas) -> db (2 replicas),
// 2400 requests/s (each app replica 60% busy), 12 s, each failure from 4 s for 4 s. A crashed app replica refuses at once, so
// least-connections sends it more than its quarter: the row says why, names the balancer's line,
// and says what health_check would take it out. With a fast health_check the loss is near the
// detection time's share and the row has no note.
TEST_CASE("Failures: a replica's crash behind a balancer without health_check costs more than its share, and says why",
          "[failures]") {
  auto text = [](const std::string& health) {
    return "name: lc\n"
           "components:\n"
           "  users: {kind: client, arrival: {process: poisson, rate: 2400/s}, requests: {get: {weight: 1}}, target: lb}\n"
           "  lb: {kind: load_balancer, policy: least_connections, targets: app" + health + "}\n"
           "  app: {kind: service, replicas: 4, cpu: 1ms, calls: [db]}\n"
           "  db: {kind: database, replicas: 2, read: {io: 1ms}}\n"
           "run: {duration: 12s, warmup: 1s}\n";
  };
  std::string bare = write_temp("lc.yaml", text(""));
  Outcome o = run_archsim({"failures", bare, "--at", "4s", "--for", "4s", "--out", bare + ".fail", "--jobs", "2"});
  REQUIRE(o.exit_code == 0);
  nlohmann::json j = read_json(bare + ".fail/failures.json");
  const nlohmann::json* app = row(j, "crash app/0 (one of its replicas)");
  REQUIRE(app != nullptr);
  INFO(app->dump(2));
  CHECK((*app)["availability"]["during"].get<double>() < 0.6);  // more than 1.5 x its 25%
  REQUIRE(app->contains("note"));
  CHECK_THAT((*app)["note"].get<std::string>(),
             Catch::Contains("not the 25% one of 4 replicas carries: load balancer lb (least_connections) has no "
                             "health_check") &&
                 Catch::Contains("on lb (" + bare + ":4:65)"));
  CHECK_THAT(o.out, Catch::Contains("load balancer lb (least_connections) has no health_check"));
  const nlohmann::json* db = row(j, "crash db/0 (one of its replicas)");
  REQUIRE(db != nullptr);
  CHECK_FALSE(db->contains("note"));  // no balancer in front of it

  std::string checked = write_temp("lc-checked.yaml", text(", health_check: {interval: 250ms, unhealthy_after: 2}"));
  REQUIRE(run_archsim({"failures", checked, "--at", "4s", "--for", "4s", "--out", checked + ".fail", "--jobs", "2"})
              .exit_code == 0);
  nlohmann::json k = read_json(checked + ".fail/failures.json");
  const nlohmann::json* app2 = row(k, "crash app/0 (one of its replicas)");
  REQUIRE(app2 != nullptr);
  INFO(app2->dump(2));
  CHECK((*app2)["availability"]["during"].get<double>() > 0.85);
  CHECK_FALSE(app2->contains("note"));
}

// System: reads go app -> cache (warm, holding all 100 keys), writes app -> db (one replica),
// 500 requests/s, 10% writes, 12 s, the db down from 4 s for 4 s. Expectations, per request type from type_timeseries.csv:
// every write fails during the window and none after it; reads do not notice; so the db is a
// single point of failure for writes, though 90% of requests still succeed.
TEST_CASE("Failures: each request type's availability during and after the window is counted, not estimated",
          "[failures]") {
  std::string f = write_temp(
      "types.yaml",
      "name: types\ncomponents:\n"
      "  users: {kind: client, arrival: {process: poisson, rate: 500/s}, target: app, requests: {\n"
      "    read: {weight: 0.9, keys: {count: 100}}, write: {weight: 0.1, op: write, keys: {count: 100}}}}\n"
      "  app: {kind: service, replicas: 2, cpu: 1ms, calls: {read: [cache], write: [db]}}\n"
      "  cache: {kind: cache, replicas: 2, capacity: 1000, warm: true, hit: 100us, backend: db}\n"
      "  db: {kind: database, read: {io: 1ms}}\n"
      "run: {duration: 12s, warmup: 1s}\n");
  Outcome o = run_archsim({"failures", f, "--at", "4s", "--for", "4s", "--out", f + ".fail", "--jobs", "2"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  nlohmann::json j = read_json(f + ".fail/failures.json");
  const nlohmann::json* db = row(j, "crash db");
  REQUIRE(db != nullptr);
  INFO(db->dump(2));
  CHECK((*db)["by_type"]["write"]["during"].get<double>() == 0.0);
  CHECK((*db)["by_type"]["write"]["after"].get<double>() == 1.0);
  CHECK((*db)["by_type"]["read"]["during"].get<double>() > 0.99);
  CHECK((*db)["availability"]["during"].get<double>() > 0.85);
  CHECK((*db)["single_point_of_failure"] == true);
  // The types add up to the client's own counts in the run's type_timeseries.csv.
  std::ifstream ts(f + ".fail/points/crash-db/r1/type_timeseries.csv");
  std::string header;
  std::getline(ts, header);
  CHECK(header == "t_s,client,type,completed,errors");
}
