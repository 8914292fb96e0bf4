// The steady-state verdict (sim/report/steady_state.cpp): a run says when its measured window was
// not steady, with what was measured and what to change, and counts the requests still in flight.
//
// Systems under consideration: the M/M/1 of tests/topologies/mm1.yaml (mu = 1000/s) at several
// offered rates; the cp store of tests/topologies/store-cp.yaml without warm-up; TimeWeighted's
// slices of the window in process.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "sim/support/metrics.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim::testing;

TEST_CASE("TimeWeighted: the window's slices hold the time average of each slice", "[steady]") {
  // A value of 1 from t = 0, 3 from t = 2.5, back to 0 at t = 7.5; window [1, 9] in 4 slices of 2 s.
  // Expectations: slice [1, 3): (1.5 x 1 + 0.5 x 3) / 2 = 1.5; [3, 5): 3; [5, 7): 3; [7, 9): 0.75.
  archsim::TimeWeighted tw;
  tw.configure(1, 9, 4);
  tw.add(0, 1);
  tw.add(2.5, 2);
  tw.add(7.5, -3);
  tw.close(9);
  std::vector<double> m = tw.window_means();
  REQUIRE(m.size() == 4);
  CHECK(m[0] == Approx(1.5));
  CHECK(m[1] == Approx(3));
  CHECK(m[2] == Approx(3));
  CHECK(m[3] == Approx(0.75));
  CHECK(tw.mean() == Approx(16.5 / 8));
}

TEST_CASE("Steady state: an overloaded server is reported as not steady, with its backlog's growth", "[steady]") {
  // M/M/1 with mu = 1000/s offered 1100/s for 20 s after 2 s: the backlog grows by lambda - mu =
  // 100/s (a random walk with drift: about +-7 requests over 20 s around 2,000, so 10% holds).
  // The requests still in flight are those that arrived in the last ~2 s at most.
  const auto& j = run_once(topology("mm1.yaml"),
                           {"--set", "components.users.arrival.rate=1100/s", "--set", "run.duration=22s", "--set",
                            "run.warmup=2s"});
  const auto& s = j["steady_state"];
  INFO(s.dump(2));
  CHECK_FALSE(s["steady"].get<bool>());
  REQUIRE(s["reasons"].size() >= 1);
  CHECK(s["reasons"][0]["kind"] == "backlog_growing");
  std::string why = s["reasons"][0]["why"];
  CHECK(why.find("server is overloaded") != std::string::npos);
  CHECK(std::string(s["reasons"][0]["change"]).find("offer less than") != std::string::npos);
  CHECK(s["backlog_growth_rps"].get<double>() == Approx(100).epsilon(0.1));
  CHECK(s["offered_rps"].get<double>() == Approx(1100).epsilon(0.03));
  CHECK(s["served_rps"].get<double>() == Approx(1000).epsilon(0.03));
  CHECK(s["growing_queue"]["component"] == "server");
  // Every measured request still waiting is counted, with an age below the window's length.
  CHECK(s["in_flight_at_end"]["count"] == j["requests"]["in_flight_at_end"]);
  CHECK(s["in_flight_at_end"]["count"].get<double>() > 1500);
  CHECK(s["in_flight_at_end"]["age_ms"]["max"].get<double>() <= 20000);
  CHECK(s["in_flight_at_end"]["age_ms"]["max"].get<double>() > 1000);
  // The terminal leads with it.
  Outcome o = run_archsim({"run", topology("mm1.yaml"), "--set", "components.users.arrival.rate=1100/s", "--set",
                           "run.duration=22s", "--set", "run.warmup=2s"});
  REQUIRE(o.exit_code == 0);
  CHECK(o.out.find("steady state: NO") != std::string::npos);
  CHECK(o.out.find("still in flight at the end") != std::string::npos);
}

TEST_CASE("Steady state: a loaded but stable server is steady", "[steady]") {
  // rho = 0.5 and rho = 0.9 (L = 9, relaxation time about 1 / (mu (1 - sqrt(rho))^2) = 0.37 s,
  // well inside one 1 s slice of a 20 s window): no growth beyond the noise, no reason given.
  for (const char* rate : {"500/s", "900/s"}) {
    INFO("rate " << rate);
    const auto& j = run_once(topology("mm1.yaml"), {"--set", std::string("components.users.arrival.rate=") + rate,
                                                    "--set", "run.duration=22s", "--set", "run.warmup=2s"});
    const auto& s = j["steady_state"];
    INFO(s.dump(2));
    CHECK(s["steady"].get<bool>());
    CHECK(s["reasons"].empty());
    CHECK(std::abs(s["backlog_growth_rps"].get<double>()) < 2);
    CHECK_FALSE(s["percentiles_are_lower_bounds"].get<bool>());
  }
}

TEST_CASE("Steady state: a cp store's first election after the warm-up is a transient in the window", "[steady]") {
  // store-cp with `cold_start: true` and no warm-up: the first leader is elected after an election
  // timeout, inside the measured window. Without the cold start the leader is there from t = 0.
  const auto& warm = run_once(topology("store-cp.yaml"), {"--set", "run.warmup=0s"});
  for (const auto& w : warm["steady_state"]["reasons"]) CHECK(w["kind"] != "store_without_leader");
  const auto& cold =
      run_once(topology("store-cp.yaml"), {"--set", "run.warmup=0s", "--set", "components.kv.cold_start=true"});
  const auto& s = cold["steady_state"];
  INFO(s.dump(2));
  CHECK_FALSE(s["steady"].get<bool>());
  bool found = false;
  for (const auto& w : s["reasons"])
    if (w["kind"] == "store_without_leader") {
      found = true;
      CHECK(std::string(w["why"]).find("had no leader until") != std::string::npos);
      CHECK(std::string(w["change"]).find("run.warmup") != std::string::npos);
    }
  CHECK(found);
}

TEST_CASE("Steady state: a warm-up shorter than the calls' retry horizon is a transient in the window", "[steady]") {
  // tests/topologies/store-idempotency.yaml: every ledger write times out (200 ms, two retries with
  // 10 ms and 20 ms backoffs: a call stays in flight up to 630 ms). With a 0.5 s warm-up the window
  // opens before the first calls have used their retries: not steady, and the change asks for a
  // 1 s warm-up; with 1 s the reason is gone. In tests/topologies/store-failover.yaml the timeouts
  // and retries all come from a crash at 4 s (nothing failed before it): no such reason.
  auto kinds = [](const nlohmann::json& j) {
    std::vector<std::string> k;
    for (const auto& w : j["steady_state"]["reasons"]) k.push_back(w["kind"]);
    return k;
  };
  auto has = [](const std::vector<std::string>& v, const char* k) { return std::find(v.begin(), v.end(), k) != v.end(); };
  const std::string file = topology("store-idempotency.yaml");
  const auto& short_warmup = run_once(file, {"--set", "run.warmup=0.5s", "--set", "run.duration=3s"});
  INFO(short_warmup["steady_state"].dump(2));
  CHECK(has(kinds(short_warmup), "retry_transient"));
  CHECK_FALSE(short_warmup["steady_state"]["steady"].get<bool>());
  for (const auto& w : short_warmup["steady_state"]["reasons"])
    if (w["kind"] == "retry_transient") {
      CHECK(std::string(w["why"]).find("630ms") != std::string::npos);
      CHECK(std::string(w["change"]) == "set run.warmup to at least 1s");
    }
  const auto& long_warmup = run_once(file, {"--set", "run.warmup=1s", "--set", "run.duration=3.5s"});
  CHECK_FALSE(has(kinds(long_warmup), "retry_transient"));
  const auto& fault = run_once(topology("store-failover.yaml"), {"--set", "run.warmup=0s"});
  CHECK(fault["components"]["api"]["calls_to"]["ledger"]["retries"].get<int>() > 0);
  CHECK_FALSE(has(kinds(fault), "retry_transient"));
}

TEST_CASE("Steady state: the run report says so too", "[steady]") {
  // The overloaded M/M/1 of the first case, shortened: report.html carries the reason and its change.
  std::string dir = write_temp("marker", "") + ".steady";
  Outcome o = run_archsim({"run", topology("mm1.yaml"), "--set", "components.users.arrival.rate=1100/s", "--set",
                           "run.duration=12s", "--set", "run.warmup=2s", "--out", dir});
  REQUIRE(o.exit_code == 0);
  Outcome rep = run_archsim({"report", dir});
  INFO(rep.err);
  REQUIRE(rep.exit_code == 0);
  std::ifstream in(dir + "/report.html");
  std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(html.find("Not steady") != std::string::npos);
  CHECK(html.find("server is overloaded") != std::string::npos);
  CHECK(html.find("change: ") != std::string::npos);  // the terminal's words, from report.json
  CHECK(html.find("<h2 id='sec-steady_state'>Not steady</h2>") != std::string::npos);
  CHECK(html.find("still in flight at the end") != std::string::npos);
}
