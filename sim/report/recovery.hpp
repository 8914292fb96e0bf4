// After a fault: did the design come back? For every fault window that ends inside the run, the
// clients' goodput (completed requests per second) before it, during it and once it ended, and
// whether and how fast it returned to its level before the trigger; when it did not, what sustains
// the failure (a metastable state: retries that multiply the load, a backlog that never drains).
//
// The level before is the mean goodput over the up to 10 seconds before the fault starts (after
// the first second of the run); recovered means the first 3 consecutive seconds after the fault's
// end whose mean goodput is at least 90% of that level, and the recovery time runs from the end
// to the first of them.
//
// A load spike (`spike:` fault) is judged the same way: the level before it, and goodput after it.
//
// Left out on purpose: faults whose windows overlap (each is judged on its own).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace archsim {

struct RunResult;

struct Recovery {
  size_t fault = 0;       // index into RunResult::faults
  std::string not_judged;  // why the run cannot say (no end, too early, too late); "" when judged
  double before_rps = 0, during_rps = 0, at_end_rps = 0;
  bool recovered = false;
  double recovery_s = 0;   // from the fault's end to the first recovered second
  std::string sustained_by;  // when not recovered: "retries (...)", "the backlog at ...", or why unknown
};

std::vector<Recovery> fault_recoveries(const RunResult& r);
nlohmann::ordered_json recovery_json(const Recovery& v);
// One line: "after it: goodput back to 90% of its level before (300/s) 0.0 s after it ended".
std::string recovery_line(const Recovery& v);

}  // namespace archsim
