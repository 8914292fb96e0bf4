#include "sim/topology/topology.hpp"

#include <fmt/format.h>

namespace archsim {

const Component* Topology::find(const std::string& n) const {
  for (const auto& c : components)
    if (c.name == n) return &c;
  return nullptr;
}

int Topology::index_of(const std::string& n) const {
  for (size_t i = 0; i < components.size(); ++i)
    if (components[i].name == n) return static_cast<int>(i);
  return -1;
}

std::string Topology::where(Location loc) const {
  if (loc.line == 0) return file;
  return fmt::format("{}:{}:{}", file, loc.line, loc.col);
}

void Topology::fail(Location loc, const std::string& message) const {
  throw ConfigError(fmt::format("{}: error: {}", where(loc), message));
}

}  // namespace archsim
