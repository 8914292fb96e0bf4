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
