#include "sim/faults.hpp"

#include <fmt/format.h>

#include "sim/topology.hpp"
#include "sim/units.hpp"

namespace archsim {

const char* to_string(Fault::Kind k) {
  switch (k) {
    case Fault::Kind::Crash:
      return "crash";
  }
  return "?";
}

std::vector<Fault> load_faults(const Source& src, const YAML::Node& node, const LatencyTable& latency) {
  if (!node.IsSequence())
    src.fail(node, "faults must be a list, e.g. [{crash: cache/0, at: 5s, for: 10s}]");
  std::vector<Fault> out;
  for (const auto& n : node) {
    MapReader m(src, n, "a fault", {"crash", "at", "for"});
    Fault f;
    f.loc = src.location(n);
    if (!m.has("crash")) src.fail(n, "a fault needs its kind and target; known kinds: crash (e.g. crash: cache/0)");
    f.kind = Fault::Kind::Crash;
    std::string target = read_string(src, m.get("crash"), "crash");
    f.target_loc = src.location(m.get("crash"));
    auto slash = target.find('/');
    f.component = target.substr(0, slash);
    if (slash != std::string::npos) {
      std::string rep = target.substr(slash + 1);
      bool digits = !rep.empty() && rep.size() < 10 && rep.find_first_not_of("0123456789") == std::string::npos;
      if (!digits)
        src.fail(m.get("crash"), fmt::format("'{}' must be a component name, or name/replica with a replica number "
                                             "such as cache/0",
                                             target));
      f.replica = std::stoll(rep);
    }
    if (f.component.empty()) src.fail(m.get("crash"), "crash must name a component, e.g. crash: cache/0");
    f.at = read_duration(src, m.require("at"), latency, "at");
    if (m.has("for")) f.duration = read_duration(src, m.get("for"), latency, "for", false);
    out.push_back(f);
  }
  return out;
}

void validate_faults(const Topology& t) {
  auto fail = [&](Location loc, const std::string& msg) {
    throw ConfigError(fmt::format("{}:{}:{}: error: {}", t.file, loc.line, loc.col, msg));
  };
  for (const auto& f : t.faults) {
    const Component* c = t.find(f.component);
    if (!c) {
      std::vector<std::string> names;
      for (const auto& x : t.components) names.push_back(x.name);
      std::string hint = nearest(f.component, names);
      fail(f.target_loc, fmt::format("{} names no component '{}'{}", to_string(f.kind), f.component,
                                     hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
    }
    if (c->kind != ComponentKind::Service && c->kind != ComponentKind::Cache && c->kind != ComponentKind::Database &&
        c->kind != ComponentKind::ReplicatedStore)
      fail(f.target_loc, fmt::format("'{}' is a {}; only services, caches, databases and replicated stores can crash", c->name,
                                     to_string(c->kind)));
    if (f.replica >= c->replicas)
      fail(f.target_loc, fmt::format("'{}' has {} replica{} (0..{}), so there is no replica {}", c->name, c->replicas,
                                     c->replicas == 1 ? "" : "s", c->replicas - 1, f.replica));
    if (f.at >= t.run.duration)
      fail(f.loc, fmt::format("the fault starts at {}, after the run ends ({})", format_duration(f.at),
                              format_duration(t.run.duration)));
  }
}

}  // namespace archsim
