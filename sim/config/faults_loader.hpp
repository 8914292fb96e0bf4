// Reading the `faults:` list of a topology file (configuration only: it sees yaml-cpp).
#pragma once

#include <vector>

#include "sim/topology/faults.hpp"
#include "sim/config/yaml_source.hpp"

namespace archsim {

// Reads the `faults:` list. Checks the form only; `validate_faults` checks the targets.
std::vector<Fault> load_faults(const Source& src, const YAML::Node& node, const LatencyTable& latency);

}  // namespace archsim
