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

// One arrow of the design: a call, an enqueue, a cache's miss path, a counter store, dead letters.
// Indexes are into t.components. REQUIRES: the topology validated (every target resolves).
struct DesignEdge {
  int from, to;
  std::string label;   // "miss", "enqueue", "dead letters", "store", a request type, or ""
  Location loc;
  bool async = false;  // an enqueue: the caller does not wait for the work, so it closes no call cycle
  bool store = false;  // a rate limit's counter store
  int64_t fanout = 0;  // a fan-out call: the replicas called (-1 = all); 0 = not a fan-out
};
std::vector<DesignEdge> design_edges(const Topology& t);

// The route between two regions as the list of region hops (shortest total rtt over the declared
// links). Empty when unconnected; {a} when a == b.
std::vector<std::string> region_path(const Topology& t, const std::string& a, const std::string& b);

}  // namespace archsim
