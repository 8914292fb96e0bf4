// Reading an experiment file (docs/experiments.md): the topology it names, its overrides and the
// points they expand to. Running the points is sim/experiment/experiment.hpp's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace archsim {

// One `path=value` change to the topology, with where it was written (for error messages).
struct Override {
  std::string path;
  std::string value;
  std::string where;  // "file:line:col" in the experiment file, or "--set path=value"

  std::string assignment() const { return path + "=" + value; }
  // `path=value` as `--set` takes it, written at `where`.
  static Override of(const std::string& assignment, std::string where) {
    size_t eq = assignment.find('=');
    return {assignment.substr(0, eq), eq == std::string::npos ? "" : assignment.substr(eq + 1), std::move(where)};
  }
};

struct ExperimentPoint {
  std::string id;        // folder name under points/: "rate=10k_s", "budget-cut", "cache_replicas=4"
  std::string topology;  // the topology file this point runs (a `compare` variant may name its own)
  std::string variant;   // `compare` variant name; empty when the experiment has none
  std::string mutation;  // `mutations` name or "baseline"; empty when the experiment has none
  std::vector<std::pair<std::string, std::string>> parameters;  // path → value this point varies
  std::vector<Override> overrides;  // all of them, in order: base, command line, variant, mutation, grid

  // The overrides as `--set` takes them: "path=value".
  std::vector<std::string> assignments() const;
};

// `until`: stop replicating a point once the 95% CI half width of `metric` is at most
// `half_width` (a fraction of the mean when `relative`, else in the metric's unit).
struct StopRule {
  std::string metric;
  double half_width = 0;
  bool relative = false;
};

struct Experiment {
  std::string file;
  std::string name;
  std::string description;
  std::string topology;  // resolved against the experiment file's folder
  int replications = 1;  // the maximum when `until` is given
  uint64_t seed = 1;     // replication k (1-based) runs with seed + k - 1
  std::optional<StopRule> until;
  std::vector<std::string> parameter_paths;  // every varied path, in first-seen order
  bool has_variants = false;
  bool has_mutations = false;
  std::vector<ExperimentPoint> points;
};

// Reads an experiment file strictly (unknown keys, wrong types and missing keys fail with
// file:line:col) and expands its points. `extra_sets` (`--set` on the command line) apply to every
// point after the file's own `set:`. Throws ConfigError.
Experiment load_experiment(const std::string& path, const std::vector<std::string>& extra_sets = {});

// Loads and validates the topology with every point's overrides, so that a typo fails before any
// point runs. Throws ConfigError naming the point and the override's place in the experiment file.
void check_experiment(const Experiment& e);

}  // namespace archsim
