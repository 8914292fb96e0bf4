// The command line: exit codes, one clear message on bad input and nothing else written, JSON
// alone on stdout, the files of --out, validate, graph and latency-table.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;

namespace {
bool exists(const std::string& p) {
  struct stat st{};
  return stat(p.c_str(), &st) == 0;
}
std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string l;
  std::getline(in, l);
  return l;
}
const char* kSmall =
    "name: small\n"
    "components:\n"
    "  users:\n"
    "    kind: client\n"
    "    arrival: {process: poisson, rate: 200/s}\n"
    "    requests: {get: {weight: 1}}\n"
    "    target: app\n"
    "  app: {kind: service, cpu: 1ms, calls: [db]}\n"
    "  db: {kind: database, read: {io: 1ms}}\n"
    "run: {duration: 3s, warmup: 1s}\n";
}  // namespace

TEST_CASE("CLI: bad input exits 2 with one file:line:col message and writes nothing", "[cli]") {
  std::string file = write_temp("bad.yaml", "components:\n  app: {kind: service, replicas: -3}\n");
  std::string out_dir = file + ".out";
  Outcome o = run_archsim({"run", file, "--out", out_dir});
  CHECK(o.exit_code == 2);
  CHECK(o.out.empty());
  CHECK(o.err == file + ":2:34: error: replicas must be between 1 and 100000, got -3\n");
  CHECK_FALSE(exists(out_dir));

  SECTION("a missing file, a directory and a bad --set all exit 2") {
    CHECK(run_archsim({"run", "/nonexistent.yaml"}).exit_code == 2);
    CHECK(run_archsim({"validate", "/tmp"}).err == "/tmp: error: is a directory; give a topology YAML file\n");
    std::string good = write_temp("good.yaml", kSmall);
    Outcome s = run_archsim({"run", good, "--set", "components.app.cores=many"});
    CHECK(s.exit_code == 2);
    CHECK(s.err == "--set components.app.cores=many: error: cores must be a whole number, got 'many'\n");
  }
  SECTION("an unknown subcommand or flag exits 2") {
    CHECK(run_archsim({"fly"}).exit_code == 2);
    CHECK(run_archsim({"run", file, "--jsno"}).exit_code == 2);
  }
}

TEST_CASE("CLI: --json prints the summary and nothing else on stdout", "[cli]") {
  std::string file = write_temp("small.yaml", kSmall);
  Outcome o = run_archsim({"run", file, "--json"});
  REQUIRE(o.exit_code == 0);
  auto j = nlohmann::json::parse(o.out);  // throws if anything else were on stdout
  for (const char* key : {"seed", "sim_time_s", "requests", "latency_ms", "components", "bottleneck"})
    CHECK(j.contains(key));
  for (const char* key : {"generated", "completed", "failed", "rejected", "timed_out", "in_flight_at_end"})
    CHECK(j["requests"].contains(key));
  for (const char* key : {"mean", "p50", "p90", "p95", "p99", "p999", "max", "by_type"}) CHECK(j["latency_ms"].contains(key));
  for (const char* key : {"kind", "throughput_rps", "utilization", "mean_queue_len", "max_queue_len", "mean_residence_ms",
                          "rejected"})
    CHECK(j["components"]["app"].contains(key));
  CHECK(j["sim_time_s"] == 2);
  // The database serves 200/s x 1 ms of I/O on 8 channels: 2.5% busy.
  CHECK(j["components"]["db"]["utilization"]["io"].get<double>() == Approx(0.025).margin(0.004));
}

TEST_CASE("CLI: --out writes the summary, CSVs and the DOT graph", "[cli]") {
  std::string file = write_temp("small.yaml", kSmall);
  std::string dir = file + ".out";
  Outcome o = run_archsim({"run", file, "--out", dir});
  REQUIRE(o.exit_code == 0);
  CHECK(o.out.find("bottleneck:") != std::string::npos);
  CHECK(first_line(dir + "/latency_histogram.csv") == "type,low_ms,high_ms,count");
  CHECK(first_line(dir + "/timeseries.csv") ==
        "t_s,component,throughput_rps,p50_ms,p99_ms,errors,utilization,queue_len,faults_active,faults");
  CHECK(first_line(dir + "/components.csv").rfind("component,kind,replicas,throughput_rps,", 0) == 0);
  CHECK(first_line(dir + "/topology.dot") == "digraph design {");
  std::ifstream summary(dir + "/summary.json");
  auto j = nlohmann::json::parse(summary);
  CHECK(j["requests"]["generated"].get<int>() > 300);

  SECTION("the histogram's counts add up to the completed requests") {
    std::ifstream in(dir + "/latency_histogram.csv");
    std::string line;
    std::getline(in, line);
    long total = 0;
    while (std::getline(in, line))
      if (line.rfind("all,", 0) == 0) total += std::stol(line.substr(line.rfind(',') + 1));
    CHECK(total == j["requests"]["completed"].get<long>());
  }
  SECTION("the time series has one row per second and component") {
    std::ifstream in(dir + "/timeseries.csv");
    std::string line;
    int rows = -1;
    while (std::getline(in, line)) ++rows;
    CHECK(rows == 3 * 3);  // 3 s x (users, app, db)
  }
}

TEST_CASE("CLI: validate, graph and latency-table", "[cli]") {
  std::string file = write_temp("small.yaml", kSmall);
  Outcome v = run_archsim({"validate", file});
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind(file + ": ok (3 components, 3 hosts, 1 region)\ncost: about 3.6e+03 events, ", 0) == 0);
  Outcome g = run_archsim({"graph", file});
  CHECK(g.exit_code == 0);
  CHECK(g.out.find("c0_0 -> c1_0;") != std::string::npos);  // users -> app
  CHECK(g.out.find("c1_0 -> c2_0;") != std::string::npos);  // app -> db
  CHECK(g.out.find("label=\"db\\ndatabase\"") != std::string::npos);
  Outcome t = run_archsim({"latency-table"});
  CHECK(t.exit_code == 0);
  CHECK(t.out.find("cross_continent_rtt") != std::string::npos);
  CHECK(t.out.find("150ms") != std::string::npos);
}

TEST_CASE("CLI: the cost guard counts every event source and refuses up front, with the estimate and --force",
          "[cli][cost]") {
  SECTION("health checks every microsecond over 100 replicas") {
    std::string file = write_temp("health.yaml",
                                  "name: health\n"
                                  "components:\n"
                                  "  users: {kind: client, arrival: {process: poisson, rate: 10/s}, requests: {get: {weight: 1}}, target: lb}\n"
                                  "  lb: {kind: load_balancer, targets: app, health_check: {interval: 1us}}\n"
                                  "  app: {kind: service, cpu: 1ms, replicas: 100}\n"
                                  "run: {duration: 100s}\n");
    std::string out_dir = file + ".out";
    Outcome o = run_archsim({"run", file, "--out", out_dir});
    CHECK(o.exit_code == 2);
    CHECK(o.err.find("would process about 3.01e+10 events") != std::string::npos);
    CHECK(o.err.find("from lb: health checks every 1us") != std::string::npos);
    CHECK(o.err.find("--force") != std::string::npos);
    CHECK_FALSE(exists(out_dir));
    Outcome v = run_archsim({"validate", file});
    CHECK(v.exit_code == 0);
    CHECK(v.out.find("cost: about 3.01e+10 events") != std::string::npos);
  }
  SECTION("closed-loop users with a 1 ns think time: a cycle is at least a round trip") {
    // 5,000 users / (1 ns + 500 us) = 1e7 requests per simulated second, 4 messages each.
    Outcome v = run_archsim({"validate", source_path("topologies/postgres-connections.yaml"), "--set",
                             "components.users.arrival.think_time.mean=1ns", "--set", "run.duration=1s"});
    CHECK(v.exit_code == 0);
    CHECK(v.out.find("cost: about 4e+07 events") != std::string::npos);
    Outcome o = run_archsim({"run", source_path("topologies/postgres-connections.yaml"), "--set",
                             "components.users.arrival.think_time.mean=1ns", "--set", "run.duration=1s",
                             "--max-wall", "30"});
    CHECK(o.exit_code == 2);
    CHECK(o.err.find("over the limit of 30 s") != std::string::npos);
    CHECK(o.err.find("from users: arrivals") != std::string::npos);
  }
  SECTION("a NIC the analytic view predicts overloaded: SimGrid's backlog grows all run") {
    std::string file = write_temp("overloaded.yaml",
                                  "name: overloaded\n"
                                  "components:\n"
                                  "  users: {kind: client, arrival: {process: poisson, rate: 2M/s}, requests: {get: {weight: 1}}, target: app}\n"
                                  "  app: {kind: service, cpu: 1us, cores: 64}\n"
                                  "run: {duration: 0.5s}\n");
    Outcome o = run_archsim({"run", file});
    CHECK(o.exit_code == 2);
    CHECK(o.err.find("most of it in SimGrid's flow model (users NIC offered 164% of its bandwidth") != std::string::npos);
    CHECK(o.err.find("`--network latency` ignores contention") != std::string::npos);
  }
}

TEST_CASE("CLI: the wall-time guard stops a run whose pace shows it would take too long", "[cli][cost]") {
  // 5,000 closed-loop users thinking 1 ms against a database that refuses most of them: the
  // refusals overload the NICs, SimGrid's flow model carries thousands of transfers at once, and
  // the pace is hours for a simulated second; the up-front estimate (about 27 s) lets it start.
  std::string out_dir = write_temp("stopped.txt", "") + ".out";
  Outcome o = run_archsim({"run", source_path("topologies/postgres-connections.yaml"), "--set",
                           "components.users.arrival.think_time.mean=1ms", "--set", "run.duration=1s", "--set",
                           "run.warmup=0s", "--max-wall", "40", "--out", out_dir});
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("error: this run was stopped: after ") != std::string::npos);
  CHECK(o.err.find("SimGrid's flow model") != std::string::npos);
  CHECK(o.err.find("--force") != std::string::npos);
  CHECK(o.out.empty());
  CHECK_FALSE(exists(out_dir));
}

TEST_CASE("CLI: a timeout below the round trip to its target is warned", "[cli]") {
  std::string file = write_temp("small.yaml", kSmall);
  Outcome o = run_archsim({"validate", file, "--set", "components.users.timeout=1us"});
  CHECK(o.exit_code == 0);
  CHECK(o.err.find("warning: the timeout of 'users' (1us) is below the round trip to 'app' (500us): every attempt "
                   "times out before an answer can arrive") != std::string::npos);
  Outcome fine = run_archsim({"validate", file, "--set", "components.users.timeout=1s"});
  CHECK(fine.err.find("times out") == std::string::npos);
}

TEST_CASE("CLI: a --set path that does not exist gets the nearest one", "[cli]") {
  std::string file = write_temp("small.yaml", kSmall);
  Outcome o = run_archsim({"validate", file, "--set", "components.users.arival.rate=10/s"});
  CHECK(o.exit_code == 2);
  CHECK(o.err == "--set components.users.arival.rate=10/s: error: 'components.users.arival' does not exist in " + file +
                     "; did you mean 'components.users.arrival'?\n");
}

TEST_CASE("CLI: report --topology refuses a file of another design than the run's", "[cli]") {
  std::string file = write_temp("small.yaml", kSmall);
  std::string other = write_temp("other.yaml", std::string(kSmall).replace(6, 5, "other"));
  std::string dir = file + ".run";
  REQUIRE(run_archsim({"run", file, "--out", dir}).exit_code == 0);
  Outcome o = run_archsim({"report", dir, "--topology", other});
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("error: " + dir + " is a run of 'small', and " + other + " describes 'other'") != std::string::npos);
  CHECK_FALSE(exists(dir + "/report.html"));
}

TEST_CASE("CLI: YAML merge keys copy the base map's keys the map does not give itself", "[cli]") {
  // api-eu is api with its own calls and cpu; a --set on api-eu leaves api alone.
  std::string file = write_temp("merge.yaml",
                                "name: merge\n"
                                "components:\n"
                                "  users: {kind: client, arrival: {process: constant, rate: 10/s}, requests: {get: {weight: 1}}, target: api}\n"
                                "  api: &api {kind: service, cpu: 1ms, calls: [api-eu]}\n"
                                "  api-eu:\n"
                                "    <<: *api\n"
                                "    calls: []\n"
                                "    cpu: 7ms\n"
                                "run: {duration: 2s}\n");
  Outcome o = run_archsim({"run", file, "--json", "--network", "latency", "--set", "components.api-eu.cpu=9ms"});
  REQUIRE(o.exit_code == 0);
  auto j = nlohmann::json::parse(o.out);
  CHECK(j["components"]["api-eu"]["kind"] == "service");
  CHECK(j["components"]["api-eu"]["mean_residence_ms"].get<double>() == Approx(9).margin(0.01));
  // api: its own 1 ms plus the call to api-eu (9 ms and a 0.5 ms round trip)
  CHECK(j["components"]["api"]["mean_residence_ms"].get<double>() == Approx(10.5).margin(0.01));
}

TEST_CASE("CLI: a run of a topology that extends another writes the merged topology, and its folder stands alone",
          "[cli]") {
  // small-ha.yaml extends small.yaml with two app replicas. Expectations: the run folder's
  // topology.yaml has no extends and gives the same summary when run again; `report DIR` reads it.
  std::string file = write_temp("small.yaml", kSmall);
  std::string child = std::filesystem::path(file).parent_path() / "small-ha.yaml";
  std::ofstream(child) << "extends: small.yaml\ncomponents: {app: {replicas: 2}}\n";
  std::string dir = child + ".run";
  REQUIRE(run_archsim({"run", child, "--out", dir, "--set", "run.duration=2s"}).exit_code == 0);
  std::ifstream in(dir + "/topology.yaml");
  std::stringstream copy;
  copy << in.rdbuf();
  CHECK(copy.str().rfind("# ", 0) == 0);  // a comment naming the files
  CHECK(copy.str().find("\nextends:") == std::string::npos);
  CHECK(copy.str().find("replicas: 2") != std::string::npos);
  std::string again = dir + ".again";
  REQUIRE(run_archsim({"run", dir + "/topology.yaml", "--out", again, "--set", "run.duration=2s"}).exit_code == 0);
  std::ifstream a(dir + "/summary.json"), b(again + "/summary.json");
  CHECK(nlohmann::json::parse(a)["requests"] == nlohmann::json::parse(b)["requests"]);
  CHECK(run_archsim({"report", dir}).exit_code == 0);
}
