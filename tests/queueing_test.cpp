// Queueing theory, end to end: small topologies whose answer is known in closed form, run through
// `archsim run --json`, compared with the formula. Each topology sits in tests/topologies/ with a
// comment saying what it models; the network takes zero time in all of them (intra_region_rtt 0,
// empty messages), so the client's end-to-end latency is the sojourn time at the stations.
//
// Tolerances are set from the run-to-run spread of each estimate, measured over several seeds at
// the run lengths used here: a run of a few hundred thousand requests estimates a mean sojourn to
// within about 1% (one standard deviation) at these loads, less at low load. Seeds are fixed, so
// every run is reproducible.
#include <catch2/catch.hpp>

#include <cmath>
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


// Erlang C: the probability that an arrival to an M/M/c queue with offered load a = λ/μ waits.
double erlang_c(int c, double a) {
  double term = 1, sum = 0;  // term = a^k / k!
  for (int k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  double last = term * c / (c - a);  // a^c / c! * c / (c - a)
  return last / (sum + last);
}

// Little's law holds at every component: the time-average number of requests in it (L) equals
// its arrival rate times its mean residence (λW), within 2%.
void check_littles_law(const json& summary) {
  for (const auto& [name, c] : summary.at("components").items()) {
    INFO("component " << name);
    double L = c.at("littles_law").at("L").get<double>();
    double lambda_w = c.at("littles_law").at("lambda_W").get<double>();
    CHECK(L > 0);
    CHECK(L == Approx(lambda_w).epsilon(0.02));
  }
}

// Every request generated in the window was answered (nothing lost, rejected or left over).
void check_all_answered(const json& summary) {
  const json& r = summary.at("requests");
  CHECK(r.at("failed").get<int64_t>() == 0);
  CHECK(r.at("completed").get<int64_t>() + r.at("in_flight_at_end").get<int64_t>() == r.at("generated").get<int64_t>());
}

}  // namespace

// System under consideration: tests/topologies/mm1.yaml. Poisson arrivals at rate λ into one
// server with one worker and one core (FCFS, unbounded queue), exponential service of mean 1 ms
// (μ = 1000/s).
// Expectations (M/M/1): the sojourn time is exponential with rate μ - λ, so
//   mean W = 1/(μ - λ), and the p99 is ln(100)/(μ - λ).
//   ρ = 0.5 (λ = 500/s, 400 s simulated, ~200k requests): W = 2 ms within 3%; p99 = 9.2103 ms
//   within 5% (the histogram's buckets are 1% wide; the p99 estimate spreads ~1.2% across seeds).
//   ρ = 0.7 (λ = 700/s, 600 s simulated, ~420k requests): W = 3.3333 ms within 3% (it spreads
//   ~0.7% across seeds). Not ρ = 0.8: its mean still spreads ~1.1% after 800 s simulated (~8 s of
//   wall time), too close to 3% for a fixed-seed test of reasonable length.
//   Little's law at the server within 2%.
TEST_CASE("Queueing: M/M/1 sojourn time is exponential with rate mu - lambda", "[queueing]") {
  const double mu = 1000;

  SECTION("at utilization 0.5 the mean sojourn is 2 ms and the p99 is ln(100)/(mu - lambda)") {
    const double lambda = 500;
    json s = run_json(topology("mm1.yaml"));
    check_all_answered(s);
    double W = 1 / (mu - lambda) * 1e3;
    double p99 = std::log(100.0) / (mu - lambda) * 1e3;
    CHECK(s["latency_ms"]["mean"].get<double>() == Approx(W).epsilon(0.03));
    CHECK(s["components"]["server"]["mean_residence_ms"].get<double>() == Approx(W).epsilon(0.03));
    CHECK(s["latency_ms"]["p99"].get<double>() == Approx(p99).epsilon(0.05));
    // The server is busy a fraction ρ of the time.
    CHECK(s["components"]["server"]["utilization"]["cpu"].get<double>() == Approx(lambda / mu).epsilon(0.03));
    check_littles_law(s);
  }

  SECTION("at utilization 0.7 the mean sojourn is 1/(mu - lambda) = 3.33 ms") {
    const double lambda = 700;
    json s = run_json(topology("mm1.yaml"),
                      {"--set", "components.users.arrival.rate=700/s", "--set", "run.duration=600s"});
    check_all_answered(s);
    double W = 1 / (mu - lambda) * 1e3;
    CHECK(s["latency_ms"]["mean"].get<double>() == Approx(W).epsilon(0.03));
    CHECK(s["components"]["server"]["mean_residence_ms"].get<double>() == Approx(W).epsilon(0.03));
    check_littles_law(s);
  }
}

// System under consideration: tests/topologies/mmc.yaml. Poisson arrivals at λ = 3000/s into one
// server with c = 4 workers and 4 cores, so up to 4 requests are served at once, each at full
// speed on its own core, and the rest wait in FIFO order; exponential service of mean 1 ms
// (μ = 1000/s). Offered load a = λ/μ = 3, utilization ρ = a/c = 0.75. 150 s simulated, ~450k
// requests.
// Expectations (M/M/c, Erlang C): P(wait) = C(4, 3) = 13.5/26.5 = 0.50943;
//   mean wait Wq = C/(cμ - λ) = 0.50943 ms, mean sojourn W = Wq + 1/μ = 1.50943 ms.
//   W within 3%. Wq is a smaller number with long-correlated samples: over 10 seeds at this length
//   it spread by ~1.2% (one standard deviation; seed 1 is the lowest, at -3.2%), and a 1000 s run
//   gave +1.5%, so it is held to 5%. The cores and workers are busy a fraction ρ of the time.
TEST_CASE("Queueing: M/M/c mean wait and sojourn match Erlang C", "[queueing]") {
  const int c = 4;
  const double lambda = 3000, mu = 1000, a = lambda / mu;
  const json& s = run_once(topology("mmc.yaml"));
  check_all_answered(s);
  double C = erlang_c(c, a);
  REQUIRE(C == Approx(13.5 / 26.5));
  double Wq = C / (c * mu - lambda) * 1e3;
  double W = Wq + 1 / mu * 1e3;
  const json& server = s["components"]["server"];

  SECTION("the mean sojourn is the Erlang C wait plus one service time") {
    CHECK(s["latency_ms"]["mean"].get<double>() == Approx(W).epsilon(0.03));
    CHECK(server["mean_residence_ms"].get<double>() == Approx(W).epsilon(0.03));
  }
  SECTION("the mean wait for a worker is C(c, a) / (c mu - lambda)") {
    CHECK(server["mean_wait_ms"].get<double>() == Approx(Wq).epsilon(0.05));
  }
  SECTION("the cores are busy a fraction rho of the time and Little's law holds") {
    CHECK(server["utilization"]["cpu"].get<double>() == Approx(a / c).epsilon(0.03));
    CHECK(server["utilization"]["workers"].get<double>() == Approx(a / c).epsilon(0.03));
    check_littles_law(s);
  }
}

// System under consideration: tests/topologies/md1.yaml. Poisson arrivals at λ = 500/s into one
// server with one worker and one core, service exactly 1 ms (μ = 1000/s, ρ = 0.5). 400 s
// simulated, ~200k requests.
// Expectations (M/D/1, Pollaczek–Khinchine with zero service variance):
//   mean wait Wq = ρ / (2μ(1 - ρ)) = 0.5 ms; mean sojourn W = Wq + 1/μ = 1.5 ms.
//   W within 3%; Wq within 5% (it spreads ~0.9% across seeds at this length). This is half the
//   M/M/1 wait at the same load (1 ms), as P-K predicts: the wait scales with (1 + SCV)/2 of the
//   service time, SCV 0 here vs 1 for exponential service.
TEST_CASE("Queueing: M/D/1 mean wait matches Pollaczek-Khinchine", "[queueing]") {
  const double lambda = 500, mu = 1000, rho = lambda / mu;
  const json& s = run_once(topology("md1.yaml"));
  check_all_answered(s);
  double Wq = rho / (2 * mu * (1 - rho)) * 1e3;
  double W = Wq + 1 / mu * 1e3;
  const json& server = s["components"]["server"];

  SECTION("the mean sojourn is the P-K wait plus the 1 ms service") {
    CHECK(s["latency_ms"]["mean"].get<double>() == Approx(W).epsilon(0.03));
    CHECK(server["mean_residence_ms"].get<double>() == Approx(W).epsilon(0.03));
  }
  SECTION("the mean wait for the worker is rho / (2 mu (1 - rho))") {
    CHECK(server["mean_wait_ms"].get<double>() == Approx(Wq).epsilon(0.05));
  }
  SECTION("Little's law holds at the server") { check_littles_law(s); }
}

// System under consideration: tests/topologies/tandem.yaml. Poisson arrivals at λ = 500/s pass
// through two stations in series. A service that calls another holds its worker while it waits
// (thread-per-request), so the first station, `front`, has unbounded workers: its single core is
// then an M/M/1 processor-sharing queue (exponential CPU of mean 1 ms, μ1 = 1000/s), whose mean
// sojourn equals the FCFS one. After its CPU phase, `front` calls `back`: one worker, one core,
// exponential service of mean 0.8 ms (μ2 = 1250/s). 200 s simulated, ~95k requests.
// Expectations (Jackson network; an M/M/1 PS or FCFS queue's departures are Poisson(λ)):
//   back's mean residence 1/(μ2 - λ) = 1.3333 ms within 3%;
//   front's own part (its residence minus back's, since front's residence includes the call)
//   1/(μ1 - λ) = 2 ms within 3%;
//   end-to-end mean 1/(μ1 - λ) + 1/(μ2 - λ) = 3.3333 ms within 3%.
//   Little's law at both stations within 2%.
TEST_CASE("Queueing: two M/M/1 stations in tandem add their mean sojourns (Jackson)", "[queueing]") {
  const double lambda = 500, mu1 = 1000, mu2 = 1250;
  const json& s = run_once(topology("tandem.yaml"));
  check_all_answered(s);
  double W1 = 1 / (mu1 - lambda) * 1e3, W2 = 1 / (mu2 - lambda) * 1e3;
  const json& front = s["components"]["front"];
  const json& back = s["components"]["back"];

  SECTION("the second station alone is an M/M/1 queue fed by Poisson departures") {
    CHECK(back["mean_residence_ms"].get<double>() == Approx(W2).epsilon(0.03));
  }
  SECTION("the first station's own time is its processor-sharing M/M/1 sojourn") {
    double own = front["mean_residence_ms"].get<double>() - back["mean_residence_ms"].get<double>();
    CHECK(own == Approx(W1).epsilon(0.03));
    // Unbounded workers: nobody ever waits for one.
    CHECK(front["mean_wait_ms"].get<double>() == 0);
  }
  SECTION("the end-to-end mean is the sum of the two stations' mean sojourns") {
    CHECK(s["latency_ms"]["mean"].get<double>() == Approx(W1 + W2).epsilon(0.03));
    CHECK(front["mean_residence_ms"].get<double>() == Approx(W1 + W2).epsilon(0.03));
  }
  SECTION("Little's law holds at both stations") { check_littles_law(s); }
}
