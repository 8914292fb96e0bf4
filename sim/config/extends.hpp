// A topology that says `extends: base.yaml` is its base with its own keys merged over it, so that
// a design like another (the same regions and clients with another store, another fault) says only
// how it differs. What it leaves out on purpose: merging lists entry by entry (a list replaces the
// base's list whole, as a scalar does) and extending more than one base.
#pragma once

#include <yaml-cpp/yaml.h>

#include "sim/config/yaml_source.hpp"

namespace archsim {

// The document `root` read from src.path(), with the files it extends (a chain, each path relative
// to the file that names it) merged under it: maps merge key by key, recursively; lists and
// scalars replace; a key given null (`~`, or nothing) removes the base's. The `extends:` keys are
// gone from the result. Each base's nodes are recorded in `src` under its own path, so an error in
// a value a base gave names that file's line. A cycle, a missing base or a base that is not a map
// is a ConfigError at the `extends:` that names it. Returns `root` itself when it extends nothing.
YAML::Node merge_extended(Source& src, YAML::Node root);

// The merged document as a standalone topology file (a comment naming the files it came from).
std::string merged_text(const Source& src, const YAML::Node& root);

}  // namespace archsim
