#include "models/common/kind.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "sim/support/units.hpp"

namespace archsim {

void Kind::references(const Component& c, std::vector<Reference>& out) const {
  for (const auto& [type, list] : c.calls)
    for (const auto& call : list)
      for (size_t k = 0; k < call.targets.size(); ++k) {
        Reference r;
        r.target = call.targets[k];
        r.loc = call.target_locs[k];
        r.role = "call";
        r.label = call.enqueue ? "enqueue" : type == "*" ? "" : type;
        r.async = call.enqueue;
        r.type = type;
        r.call = &call;
        out.push_back(std::move(r));
      }
}

const std::string& Kind::node_region(const Component& c, size_t) const { return c.region; }
int64_t Kind::nodes(const Component& c) const { return traits().single_node ? 1 : c.replicas; }
void Kind::defaults(Component&) const {}
void Kind::check(const Topology&, const Component&, std::vector<std::string>&) const {}
const std::string* Kind::aside_backend(const Component&) const { return nullptr; }
void Kind::reach(const Component&, const std::string&, CallTarget&, BuildContext&) const {}
void Kind::analytic(const Component&, const AnalyticInput&, AnalyticOutput&) const {}
std::vector<SectionValue> Kind::section(const Component&, const ComponentStats&, double) const { return {}; }
double Kind::memory_bytes(const Component&) const { return 0; }

void Kind::background_events(const Topology& t, const Component& c, double, std::vector<BackgroundEvents>& out) const {
  if (!c.health_check.enabled()) return;
  // Every round, each of its nodes probes every node of what it balances over: a probe, its
  // answer and its judging timer, plus the round's own timer.
  std::vector<Reference> refs;
  references(c, refs);
  double probed = 0;
  for (const auto& r : refs)
    if (const Component* target = t.find(r.target); target && r.load) probed += static_cast<double>(target->kind->nodes(*target));
  double rounds = t.run.duration / c.health_check.interval * static_cast<double>(nodes(c));
  out.push_back({fmt::format("health checks every {}", format_duration(c.health_check.interval)), rounds * (1 + 3 * probed)});
}
std::optional<double> Kind::crash_until(const Component&, size_t, double) const { return std::nullopt; }

const Kind* find_kind(const std::string& name) {
  for (const Kind* k : kinds())
    if (name == k->name()) return k;
  return nullptr;
}

std::string kind_names() {
  std::string out;
  for (const Kind* k : kinds()) out += (out.empty() ? "" : ", ") + std::string(k->name());
  return out;
}

std::string kinds_with(bool KindTraits::*trait) {
  std::vector<std::string> names;
  for (const Kind* k : kinds())
    if (k->traits().*trait) names.push_back(k->traits().plural);
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

StationParams station_params(const Component& c) {
  StationParams p;
  p.workers = c.workers;
  p.queue = c.queue;
  p.cores = static_cast<double>(c.cores);
  p.io_parallelism = c.kind->traits().has_disk ? static_cast<double>(c.io_parallelism) : 0;
  return p;
}

}  // namespace archsim
