#include "sim/topology/topology.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

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
  bool other = loc.file > 0 && static_cast<size_t>(loc.file) <= origins.size();
  return format_where(other ? origins[static_cast<size_t>(loc.file) - 1] : file, loc);
}

void Topology::fail(Location loc, const std::string& message) const {
  throw ConfigError(fmt::format("{}: error: {}", where(loc), message));
}

double Topology::region_rtt(const std::string& a, const std::string& b) const {
  if (a == b) return 0;
  // Dijkstra over the region links (a handful of regions: the quadratic form is enough).
  size_t n = regions.size();
  auto idx = [&](const std::string& r) {
    return static_cast<size_t>(std::find(regions.begin(), regions.end(), r) - regions.begin());
  };
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> dist(n, inf);
  std::vector<char> done(n, 0);
  size_t from = idx(a), to = idx(b);
  if (from >= n || to >= n) return inf;
  dist[from] = 0;
  for (size_t step = 0; step < n; ++step) {
    size_t u = n;
    for (size_t i = 0; i < n; ++i)
      if (!done[i] && (u == n || dist[i] < dist[u])) u = i;
    if (u == n || dist[u] == inf) break;
    done[u] = 1;
    for (const auto& l : network.links) {
      size_t x = idx(l.a), y = idx(l.b);
      if (x == u && dist[u] + l.rtt < dist[y]) dist[y] = dist[u] + l.rtt;
      if (y == u && dist[u] + l.rtt < dist[x]) dist[x] = dist[u] + l.rtt;
    }
  }
  return dist[to];
}

}  // namespace archsim
