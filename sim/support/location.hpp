// Where a value came from (file:line:col), and the error that bad input raises. Plain types, so
// that what a file fills (a model's parameters, a fault) can say where it was written without
// knowing how the file is read.
#pragma once

#include <stdexcept>
#include <string>

namespace archsim {

// Bad input. `what()` is the full one-line message: "file:line:col: error: ...".
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& full) : std::runtime_error(full) {}
};

struct Location {
  int line = 0;  // 1-based; 0 when unknown
  int col = 0;
  // Which source wrote it: 0 the file loaded, k > 0 the k-th other origin of the document (a file
  // it extends, or a `--set` override), in the order the loader met them (Topology::origins).
  int file = 0;
};

// "name:line:col", or the name alone when the line is unknown or the name is an override
// ("--set path=value", which has no lines of its own).
inline std::string format_where(const std::string& name, Location loc) {
  if (loc.line == 0 || name.rfind("--set ", 0) == 0) return name;
  return name + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

}  // namespace archsim
