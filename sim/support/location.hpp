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
};

}  // namespace archsim
