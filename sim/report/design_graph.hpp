// The design as a picture: a Graphviz DOT graph (topology.dot, `archsim graph`) that `dot` draws
// as SVG (`archsim graph --svg`, the run report).
//
// Regions are clusters; a component whose nodes sit in several regions (a replicated store) has a
// part in each, joined by dashed "replication" edges. A node says its kind and replica count; an
// edge says what it carries (a request type, "enqueue", "miss", "dead letters", "store", "fan-out
// x10"), parallel edges merged. The faults the topology declares are drawn on what they hit. After
// a run, each component is filled by its busiest resource's utilization and the bottleneck is
// outlined; the legend says so.
#pragma once

#include <map>
#include <ostream>
#include <string>

#include "sim/topology/topology.hpp"

namespace archsim {

struct RunResult;

// What a run adds to the picture.
struct DesignOverlay {
  struct Load {
    double utilization = 0;  // the busiest of cpu, io, workers and network
    std::string resource;    // which one
  };
  std::map<std::string, Load> load;  // by component name
  std::string bottleneck, bottleneck_resource;  // "" when none
};
DesignOverlay design_overlay(const RunResult& r);

// REQUIRES: `t` validated. `overlay` may be null (the design alone).
void write_design_dot(const Topology& t, const DesignOverlay* overlay, std::ostream& out);

// Draws `dot_text` as SVG into `svg_path` with Graphviz's `dot`. Throws std::runtime_error saying
// what is missing or what `dot` said.
void draw_svg(const std::string& dot_text, const std::string& svg_path);

}  // namespace archsim
