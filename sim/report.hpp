// What a run says: the summary JSON, the terminal table, the CSV files and the bottleneck
// verdict. Plot scripts read these by column name; the names below are the documented interface
// (docs/outputs.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sim/scenario.hpp"

namespace archsim {

struct Verdict {
  std::string component;  // "" when none
  std::string resource;   // cpu | io | network | contention | none
  std::string evidence;
  int64_t shard = -1;     // a sharded component's hot shard when it is the bottleneck, else -1
};

Verdict bottleneck(const RunResult& r);
nlohmann::ordered_json summary_json(const RunResult& r);
std::string terminal_summary(const RunResult& r);
// Writes summary.json, components.csv, latency_histogram.csv, timeseries.csv and topology.dot
// into `dir` (created if needed), with a copy of the topology file (topology.yaml) and the `--set`
// overrides of the run (overrides.txt, one per line) so the folder says what was simulated. Each
// file is written under a temporary name and renamed, so an interrupted run leaves no
// complete-looking partial file.
void write_outputs(const RunResult& r, const std::string& dir, const std::vector<std::string>& overrides = {});

}  // namespace archsim
