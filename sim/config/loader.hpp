// Loading a topology file: YAML → Topology, strictly.
//
// Syntax and "is the file well formed" live here: unknown keys, wrong types, missing units, values
// out of range. Whether the design makes sense (references, reachability, cycles) is validate.hpp.
#pragma once

#include <string>
#include <vector>

#include "sim/topology/topology.hpp"

namespace archsim {

// Reads, applies the `--set` overrides, and parses. Throws ConfigError on bad input.
Topology load_topology(const std::string& path, const std::vector<std::string>& overrides = {});
// Parses from text (used by tests and the fuzz target); `path` only names the source in errors.
Topology load_topology_text(const std::string& text, const std::string& path,
                            const std::vector<std::string>& overrides = {});

// The topology document at `path` as it is run: merged with the files it extends and with the
// `--set` overrides applied, written as YAML (a comment first names the file and the overrides).
// Throws ConfigError on bad input.
std::string resolved_topology_text(const std::string& path, const std::vector<std::string>& overrides);

// The scalar at a dotted path of the document as it is run (`components.users.arrival.rate`; a
// list's entries by index), and where it was written ("file:line:col", or the `--set` that wrote
// it). Throws ConfigError when the path names nothing, or a map or a list.
struct ScalarAt {
  std::string text;
  std::string where;
};
ScalarAt topology_scalar(const std::string& path, const std::vector<std::string>& overrides, const std::string& dotted);

// The keys written for `component` in the document as it is run (with the files it extends and
// the overrides), in their order; empty when it has none. Throws ConfigError on bad input.
std::vector<std::string> component_keys(const std::string& path, const std::vector<std::string>& overrides,
                                        const std::string& component);

// How many entries the document's `faults:` has with the overrides applied (0 without it, or when
// the file or an override is bad: loading the topology names that).
size_t count_faults(const std::string& path, const std::vector<std::string>& overrides);

// The names of the readers that read a kind's structured keys (ParamDecl::reader): every name a
// kind declares must be one of them (tests/kinds_test.cpp).
std::vector<std::string> config_readers();

}  // namespace archsim
