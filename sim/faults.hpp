// What goes wrong during a run: the `faults:` list at the top level of a topology.
//
// Each entry has a kind, a target, when it starts (`at`) and how long it lasts (`for`; absent =
// until the end). Only `crash: <component>[/<replica>]` exists so far: the replica's process dies,
// its in-memory state (cache contents, unflushed writes) is lost, the requests it held fail (their
// connections break), requests sent to it while it is down are refused and answers to it are lost.
// It restarts empty after `for`. New kinds (partitions, slowdowns, ...) add a Kind and their fields;
// the list, the timing and the loader's shape stay.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/yaml_source.hpp"

namespace archsim {

struct Topology;

struct Fault {
  enum class Kind { Crash };
  Kind kind = Kind::Crash;
  std::string component;  // the target component
  int64_t replica = -1;   // the target replica; -1 = every replica of the component
  double at = 0;          // seconds from the start of the run
  double duration = -1;   // seconds down; -1 = until the end of the run
  Location loc;           // the entry
  Location target_loc;    // its `crash:` value
};

const char* to_string(Fault::Kind k);

// Reads the `faults:` list. Checks the form only; `validate_faults` checks the targets.
std::vector<Fault> load_faults(const Source& src, const YAML::Node& node, const LatencyTable& latency);

// Fails (ConfigError naming file:line:col) when a fault names a component or replica that does not
// exist, or a kind of component that cannot crash yet.
void validate_faults(const Topology& t);

}  // namespace archsim
