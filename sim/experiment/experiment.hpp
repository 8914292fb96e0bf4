// Experiments: what we try, as opposed to topologies (what exists).
//
// An experiment file names a topology, base overrides, and the points to run: a grid (`sweep`),
// paired lists (`zip`), named constraint changes (`mutations`, each run against the baseline) and
// design variants (`compare`), combined as a product. Each point runs `replications` times as child
// processes of `archsim run` (one process per run: SimGrid allows one Engine per process), with
// common random numbers: replication k of every point uses the same seed. Results are the
// per-run rows (results.csv) and per-point means with Student-t 95% confidence intervals
// (results.json). See docs/experiments.md.
//
// Executors: `local` (child processes on this machine, the default) and `slurm` (an sbatch job
// array over the same per-run commands plus a dependent gather job; sim/experiment/slurm.hpp). Both write
// each run to the same folder with the same command, so their results.csv are identical.
//
// Left out on purpose: retries of failed runs within one local invocation (rerunning the command
// retries them; under Slurm, transient failures are requeued).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/config/experiment_file.hpp"

namespace archsim {

// Mean and 95% confidence interval half width (Student t, n - 1 degrees of freedom).
struct Estimate {
  double mean = 0;
  std::optional<double> ci95_half_width;  // absent when n < 2
  int n = 0;
};
Estimate estimate(const std::vector<double>& values);
// The 97.5% quantile of Student's t with `df` degrees of freedom. REQUIRES: df >= 1.
double student_t975(int df);

struct SlurmOptions {
  std::string partition;  // empty = the cluster's default partition
  int chunk = 0;          // runs per array task; 0 = 1, or more when needed to stay within MaxArraySize
  int throttle = 0;       // array tasks running at once (`--array=0-N%M`); 0 = as many as Slurm allows
  bool dry_run = false;   // write the scripts, submit nothing
  bool wait = false;      // `experiment --wait`: submit, wait for the array, gather here (run_experiment)
  double poll_seconds = 1;  // how often squeue is asked while waiting
};

struct ExperimentOptions {
  int jobs = 0;                        // parallel runs; 0 = all cores
  std::string out_dir;                 // empty = results/<experiment name>
  std::string archsim;                 // the binary to run points with; empty = this process's own
  std::optional<int> max_replications; // caps `replications` (small-scale runs)
  std::string executor = "local";      // "local" or "slurm"
  SlurmOptions slurm;
  bool gather = false;                 // run nothing: assemble results from the runs on disk
  std::string network;                 // `--network` for every run; empty = run's default
};

// Some runs failed; the others completed and the results were written.
constexpr int kSomeRunsFailed = 3;

// Runs every point not already finished (a run is finished when its folder holds a summary.json
// from the same command) and writes results.csv and results.json. Progress goes to stderr.
// Under `executor == "slurm"` it submits the runs as job arrays in rounds (all that can start, then,
// under `until`, one more replication of each undecided point), waits for each, and gathers:
// it returns when the results are written, as the local executor does.
// Returns 0, or kSomeRunsFailed. Throws SlurmError when Slurm cannot be reached.
int run_experiment(const Experiment& e, const ExperimentOptions& options);

// Runs nothing: reads every run's folder and writes results.csv and results.json as run_experiment
// would have (runs that never ran are failed runs saying so). Returns 0, or kSomeRunsFailed.
int gather_experiment(const Experiment& e, const ExperimentOptions& options);

// `archsim experiment FILE`: load, check every point, run (or submit, or gather). Throws ConfigError on bad input.
int run_experiment_file(const std::string& file, const std::vector<std::string>& extra_sets,
                        const ExperimentOptions& options);

}  // namespace archsim
