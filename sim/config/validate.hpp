// Does the design make sense? Semantic checks on a loaded topology, on its call graph
// (Boost.Graph): dangling references, self-calls, cycles, regions without a network path,
// components no client can reach. Errors throw ConfigError naming file:line:col; findings that do
// not stop a run (an unreachable component) are returned as warnings.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sim/topology/topology.hpp"

namespace archsim {

// Throws ConfigError on the first error; returns warnings ("file:line:col: warning: ...").
std::vector<std::string> validate_topology(const Topology& t);

// The design as a Graphviz DOT graph.
void write_dot(const Topology& t, std::ostream& out);

// The route between two regions as the list of region hops (shortest total rtt over the declared
// links). Empty when unconnected; {a} when a == b.
std::vector<std::string> region_path(const Topology& t, const std::string& a, const std::string& b);

}  // namespace archsim
