// "Where does this design break, and at what scale?" (`archsim capacity`, docs/capacity.md).
//
// The largest load multiplier at which every SLO holds: every open-loop client's rate (a closed
// loop's users) scaled by the same factor, bracketed by doubling or halving from 1x, then bisected
// geometrically to the asked precision. Each probe is an ordinary `archsim run` per replication
// (run as an experiment's point, so `--jobs`, resuming and `--executor slurm` come with it), and
// is replicated until the 95% interval of every SLO's metric lies on one side of its limit, or up
// to the maximum. Such an undecided probe counts as not holding while bracketing; met while
// bisecting, it ends the search: the SLO's metric is within noise of its limit there, so the knee
// is about that multiplier, inside the bracket that is reported with it. A probe whose measured
// window was not steady does not hold, whatever its percentiles say, with the reason.
// `parallel_probes` K > 1 runs K bisection probes together each round, splitting the bracket
// into K + 1 (for many job slots or a cluster).
//
// The ladder: once a wall is found, the resource the hi probe's bottleneck verdict names is
// relieved by the smallest step of one rule (relief_for below) and the next wall is searched, up
// to `steps` walls or a target multiplier.
//
// Left out on purpose: relieving several resources at once, and a relief chosen by trying several
// candidates (each would cost a search per candidate).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/experiment/experiment.hpp"

namespace archsim {

// One `--slo`: `p99<=50ms`, `p50<=10ms`, `mean<=20ms`, `read.p99<=30ms` (one request type),
// `errors<=0.1%` (failed / ended), `availability>=99.9%`.
struct Slo {
  std::string text;    // as given
  std::string metric;  // "latency", "errors" or "availability"
  std::string stat;    // latency: p50, p90, p95, p99, p999, mean, max
  std::string type;    // latency of one request type; empty = all
  double limit = 0;    // ms for latency, a fraction for errors and availability
  bool at_most = true; // `<=` (latency, errors) or `>=` (availability)
};
// Throws ConfigError naming `--slo TEXT` and what a valid one looks like.
Slo parse_slo(const std::string& text);

struct CapacityOptions {
  std::vector<Slo> slos;
  std::vector<std::string> sets;   // `--set` on every probe
  std::vector<std::string> scale;  // what the multiplier scales: client names (their load) and paths
                                   // to numbers; empty = every client's load
  double max_multiplier = 100;     // the search stops here ("holds up to ...")
  double precision = 0.02;         // bisection ends when hi / lo <= 1 + precision
  int min_replications = 2;        // per probe (1: a single run decides)
  int max_replications = 5;
  int steps = 1;                   // walls to find (the ladder); 1 = the first wall only
  int parallel_probes = 1;         // bisection probes run together each round (K splits the bracket in K + 1)
  std::optional<double> target;    // the ladder stops once a wall is at or beyond this multiplier
  uint64_t seed = 1;
  ExperimentOptions run;           // jobs, executor, network; out_dir = the capacity folder
  bool json = false;
};

// `archsim capacity FILE`: searches, prints the table (or JSON) and writes capacity.json into
// the output folder. Returns 0, or kSomeRunsFailed when a probe's run failed. Throws ConfigError.
int run_capacity(const std::string& file, const CapacityOptions& options);

}  // namespace archsim
