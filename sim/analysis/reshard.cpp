#include "sim/analysis/reshard.hpp"
#include "models/common/kind.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/support/units.hpp"
#include "sim/support/location.hpp"
#include "sim/support/text.hpp"

namespace archsim {
namespace {
std::string format_size(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (bytes >= 1000 && u < 5) {
    bytes /= 1000;
    ++u;
  }
  if (u == 0) return fmt::format("{:.0f} {}", bytes, units[u]);
  return fmt::format("{:.2f} {}", bytes, units[u]);
}
}  // namespace

ReshardReport reshard_component(const Topology& t, const std::string& component, int64_t to, double value_bytes) {
  const Component* c = t.find(component);
  if (!c) {
    std::vector<std::string> names;
    for (const auto& x : t.components)
      if (x.kind->traits().by_key) names.push_back(x.name);
    std::string hint = nearest(component, names);
    throw ConfigError(fmt::format("{}: error: --component '{}' names no component{}", t.file, component,
                                  hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
  }
  if (!c->kind->traits().by_key)
    throw ConfigError(fmt::format("{}: error: '{}' is a {}; only {} hold keys to reshard", t.file,
                                  component, c->kind->name(), kinds_with(&KindTraits::by_key)));
  if (to < 1 || to > 100000)
    throw ConfigError(fmt::format("{}: error: --to must be between 1 and 100000, got {}", t.file, to));
  uint64_t keys = 0;
  for (const auto& x : t.components)
    if (x.kind->traits().client)
      for (const auto& rt : x.requests) keys = std::max(keys, rt.keys.count());
  int64_t from = c->shards > 0 ? c->shards : c->replicas;
  return reshard(component, c->sharding, from, to, keys, value_bytes > 0 ? value_bytes : 1024);
}

std::string reshard_text(const ReshardReport& r) {
  std::string out = fmt::format("{}: {} -> {} shards (now {}), {} keys{}, values of {}\n\n", r.component, r.from, r.to,
                                r.current_strategy, r.key_space,
                                r.placed < r.key_space ? fmt::format(" ({} placed, evenly sampled)", r.placed) : "",
                                format_size(r.value_bytes));
  out += fmt::format("{:<16} {:>12} {:>9} {:>9}  {:<40} {:>12}\n", "strategy", "keys moved", "moved", "expected",
                     "(expected from)", "bytes moved");
  for (const auto& row : r.rows)
    out += fmt::format("{:<16} {:>12} {:>8.1f}% {:>9}  {:<40} {:>12}\n", to_string(row.strategy), row.moved,
                       100 * row.fraction, row.expected >= 0 ? fmt::format("{:.1f}%", 100 * row.expected) : "-",
                       row.expected_note, format_size(row.bytes_moved));
  out += "\nMeasured by placing every key under both shard counts. mod-N moves about N/(N+1) of the keys when a "
         "shard is added; consistent hashing and a directory about 1/(N+1); a range split moves half of one range.\n";
  return out;
}

nlohmann::ordered_json reshard_json(const ReshardReport& r) {
  nlohmann::ordered_json j;
  j["component"] = r.component;
  j["current_strategy"] = r.current_strategy;
  j["from"] = r.from;
  j["to"] = r.to;
  j["key_space"] = r.key_space;
  j["keys_placed"] = r.placed;
  j["value_bytes"] = r.value_bytes;
  nlohmann::ordered_json rows = nlohmann::ordered_json::object();
  for (const auto& row : r.rows)
    rows[to_string(row.strategy)] = {{"keys_moved", row.moved},
                                     {"fraction_moved", row.fraction},
                                     {"expected_fraction", row.expected >= 0 ? nlohmann::json(row.expected) : nlohmann::json(nullptr)},
                                     {"expected_from", row.expected_note},
                                     {"bytes_moved", row.bytes_moved}};
  j["strategies"] = rows;
  return j;
}

}  // namespace archsim
