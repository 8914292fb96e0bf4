// Running an experiment's runs on a Slurm cluster: an sbatch job array over the per-run commands
// and a gather job that depends on it (`--dependency=afterany`), which assembles results.csv
// exactly as the local executor does (`archsim experiment FILE --gather`).
//
// Array task i runs lines i*chunk+1 .. (i+1)*chunk of slurm/runs.tsv (a run's folder and its
// command), skipping runs already finished, so a requeued or resubmitted task only does what is
// left. A run that archsim itself ends (exit 0, 1, 2, 3) is final; one that dies otherwise (a
// signal such as the OOM killer's, a missing binary on the node) makes the task exit with
// kTransientExit, which a cluster configured with `RequeueExit=75` requeues.
//
// The searches (capacity, failures, review) cannot submit and return: each round of probes
// decides the next. They submit the array alone and wait for it (squeue), then read the runs back
// as the gather job would.
//
// Left out on purpose: job steps per run (`srun`), accounting queries (sacct needs slurmdbd), and
// any scheduling of our own: Slurm decides where and when each task runs.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace archsim {

// The cluster cannot be reached or refused a job: sbatch or squeue missing or failing. Not bad
// input, and not a fault of archsim's: the CLI says so and exits 1.
struct SlurmError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr int kTransientExit = 75;  // EX_TEMPFAIL: "try again"; the RequeueExit code in docs/experiments.md

struct SlurmJob {
  std::string name;       // the experiment's name, for the job names
  std::string workdir;    // absolute; the commands' relative paths are relative to it
  std::string slurm_dir;  // absolute: <out>/slurm, holds runs.tsv, the scripts and logs/
  size_t runs = 0;        // lines of runs.tsv
  int chunk = 1;          // runs per array task
  int throttle = 0;       // array tasks at once; 0 = no limit
  std::string partition;  // empty = the default partition
  std::vector<std::string> gather_argv;  // the gather command
};

struct SlurmSubmission {
  std::string array_job, gather_job;  // job ids
};

// A word as the shell reads it back unchanged: as is when safe, else in single quotes.
std::string shell_quote(const std::string& s);
// The words quoted and joined by spaces: a line the shell runs as `argv`.
std::string command_line(const std::vector<std::string>& argv);

std::string slurm_array_script(const SlurmJob& job);
std::string slurm_gather_script(const SlurmJob& job);

// The cluster's MaxArraySize (`scontrol show config`), or Slurm's default 1001 without scontrol.
int slurm_max_array_size();

// Submits the array, then the gather job after it. Throws SlurmError when sbatch is not on
// PATH or refuses a script (its message included).
SlurmSubmission submit_to_slurm(const SlurmJob& job);

// Submits the array alone (no gather job: the caller waits and gathers); returns its job id.
// Throws as submit_to_slurm does.
std::string submit_array_to_slurm(const SlurmJob& job);

// How many of job `id`'s tasks are still pending or running (squeue; a requeued task counts as
// pending), 0 once it has ended. A job Slurm no longer knows has ended. Throws SlurmError
// when squeue is missing, or fails for a minute on end (no controller).
int slurm_tasks_left(const std::string& id);

// Blocks until job `id` has ended, polling squeue (every 0.1 s at first, doubling up to every
// `poll_seconds`); calls `progress(left)` after each poll. Throws as slurm_tasks_left does.
void wait_for_slurm_job(const std::string& id, double poll_seconds, const std::function<void(int)>& progress);

}  // namespace archsim
