// Reading a YAML file strictly, before any of its values is looked at: bounded size, nesting and
// value count, plain UTF-8 text, one document, and yaml-cpp's parse errors turned into a line
// that says what to do. Topology and experiment files both go through here.
#pragma once

#include <cstddef>
#include <string>

#include <yaml-cpp/yaml.h>

#include "sim/config/yaml_source.hpp"

namespace archsim {

// What kind of file is read, for the messages ("a topology is a UTF-8 text file") and its limit.
struct DocumentKind {
  const char* noun;    // "topology"
  const char* a_noun;  // "a topology"
  const char* plural;  // "topologies"
  size_t max_bytes;
  const char* max_text;  // "4 MiB"
};

inline constexpr DocumentKind kTopologyDocument{"topology", "a topology", "topologies", 4 * 1024 * 1024, "4 MiB"};
inline constexpr DocumentKind kExperimentDocument{"experiment", "an experiment", "experiments", 1024 * 1024, "1 MiB"};

// Parses `text` as one YAML document of this kind; throws ConfigError naming src's file:line:col.
YAML::Node parse_yaml(const std::string& text, const Source& src, const DocumentKind& kind);

// Reads the file at `path` (a regular file, a pipe or a device; at most kind.max_bytes) and parses it.
YAML::Node read_yaml_file(const std::string& path, const Source& src, const DocumentKind& kind);

}  // namespace archsim
