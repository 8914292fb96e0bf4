// Running archsim as a child process from tests: SimGrid allows one Engine per process, so every
// simulation a test needs runs in its own `archsim` process.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/engine/network.hpp"

namespace archsim::testing {

struct Outcome {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs build/archsim with `args` (no shell involved).
Outcome run_archsim(const std::vector<std::string>& args);
// `archsim run FILE --json [extra...]`; fails the test (REQUIRE) unless it exits 0 with JSON.
nlohmann::json run_json(const std::string& file, const std::vector<std::string>& extra = {});
// Writes `text` to a fresh temporary file named `name` and returns its path.
std::string write_temp(const std::string& name, const std::string& text);
// A path under the source tree.
std::string source_path(const std::string& relative);
// A test topology: tests/topologies/<name>.
std::string topology(const std::string& name);
// run_json, run once per distinct (file, arguments) in the process: Catch2 runs a TEST_CASE body
// once per SECTION, and the sections share the simulation.
const nlohmann::json& run_once(const std::string& file, const std::vector<std::string>& extra = {});
// One region, zero latency, practically infinite bandwidth: for in-process model tests.
NetworkPlan instant_network();

}  // namespace archsim::testing
