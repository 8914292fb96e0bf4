// ProcessorSharing: the CPU and disk model. With n jobs on c servers each job progresses at
// rate min(1, c/n).
#include <catch2/catch.hpp>

#include "models/common/processor_sharing.hpp"

using namespace archsim;

TEST_CASE("ProcessorSharing: two jobs on one core share it", "[processor_sharing]") {
  // System under consideration: 1 core; job A (2 s of work) at t=0, job B (1 s) at t=0.
  // Expectations: both run at rate 1/2; B finishes at t=2, then A alone finishes at t=3.
  ProcessorSharing ps(1);
  ps.add(0, 1, 2.0);
  ps.add(0, 2, 1.0);
  CHECK(ps.busy() == 1.0);
  CHECK(ps.next_completion() == Approx(2.0));
  std::vector<uint64_t> done;
  ps.pop_completed(2.0, &done);
  REQUIRE(done == std::vector<uint64_t>{2});
  CHECK(ps.next_completion() == Approx(3.0));
  done.clear();
  ps.pop_completed(3.0, &done);
  CHECK(done == std::vector<uint64_t>{1});
  CHECK(ps.active() == 0);
}

TEST_CASE("ProcessorSharing: jobs up to the core count run at full speed", "[processor_sharing]") {
  // System under consideration: 4 cores, three jobs of 1 s each starting at t=0, 0.5, 0.5.
  // Expectations: no sharing, each finishes exactly 1 s after it started.
  ProcessorSharing ps(4);
  ps.add(0, 1, 1.0);
  ps.add(0.5, 2, 1.0);
  ps.add(0.5, 3, 1.0);
  CHECK(ps.busy() == 3.0);
  CHECK(ps.next_completion() == Approx(1.0));
  std::vector<uint64_t> done;
  ps.pop_completed(1.0, &done);
  CHECK(done == std::vector<uint64_t>{1});
  CHECK(ps.next_completion() == Approx(1.5));
}

TEST_CASE("ProcessorSharing: a late arrival slows the running job", "[processor_sharing]") {
  // System under consideration: 1 core; A (1 s) at t=0; B (1 s) at t=0.5.
  // Expectations: A has 0.5 s left at t=0.5, then runs at half speed: done at t=1.5;
  // B did 0.5 s by then and finishes alone at t=2.0.
  ProcessorSharing ps(1);
  ps.add(0, 1, 1.0);
  ps.add(0.5, 2, 1.0);
  CHECK(ps.next_completion() == Approx(1.5));
  std::vector<uint64_t> done;
  ps.pop_completed(1.5, &done);
  CHECK(done == std::vector<uint64_t>{1});
  CHECK(ps.next_completion() == Approx(2.0));
}
