// Client: the arrival processes and the timeout, in-process on the local engine.
#include <catch2/catch.hpp>

#include <fstream>

#include "models/client/client.hpp"
#include "models/service/service.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;
using archsim::testing::instant_network;

namespace {
Client::Params one_type() {
  Client::Params p;
  p.types.resize(1);
  p.target.replicas = {1};
  return p;
}

// A client in front of a service whose requests hold a worker for `service_time`, on an instant
// network, run for `seconds`.
struct ClientRun {
  ClientStats client;
  ComponentStats service;
  ClientRun(const Client::Params& p, double service_time, double seconds) {
    client.by_type.resize(1);
    service.configure(0, seconds);
    Service::Params sp;
    sp.delay = Distribution::constant(service_time);
    Client c(p, &client, Rng(1));
    Service svc(sp, &service, Rng(2));
    auto engine = make_local_engine(instant_network());
    engine->add_node("users", 0, &c);
    engine->add_node("svc", 0, &svc);
    engine->run(seconds, 0);
  }
};
}  // namespace

TEST_CASE("Client: a closed loop of one user alternates thinking and waiting", "[client]") {
  // System under consideration: 1 user, think time 10 ms, a service taking 10 ms, for 1 s.
  // Expectations: one request per 20 ms cycle: 50 requests (the first starts within the first
  // think time, so 49 or 50 complete), never two at once.
  Client::Params p = one_type();
  p.process = Client::Process::Closed;
  p.users = 1;
  p.think_time = Distribution::constant(10e-3);
  ClientRun run(p, 10e-3, 1);
  const ClientStats& cs = run.client;
  const ComponentStats& ss = run.service;
  CHECK(cs.completed >= 49);
  CHECK(cs.completed <= 50);
  CHECK(ss.in_system.max() == 1);
  CHECK(cs.all.mean() == Approx(10e-3));
}

TEST_CASE("Client: a trace replays its timestamps, types and keys", "[client]") {
  // System under consideration: a trace of three requests at 0.1, 0.2 and 0.5 s, the last with an
  // explicit key, against an instant service.
  // Expectations: exactly three requests, answered at once.
  std::string trace = archsim::testing::write_temp("trace.csv", "t_s,type,key\n0.1,0\n0.2,0\n0.5,0,42\n");
  Client::Params p = one_type();
  p.process = Client::Process::Trace;
  p.trace_file = trace;
  ClientRun run(p, 0, 1);
  const ClientStats& cs = run.client;
  CHECK(cs.generated == 3);
  CHECK(cs.completed == 3);
}

TEST_CASE("Client: a request not answered in time fails once, even if answered later", "[client]") {
  // System under consideration: constant arrivals every 100 ms, a 50 ms timeout, a service taking
  // 80 ms, for 1 s.
  // Expectations: requests leave at 0.1, 0.2, ... 1.0 s; each of the first nine times out at
  // +50 ms (its answer at +80 ms is ignored); the tenth is still waiting at the end.
  Client::Params p = one_type();
  p.process = Client::Process::Constant;
  p.rate = 10;
  p.timeout = 50e-3;
  ClientRun run(p, 80e-3, 1.0001);
  const ClientStats& cs = run.client;
  const ComponentStats& ss = run.service;
  CHECK(cs.generated == 10);
  CHECK(cs.timed_out == 9);
  CHECK(cs.in_flight_at_end == 1);
  CHECK(cs.completed == 0);
  CHECK(ss.completed == 9);  // the service finished all but the last, which was still running
}

namespace {
// Requests the users of a closed loop send in their first `seconds`, on an instant service.
uint64_t closed_loop_first(int64_t users, const Distribution& think, double seconds) {
  Client::Params p = one_type();
  p.process = Client::Process::Closed;
  p.users = users;
  p.think_time = think;
  ClientRun run(p, 1e-6, seconds);
  return run.client.generated;
}
}  // namespace

TEST_CASE("Client: closed-loop users start at their steady rate, not in a burst", "[client]") {
  // System under consideration: 20,000 users with a 1 s think time before an instant service. At
  // the steady state they send N / (Z + R) = 20,000/s. Starting each user at a uniform fraction of
  // one think-time draw sent up to 2N/Z at first (for exponential thinking, 18,066 requests in the
  // first half second where 10,000 belong, 5,941 in the first tenth where 2,000 do). Expectations: the first half
  // second carries the steady rate within 3% and the first tenth within 7% (three standard
  // deviations of a count of 2,000), for each shape of think time.
  for (const auto& think : {Distribution::exponential(1), Distribution::constant(1), Distribution::uniform(0.5, 1.5),
                            Distribution::lognormal(0.8, 3)}) {
    INFO(think.describe());
    double rate = 20000 / think.mean();
    CHECK(static_cast<double>(closed_loop_first(20000, think, 0.5)) == Approx(rate * 0.5).epsilon(0.03));
    CHECK(static_cast<double>(closed_loop_first(20000, think, 0.1)) == Approx(rate * 0.1).epsilon(0.07));
  }
}

TEST_CASE("Distribution: the equilibrium residual has mean E[Z^2] / (2 E[Z])", "[client]") {
  // Renewal theory: the time left until the next renewal, seen at a random instant, has mean
  // m (1 + scv) / 2; the length-biased draw has mean m (1 + scv).
  Distribution mix = Distribution::mixture({{0.9, Distribution::uniform(1, 2)}, {0.1, Distribution::constant(20)}});
  for (const auto& d : {Distribution::exponential(2), Distribution::constant(3), Distribution::uniform(1, 4),
                        Distribution::lognormal(1, 5), Distribution::empirical({{1, 0.5}, {9, 0.5}}), mix}) {
    INFO(d.describe());
    Rng rng(7);
    double sum_residual = 0, sum_biased = 0;
    const int n = 400000;
    for (int i = 0; i < n; ++i) {
      sum_residual += d.sample_residual(rng);
      sum_biased += d.sample_length_biased(rng);
    }
    CHECK(sum_residual / n == Approx(d.mean() * (1 + d.scv()) / 2).epsilon(0.02));
    CHECK(sum_biased / n == Approx(d.mean() * (1 + d.scv())).epsilon(0.02));
  }
}
