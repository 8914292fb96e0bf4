// Faults (sim/topology/faults.hpp) through `archsim run`: what a crash does to the callers.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "sim/config/loader.hpp"
#include "sim/scenario/scenario.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim::testing;

TEST_CASE("Faults: a crashed database fails the requests that need it, and the service recovers with it", "[faults]") {
  // System under consideration: tests/topologies/crash-database.yaml: 1,000 reads/s through a
  // service with 16 workers to a database (2 ms reads) that crashes at 2 s and restarts at 3 s.
  // Expectations: the reads that reach the database while it is down (about 1,000) fail at once
  // (connection refused) instead of holding the service's 16 workers forever; the others, before
  // and after the outage, complete; nothing times out and nothing is left hanging at the end.
  auto j = run_json(topology("crash-database.yaml"));
  auto r = j["requests"];
  CHECK(r["generated"] == 5000);
  CHECK(r["failed"].get<double>() == Approx(1000).epsilon(0.02));
  CHECK(r["completed"].get<double>() == Approx(4000).epsilon(0.01));
  CHECK(r["timed_out"] == 0);
  CHECK(r["in_flight_at_end"].get<int>() < 10);
  // The summary's faults list: the crash, its window, and the requests refused while it was down.
  REQUIRE(j["faults"].size() == 1);
  CHECK(j["faults"][0]["kind"] == "crash");
  CHECK(j["faults"][0]["target"] == "db");
  CHECK(j["faults"][0]["start_s"] == 2.0);
  CHECK(j["faults"][0]["end_s"] == 3.0);
  CHECK(j["faults"][0]["requests_refused"].get<double>() == Approx(1000).epsilon(0.02));
}

TEST_CASE("Faults: a crash that outlasts the run fails every later request", "[faults]") {
  // Same design, the database down for 10 s: every read from 2 s on fails (about 3,000).
  auto j = run_json(topology("crash-database.yaml"), {"--set", "faults.0.for=10s"});
  CHECK(j["requests"]["failed"].get<double>() == Approx(3000).epsilon(0.02));
}

// --- The fault schedule: partitions, link_down, slow, disk_full --------------------------------

namespace {

// timeseries.csv of a run folder, each row a map from column name to cell (read by name).
std::vector<std::map<std::string, std::string>> read_timeseries(const std::string& dir) {
  std::ifstream in(dir + "/timeseries.csv");
  std::string line;
  std::getline(in, line);
  auto split = [](const std::string& s) {
    std::vector<std::string> cells;
    std::stringstream ss(s);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (!s.empty() && s.back() == ',') cells.emplace_back();
    return cells;
  };
  std::vector<std::string> header = split(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    auto cells = split(line);
    REQUIRE(cells.size() == header.size());
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(row);
  }
  return rows;
}

// A topology run in-process on the local engine.
archsim::RunResult run_local(const archsim::Topology& t) {
  archsim::RunOptions o;
  o.network = archsim::NetworkMode::Latency;
  return archsim::run_scenario(t, o);
}

const archsim::ClientStats& client(const archsim::RunResult& r, const std::string& name) {
  for (const auto& c : r.clients)
    if (c.name == name) return c;
  FAIL("no client " << name);
  return r.clients.front();
}

}  // namespace

TEST_CASE("Faults: a partition drops exactly the traffic between its groups", "[faults]") {
  // System under consideration: tests/topologies/partition-three-regions.yaml: four clients, 10
  // requests/s each (constant, at multiples of 100 ms), 100 ms round trips between regions, and
  // us-east cut from {eu-west, ap-south} from 2.02 s to 4.02 s.
  // Expectations: a cross-group request is lost when it or its answer is on a cut link at some
  // moment of the window: those sent at 2.0 s (its request lands at 2.05 s, in flight at 2.02 s)
  // to 4.0 s, 21 per crossing client; each loses exactly one message (request or answer), 42 in
  // all. They time out (1 s); the local client and the one within {eu-west, ap-south} lose nothing.
  SECTION("simgrid engine, through archsim run") {
    std::string dir = write_temp("x", "") + ".out";
    auto o = run_archsim({"run", topology("partition-three-regions.yaml"), "--out", dir});
    REQUIRE(o.exit_code == 0);
    std::map<std::string, int> errors, completed;
    for (const auto& row : read_timeseries(dir)) {
      errors[row.at("component")] += std::stoi(row.at("errors"));
      completed[row.at("component")] += std::stoi(row.at("throughput_rps"));
      int t = std::stoi(row.at("t_s"));
      bool in_window = t >= 2 && t <= 4;  // the window 2.02-4.02 s touches seconds 2, 3 and 4
      CHECK(row.at("faults_active") == (in_window ? "1" : "0"));
      CHECK(row.at("faults") == (in_window ? "partition us-east | eu-west+ap-south" : ""));
    }
    CHECK(errors["us-to-eu"] == 21);
    CHECK(errors["ap-to-us"] == 21);
    CHECK(errors["local-us"] == 0);
    CHECK(errors["eu-to-ap"] == 0);
    // Within a group: as if nothing happened. The last request (6.0 s) is answered in 1 ms locally
    // and is still crossing the 100 ms round trip from eu-west at the end (6.05 s).
    CHECK(completed["eu-to-ap"] + 1 == completed["local-us"]);
    CHECK(completed["us-to-eu"] == completed["eu-to-ap"] - 21);
    std::ifstream in(dir + "/summary.json");
    auto j = nlohmann::json::parse(in);
    REQUIRE(j["faults"].size() == 1);
    auto f = j["faults"][0];
    CHECK(f["kind"] == "partition");
    CHECK(f["target"] == "us-east | eu-west+ap-south");
    CHECK(f["start_s"].get<double>() == Approx(2.02));
    CHECK(f["end_s"].get<double>() == Approx(4.02));
    CHECK(f["links"] == nlohmann::json::array({"us-east<->eu-west", "us-east<->ap-south"}));
    CHECK(f["messages_lost"] == 42);
    CHECK(j["requests"]["timed_out"] == 42);
  }
  SECTION("local engine, in-process: the same counts") {
    archsim::Topology t = archsim::load_topology(topology("partition-three-regions.yaml"));
    archsim::RunResult r = run_local(t);
    CHECK(client(r, "us-to-eu").timed_out == 21);
    CHECK(client(r, "ap-to-us").timed_out == 21);
    CHECK(client(r, "local-us").timed_out == 0);
    CHECK(client(r, "eu-to-ap").timed_out == 0);
    REQUIRE(r.faults.size() == 1);
    CHECK(r.faults[0].count == 42);
  }
}

TEST_CASE("Faults: link_down cuts one link and nothing else", "[faults]") {
  // tests/topologies/link-down.yaml: the same design, only us-east<->ap-south down 2.02-4.02 s.
  // Expectations: only ap-to-us loses its 21 requests (one message each); us-to-eu crosses another
  // link and is untouched.
  auto j = run_json(topology("link-down.yaml"));
  CHECK(j["requests"]["timed_out"] == 21);
  CHECK(j["faults"][0]["kind"] == "link_down");
  CHECK(j["faults"][0]["target"] == "us-east<->ap-south");
  CHECK(j["faults"][0]["messages_lost"] == 21);
  archsim::RunResult r = run_local(archsim::load_topology(topology("link-down.yaml")));
  CHECK(client(r, "ap-to-us").timed_out == 21);
  CHECK(client(r, "us-to-eu").timed_out == 0);
  CHECK(r.faults[0].count == 21);
}

TEST_CASE("Faults: slow multiplies a replica's service times, or adds latency, only in its window", "[faults]") {
  // tests/topologies/slow-service.yaml: requests 200 ms apart, 10 ms of CPU each; the 29 that
  // complete arrive at 0.2 s .. 5.8 s; the 10 arriving at 2.2 .. 4.0 s fall in the 2.05-4.05 s window.
  SECTION("factor 10: those 10 take 100 ms; mean residence (19 x 10 + 10 x 100) / 29 ms") {
    auto j = run_json(topology("slow-service.yaml"));
    CHECK(j["components"]["app"]["completed"] == 29);
    CHECK(j["components"]["app"]["mean_residence_ms"].get<double>() == Approx((19 * 10.0 + 10 * 100.0) / 29).epsilon(1e-5));
    CHECK(j["faults"][0]["requests_slowed"] == 10);
    CHECK(j["faults"][0]["factor"] == 10.0);
  }
  SECTION("latency +150ms: those 10 take 160 ms; mean (19 x 10 + 10 x 160) / 29 ms") {
    auto j = run_json(topology("slow-service.yaml"),
                      {"--set", "faults.0.slow.factor=1", "--set", "faults.0.slow.latency=+150ms"});
    CHECK(j["components"]["app"]["mean_residence_ms"].get<double>() == Approx((19 * 10.0 + 10 * 160.0) / 29).epsilon(1e-5));
    CHECK(j["faults"][0]["requests_slowed"] == 10);
    CHECK(j["faults"][0]["latency_ms"].get<double>() == Approx(150));
  }
  SECTION("local engine: the same residence") {
    archsim::RunResult r = run_local(archsim::load_topology(topology("slow-service.yaml")));
    const auto& app = r.components.front().stats;
    CHECK(app.completed == 29);
    CHECK(app.residence.mean() == Approx((19 * 0.010 + 10 * 0.100) / 29).epsilon(1e-9));
    CHECK(r.faults[0].count == 10);
  }
}

TEST_CASE("Faults: a slow region link adds its latency to the messages sent over it", "[faults]") {
  // tests/topologies/cross-continent.yaml: a request every 500 ms over one 150 ms-rtt link; the
  // link gets +50 ms each way from 2.2 s to 4.2 s. The requests sent at 2.5, 3.0, 3.5 and 4.0 s and
  // their answers cross it then: those 4 take 250 ms; the other 15 that complete (sent at 0.5 ..
  // 9.5 s; the one sent at 10 s is in flight at the end) take 150 ms; 8 messages slowed. Both
  // engines: the latency applies to the messages sent in the window, whenever they arrive.
  std::string file = write_temp("slow-link.yaml", [] {
    std::ifstream in(topology("cross-continent.yaml"));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str() + "faults:\n  - {slow: {link: [eu-west, us-east], latency: +50ms}, at: 2.2s, until: 4.2s}\n";
  }());
  for (const char* engine : {"simgrid", "local"}) {
    INFO("engine " << engine);
    auto j = run_json(file, {"--engine", engine});
    CHECK(j["requests"]["completed"] == 19);
    CHECK(j["latency_ms"]["mean"].get<double>() == Approx((15 * 150.0 + 4 * 250.0) / 19).epsilon(1e-4));
    CHECK(j["latency_ms"]["max"].get<double>() == Approx(250).epsilon(1e-4));
    CHECK(j["faults"][0]["messages_slowed"] == 8);
    CHECK(j["faults"][0]["target"] == "eu-west<->us-east");
  }
}

TEST_CASE("Faults: disk_full fails exactly the writes in its window; reads go on", "[faults]") {
  // tests/topologies/disk-full.yaml: 10 writes/s and 10 reads/s; the disk is full 2.05-4.05 s,
  // when the writes arriving at 2.1 .. 4.0 s (20) reach the database.
  auto j = run_json(topology("disk-full.yaml"));
  const auto& db = j["components"]["db"];
  CHECK(db["disk_full_rejections"] == 20);
  CHECK(db["failed"] == 20);
  CHECK(j["requests"]["failed"] == 20);
  CHECK(j["faults"][0]["writes_refused"] == 20);
  CHECK(j["faults"][0]["end_s"].get<double>() == Approx(4.05));
  archsim::RunResult r = run_local(archsim::load_topology(topology("disk-full.yaml")));
  CHECK(client(r, "users").failed_downstream == 20);
  CHECK(client(r, "readers").failed_downstream == 0);
  SECTION("a fault lasting to the end has end_s null") {
    auto k = run_json(topology("disk-full.yaml"), {"--set", "faults.0.until=10s"});
    CHECK(k["faults"][0]["end_s"].is_null());
    CHECK(k["faults"][0]["writes_refused"] == 39);  // writes arriving at 2.1 .. 5.9 s
  }
}

TEST_CASE("Faults: validate refuses what cannot happen, naming the entry", "[faults]") {
  // A two-region design; each case appends one faults list and expects one error line.
  const std::string base = R"(name: v
regions: [us-east, eu-west, ap-south]
network:
  links:
    - {between: [us-east, eu-west], rtt: 80ms, bandwidth: 1Gbps}
components:
  users: {kind: client, region: us-east, arrival: {process: constant, rate: 10/s}, requests: {read: {weight: 1}}, target: db}
  db: {kind: database, region: eu-west}
run: {duration: 10s}
faults:
)";
  auto refused = [&](const std::string& faults) {
    std::string file = write_temp("v.yaml", base + faults);
    auto o = run_archsim({"validate", file});
    CHECK(o.exit_code == 2);
    return o.err.substr(file.size());
  };
  SECTION("a partition that cuts no configured link") {
    CHECK(refused("  - {partition: [[us-east, eu-west], [ap-south]], at: 1s}\n") ==
          ":11:17: error: the partition cuts no region link (links: us-east<->eu-west); put the regions of a link in "
          "different groups\n");
  }
  SECTION("two kinds in one entry") {
    CHECK(refused("  - {crash: db, disk_full: db, at: 1s}\n") ==
          ":11:28: error: a fault has one kind; this one has both crash and disk_full (write two entries)\n");
  }
  SECTION("a slow link fault on a region that does not exist") {
    CHECK(refused("  - {slow: {link: [us-east, eu-wset], factor: 2}, at: 1s}\n") ==
          ":11:19: error: no region 'eu-wset' (did you mean 'eu-west'?); regions: us-east, eu-west, ap-south\n");
  }
  SECTION("two link_downs of one link overlapping; back to back is fine") {
    CHECK(refused("  - {link_down: [us-east, eu-west], at: 1s, for: 2s}\n"
                  "  - {link_down: [eu-west, us-east], at: 2s}\n") ==
          ":12:5: error: this link_down of eu-west<->us-east overlaps the one on line 11 (1s to 3s); two faults of one "
          "kind on one target cannot overlap: merge them into one window or move one\n");
    std::string ok = write_temp("ok.yaml", base + "  - {link_down: [us-east, eu-west], at: 1s, for: 2s}\n"
                                                  "  - {link_down: [eu-west, us-east], at: 3s, until: 4s}\n"
                                                  "  - {partition: [[us-east], [eu-west]], at: 2s, for: 1s}\n");
    CHECK(run_archsim({"validate", ok}).exit_code == 0);
  }
  SECTION("slow on a client") {
    CHECK(refused("  - {slow: {component: users, latency: 10ms}, at: 1s}\n") ==
          ":11:24: error: 'users' is a client; only services, caches and databases can be slowed so far\n");
  }
}

TEST_CASE("Faults: same inputs and seed, byte-identical outputs", "[faults]") {
  // Link faults go through SimGrid's link state and a controller actor: the order of what happens
  // at one instant must not depend on anything but the inputs.
  auto a = run_archsim({"run", topology("partition-three-regions.yaml"), "--json"});
  auto b = run_archsim({"run", topology("partition-three-regions.yaml"), "--json"});
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == b.out);
}

TEST_CASE("Faults: a spike multiplies a client's rate in its window only", "[faults]") {
  // System under consideration: a constant client at 100 requests/s for 9 s (no warm-up), spiked
  // x3 from 3 s for 2 s, into a service with 1 ms of CPU. Expectations: 300 requests before the
  // spike, 600 during it (counted by the fault as requests_sent), 400 after: about 1300 in all;
  // every one completes; goodput is back to its level before within the second after the spike.
  std::string yaml =
      "name: spike\ncomponents:\n"
      "  users: {kind: client, arrival: {process: constant, rate: 100/s}, requests: {get: {weight: 1}}, target: app}\n"
      "  app: {kind: service, cores: 4, cpu: 1ms}\n"
      "faults:\n  - {spike: {client: users, factor: 3}, at: 3s, for: 2s}\n"
      "run: {duration: 9s}\n";
  auto j = run_json(write_temp("spike.yaml", yaml));
  const auto& f = j["faults"][0];
  CHECK(f["kind"] == "spike");
  CHECK(f["target"] == "users");
  CHECK(f["factor"] == 3.0);
  CHECK(f["requests_sent"].get<double>() == Approx(600).margin(2));
  CHECK(j["requests"]["generated"].get<double>() == Approx(1300).margin(3));
  CHECK(j["requests"]["failed"] == 0);
  CHECK(f["recovery"]["recovered"] == true);
}
