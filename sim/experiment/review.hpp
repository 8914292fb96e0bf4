// One report for a design review or an interview (`archsim review FILE`, docs/review.md), in the
// seed lesson's order of reasoning: the design; the back-of-envelope beside the simulation
// (estimate, bound); where it breaks (the capacity ladder: the first bottleneck, then the next);
// what fails and what it costs (the failure sweep); the consistency choice under partition; the
// seed's constraint mutations against the design as given (choose, trade-off); the money.
//
// It orchestrates what exists and computes nothing of its own beyond differences: one `archsim
// run` of the design as given (DIR/run), run_capacity (DIR/capacity), run_failures
// (DIR/failures) and one experiment of the mutations (DIR/mutations), and reads back the JSON
// files they write. Every sentence of review.md and review.html is made from one of those values,
// and each section ends with the commands that reproduce its numbers.
//
// Left out on purpose: recommendations (which mutation to adopt is the reader's choice), and
// replications beyond one per mutation (the capacity search replicates its own probes).
#pragma once

#include <string>
#include <vector>

#include "sim/experiment/capacity.hpp"

namespace archsim {

struct ReviewOptions {
  // The capacity ladder's SLOs. Empty: one, p99 <= ten times the simulated run's p99, rounded up
  // to a whole millisecond (a design is reviewed against a wall well above where it runs today).
  std::vector<Slo> slos;
  std::vector<std::string> sets;  // `--set` on every run
  int steps = 3;                  // walls of the capacity ladder; each costs a search
  double precision = 0.05;        // the capacity bisection's; 2% costs about two probes more per wall
  uint64_t seed = 1;              // of the capacity probes, the failure sweep and the mutations
  ExperimentOptions run;          // jobs; out_dir empty = results/review-<topology name>
};

// Runs everything, writes DIR/review.md, DIR/review.html and DIR/design.svg, and prints where.
// Returns 0, or kSomeRunsFailed when a run failed (its section says so). Throws ConfigError on bad
// input before anything is written.
int run_review(const std::string& file, const ReviewOptions& options);

}  // namespace archsim
