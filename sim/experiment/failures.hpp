// The failure-mode sweep (`archsim failures FILE`, docs/failures.md): "every arrow is a potential
// failure point". For every component (one replica of it: a host), every region and every region
// link, one run of the design with that failure alone for a window of an otherwise steady run
// (the topology's own faults removed), against a baseline run with none; each run an experiment
// point, so `--jobs`, resuming and `--executor slurm` come with it.
//
// For each failure: availability during the window and after it, overall and per client region;
// the failures by reason; whether and how fast goodput recovered (the summary's fault recovery);
// acknowledged writes lost and the RTO/RPO of a database failover where they apply. A failure is a
// single point of failure when, during its window, some client region or request type falls to 5%
// or less (a type's is estimated: its failures beyond the baseline's over its requests in the
// window's share of the run, within a few percent). The table is sorted by impact: single points
// of failure first, then by the lowest availability of a region or type during the window.
//
// Left out on purpose: failures of several things at once, slow (gray) failures, and kinds the
// fault model cannot crash (queues, rate limiters, object stores, feeds: listed as not swept).
#pragma once

#include <string>
#include <vector>

#include "sim/experiment/experiment.hpp"

namespace archsim {

struct FailureOptions {
  std::vector<std::string> sets;  // `--set` on every run
  std::string at, length;         // the window; empty = a third of the measured window each way
  int replications = 1;
  uint64_t seed = 1;
  ExperimentOptions run;          // jobs, executor, network; out_dir = the sweep's folder
  bool json = false;
};

// Runs the sweep, prints the table (or JSON) and writes failures.json. Returns 0, or
// kSomeRunsFailed when a run failed. Throws ConfigError on bad input.
int run_failures(const std::string& file, const FailureOptions& options);

}  // namespace archsim
