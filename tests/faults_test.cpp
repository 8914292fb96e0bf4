// Faults (sim/faults.hpp) through `archsim run`: what a crash does to the callers.
#include <catch2/catch.hpp>

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
}

TEST_CASE("Faults: a crash that outlasts the run fails every later request", "[faults]") {
  // Same design, the database down for 10 s: every read from 2 s on fails (about 3,000).
  auto j = run_json(topology("crash-database.yaml"), {"--set", "faults.0.for=10s"});
  CHECK(j["requests"]["failed"].get<double>() == Approx(3000).epsilon(0.02));
}
