#include "sim/config/faults_loader.hpp"
#include "sim/topology/faults.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/topology/topology.hpp"
#include "models/common/kind.hpp"
#include "sim/support/units.hpp"

namespace archsim {

namespace {

constexpr const char* kKinds[] = {"crash", "partition", "link_down", "slow", "disk_full", "region_down", "spike"};

// `comp` or `comp/N` into the fault's component and replica.
void read_component_target(const Source& src, const YAML::Node& node, const std::string& what, Fault& f) {
  std::string target = read_string(src, node, what);
  f.target_loc = src.location(node);
  auto slash = target.find('/');
  f.component = target.substr(0, slash);
  if (slash != std::string::npos) {
    std::string rep = target.substr(slash + 1);
    bool digits = !rep.empty() && rep.size() < 10 && rep.find_first_not_of("0123456789") == std::string::npos;
    if (!digits)
      src.fail(node, fmt::format("'{}' must be a component name, or name/replica with a replica number such as cache/0",
                                 target));
    f.replica = std::stoll(rep);
  }
  if (f.component.empty()) src.fail(node, fmt::format("{} must name a component, e.g. {}: cache/0", what, what));
}

// `[a, b]`: a region link by its two regions.
void read_link(const Source& src, const YAML::Node& node, const std::string& what, Fault& f) {
  if (!node.IsSequence() || node.size() != 2)
    src.fail(node, fmt::format("{} must name the two regions of a link, e.g. [us-east, eu-west]", what));
  f.link_a = read_string(src, node[0], what);
  f.link_b = read_string(src, node[1], what);
  if (f.link_a == f.link_b) src.fail(node, fmt::format("{} must name two different regions", what));
  f.target_loc = src.location(node);
}

// A latency to add: a duration or latency-table entry, optionally written with a leading '+'.
double read_added_latency(const Source& src, const YAML::Node& node, const LatencyTable& table) {
  std::string s = read_string(src, node, "latency");
  std::string body = !s.empty() && s[0] == '+' ? s.substr(1) : s;
  if (auto named = table.lookup(body)) return *named;
  std::string why;
  auto d = parse_duration(body, &why);
  if (!d) src.fail(node, fmt::format("latency: {} (write the added delay, e.g. +200ms)", why));
  if (*d <= 0) src.fail(node, "latency must be greater than zero (the delay the fault adds, e.g. +200ms)");
  return *d;
}

void read_partition(const Source& src, const YAML::Node& node, Fault& f) {
  const char* example = "partition must be a list of region groups, e.g. [[us-east], [eu-west, ap-south]]";
  if (!node.IsSequence()) src.fail(node, example);
  f.target_loc = src.location(node);
  for (const auto& g : node) {
    if (!g.IsSequence() && !g.IsScalar()) src.fail(g, example);
    auto group = read_string_list(src, g, "a partition group");
    for (size_t i = 0; i < group.size(); ++i) {
      for (size_t k = 0; k < f.groups.size(); ++k)
        if (std::find(f.groups[k].begin(), f.groups[k].end(), group[i]) != f.groups[k].end())
          src.fail(g.IsSequence() ? g[i] : g,
                   fmt::format("region '{}' is in two groups of the partition (groups 1 and {}); a region is on one "
                               "side of a partition only",
                               group[i], f.groups.size() + 1));
      if (std::count(group.begin(), group.end(), group[i]) > 1)
        src.fail(g.IsSequence() ? g[i] : g, fmt::format("region '{}' is listed twice in the group", group[i]));
    }
    if (group.empty()) continue;
    f.groups.push_back(group);
    f.group_locs.push_back(src.location(g));
  }
  if (f.groups.size() < 2)
    src.fail(node, fmt::format("a partition needs at least two non-empty groups of regions, e.g. [[us-east], [eu-west]]; "
                               "this one has {}",
                               f.groups.size()));
}

void read_slow(const Source& src, const YAML::Node& node, const LatencyTable& table, Fault& f) {
  MapReader m(src, node, "a slow fault", {"component", "link", "factor", "latency"});
  if (m.has("component") == m.has("link"))
    src.fail(node, "slow needs either component: (a component or replica) or link: (two regions), e.g. "
                   "{component: app, factor: 10}");
  if (m.has("component")) read_component_target(src, m.get("component"), "component", f);
  else read_link(src, m.get("link"), "link", f);
  if (!m.has("factor") && !m.has("latency"))
    src.fail(node, "slow needs factor: (service times or link latency multiplied, e.g. 10) or latency: (added, e.g. "
                   "+200ms), or both");
  if (m.has("factor")) {
    f.factor = read_number(src, m.get("factor"), "factor", 0, 1e9);
    if (f.factor < 1) src.fail(m.get("factor"), "factor must be at least 1: a slow fault makes things slower");
  }
  if (m.has("latency")) f.latency = read_added_latency(src, m.get("latency"), table);
}

// `{client: users, factor: 3}`: the client sends at three times its rate while the fault holds.
void read_spike(const Source& src, const YAML::Node& node, Fault& f) {
  MapReader m(src, node, "a spike", {"client", "factor"});
  f.component = read_string(src, m.require("client"), "client");
  f.target_loc = src.location(m.get("client"));
  f.factor = read_number(src, m.require("factor"), "factor", 0, 1e6);
  if (f.factor <= 1) src.fail(m.get("factor"), "factor must be above 1: a spike sends more than the client's rate");
}

std::string join_names(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

const char* to_string(Fault::Kind k) {
  switch (k) {
    case Fault::Kind::Crash: return "crash";
    case Fault::Kind::Partition: return "partition";
    case Fault::Kind::LinkDown: return "link_down";
    case Fault::Kind::Slow: return "slow";
    case Fault::Kind::DiskFull: return "disk_full";
    case Fault::Kind::RegionDown: return "region_down";
    case Fault::Kind::Spike: return "spike";
  }
  return "?";
}

std::string Fault::target() const {
  if (kind == Kind::Partition) {
    std::vector<std::string> parts;
    for (const auto& g : groups) parts.push_back(join_names(g, "+"));
    return join_names(parts, " | ");
  }
  if (kind == Kind::RegionDown) return region;
  if (!link_a.empty()) return link_a + "<->" + link_b;
  return replica < 0 ? component : fmt::format("{}/{}", component, replica);
}

std::string Fault::name() const {
  std::string n = fmt::format("{} {}", to_string(kind), target());
  if (kind == Kind::Spike) n += fmt::format(" x{:g}", factor);
  if (kind == Kind::Slow) {
    if (factor != 1) n += fmt::format(" x{:g}", factor);
    if (latency > 0) n += " +" + format_duration(latency);
  }
  return n;
}

std::vector<Fault> load_faults(const Source& src, const YAML::Node& node, const LatencyTable& latency) {
  if (!node.IsSequence())
    src.fail(node, "faults must be a list, e.g. [{crash: cache/0, at: 5s, for: 10s}]");
  std::vector<Fault> out;
  for (const auto& n : node) {
    MapReader m(src, n, "a fault", {"crash", "partition", "link_down", "slow", "disk_full", "region_down", "spike", "at", "for", "until",
                                        "mtbf", "mttr"});
    Fault f;
    f.loc = src.location(n);
    std::string kind;
    for (const char* k : kKinds)
      if (m.has(k)) {
        if (!kind.empty())
          src.fail(m.get(k), fmt::format("a fault has one kind; this one has both {} and {} (write two entries)", kind, k));
        kind = k;
      }
    if (kind.empty())
      src.fail(n, "a fault needs its kind and target; known kinds: crash, partition, link_down, slow, disk_full, "
                  "region_down, spike "
                  "(e.g. crash: cache/0)");
    YAML::Node v = m.get(kind);
    if (kind == "crash") {
      f.kind = Fault::Kind::Crash;
      read_component_target(src, v, "crash", f);
    } else if (kind == "disk_full") {
      f.kind = Fault::Kind::DiskFull;
      read_component_target(src, v, "disk_full", f);
    } else if (kind == "partition") {
      f.kind = Fault::Kind::Partition;
      read_partition(src, v, f);
    } else if (kind == "region_down") {
      f.kind = Fault::Kind::RegionDown;
      f.region = read_string(src, v, "region_down");
      f.target_loc = src.location(v);
    } else if (kind == "spike") {
      f.kind = Fault::Kind::Spike;
      read_spike(src, v, f);
    } else if (kind == "link_down") {
      f.kind = Fault::Kind::LinkDown;
      read_link(src, v, "link_down", f);
    } else {
      f.kind = Fault::Kind::Slow;
      read_slow(src, v, latency, f);
    }
    f.at = read_duration(src, m.require("at"), latency, "at");
    f.at_loc = src.location(m.get("at"));
    if (m.has("for") && m.has("until"))
      src.fail(m.get("until"), "give either for: (how long) or until: (when it ends), not both");
    if (m.has("for")) f.duration = read_duration(src, m.get("for"), latency, "for", false);
    if (m.has("until")) {
      double until = read_duration(src, m.get("until"), latency, "until");
      if (until <= f.at)
        src.fail(m.get("until"), fmt::format("until ({}) must be after at ({}); to last to the end of the run, leave "
                                             "both for and until out",
                                             format_duration(until), format_duration(f.at)));
      f.duration = until - f.at;
    }
    if (m.has("mtbf") != m.has("mttr"))
      src.fail(m.has("mtbf") ? m.get("mtbf") : m.get("mttr"),
               "give mtbf (how often it happens) and mttr (how long it lasts) together, e.g. mtbf: 365d, mttr: 6h");
    if (m.has("mtbf")) {
      f.mtbf = read_duration(src, m.get("mtbf"), latency, "mtbf", false);
      f.mttr = read_duration(src, m.get("mttr"), latency, "mttr", false);
      if (f.mttr >= f.mtbf)
        src.fail(m.get("mttr"), fmt::format("mttr ({}) must be shorter than mtbf ({}): the time between failures "
                                            "includes the repair",
                                            format_duration(f.mttr), format_duration(f.mtbf)));
      if (f.duration < 0)
        src.fail(m.get("mtbf"), "a fault with mtbf needs an end (for: or until:) before the run ends, so that the run "
                                "measures its recovery");
    }
    out.push_back(f);
  }
  return out;
}

namespace {

// The region links (indices into t.network.links) a link fault turns off or slows down.
std::vector<size_t> links_of(const Topology& t, const Fault& f) {
  std::vector<size_t> out;
  auto group_of = [&](const std::string& r) -> int {
    for (size_t g = 0; g < f.groups.size(); ++g)
      if (std::find(f.groups[g].begin(), f.groups[g].end(), r) != f.groups[g].end()) return static_cast<int>(g);
    return -1;
  };
  for (size_t i = 0; i < t.network.links.size(); ++i) {
    const auto& l = t.network.links[i];
    if (f.kind == Fault::Kind::Partition) {
      int ga = group_of(l.a), gb = group_of(l.b);
      if (ga >= 0 && gb >= 0 && ga != gb) out.push_back(i);
    } else if ((l.a == f.link_a && l.b == f.link_b) || (l.a == f.link_b && l.b == f.link_a)) {
      out.push_back(i);
    }
  }
  return out;
}

}  // namespace

std::vector<size_t> fault_links(const Topology& t, const Fault& f) { return links_of(t, f); }

std::vector<std::pair<const Component*, size_t>> region_nodes(const Topology& t, const std::string& region) {
  std::vector<std::pair<const Component*, size_t>> out;
  for (const auto& c : t.components) {
    const KindTraits& k = c.kind->traits();
    if (!k.can_crash || k.client || k.global) continue;
    for (int64_t i = 0; i < c.kind->nodes(c); ++i)
      if (c.kind->node_region(c, static_cast<size_t>(i)) == region) out.emplace_back(&c, static_cast<size_t>(i));
  }
  return out;
}

void validate_faults(const Topology& t) {
  auto fail = [&](Location loc, const std::string& msg) { t.fail(loc, msg); };
  auto check_region = [&](const std::string& r, Location loc) {
    if (std::find(t.regions.begin(), t.regions.end(), r) != t.regions.end()) return;
    std::string hint = nearest(r, t.regions);
    fail(loc, fmt::format("no region '{}'{}; regions: {}", r, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                          join_names(t.regions, ", ")));
  };
  for (const auto& f : t.faults) {
    if (f.on_link()) {
      if (f.kind == Fault::Kind::Partition) {
        for (size_t g = 0; g < f.groups.size(); ++g)
          for (const auto& r : f.groups[g]) check_region(r, f.group_locs[g]);
      } else {
        check_region(f.link_a, f.target_loc);
        check_region(f.link_b, f.target_loc);
      }
      if (links_of(t, f).empty()) {
        std::vector<std::string> names;
        for (const auto& l : t.network.links) names.push_back(l.a + "<->" + l.b);
        std::string have = names.empty() ? "none (network.links is empty)" : join_names(names, ", ");
        if (f.kind == Fault::Kind::Partition)
          fail(f.target_loc, fmt::format("the partition cuts no region link (links: {}); put the regions of a link in "
                                         "different groups",
                                         have));
        fail(f.target_loc, fmt::format("no region link joins {} and {}; the links are: {}", f.link_a, f.link_b, have));
      }
    } else if (f.kind == Fault::Kind::RegionDown) {
      check_region(f.region, f.target_loc);
      if (region_nodes(t, f.region).empty())
        fail(f.target_loc, fmt::format("region_down takes nothing down in {}: no node of {} runs there; name a region "
                                       "that has some",
                                       f.region, kinds_with(&KindTraits::can_crash)));
    } else {
      const Component* c = t.find(f.component);
      if (!c) {
        std::vector<std::string> names;
        for (const auto& x : t.components) names.push_back(x.name);
        std::string hint = nearest(f.component, names);
        fail(f.target_loc, fmt::format("{} names no component '{}'{}", to_string(f.kind), f.component,
                                       hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
      }
      const KindTraits& k = c->kind->traits();
      if (f.kind == Fault::Kind::Spike &&
          (!k.client || (c->arrival.process != ArrivalSpec::Process::Poisson &&
                         c->arrival.process != ArrivalSpec::Process::Constant)))
        fail(f.target_loc, fmt::format("'{}' is {}; a spike multiplies the rate of a client with a poisson or "
                                       "constant arrival",
                                       c->name, k.client ? "a client without a rate (closed loop or trace)"
                                                         : std::string("a ") + c->kind->name()));
      if (f.kind == Fault::Kind::DiskFull && !k.has_disk)
        fail(f.target_loc, fmt::format("'{}' is a {}; disk_full applies to {} (their writes fail)", c->name,
                                       c->kind->name(), kinds_with(&KindTraits::has_disk)));
      if (f.kind == Fault::Kind::Crash && !k.can_crash)
        fail(f.target_loc, fmt::format("'{}' is a {}; only {} can crash", c->name, c->kind->name(),
                                       kinds_with(&KindTraits::can_crash)));
      if (f.kind == Fault::Kind::Slow && !k.can_slow)
        fail(f.target_loc, fmt::format("'{}' is a {}; only {} can be slowed so far", c->name, c->kind->name(),
                                       kinds_with(&KindTraits::can_slow)));
      if (f.replica >= c->replicas)
        fail(f.target_loc, fmt::format("'{}' has {} replica{} (0..{}), so there is no replica {}", c->name, c->replicas,
                                       c->replicas == 1 ? "" : "s", c->replicas - 1, f.replica));
    }
    if (f.at >= t.run.duration)
      fail(f.loc, fmt::format("the fault starts at {}, after the run ends ({})", format_duration(f.at),
                              format_duration(t.run.duration)));
    if (f.mtbf > 0 && (f.at < t.run.warmup || f.at + f.duration >= t.run.duration))
      fail(f.loc, fmt::format("a fault with mtbf must lie inside the measured window ({} to {}) and end before the run "
                              "does, so that the run measures what one occurrence costs; move at: or for:",
                              format_duration(t.run.warmup), format_duration(t.run.duration)));
  }
  // Two faults of one kind on one target at the same time: which one ends first would be ambiguous.
  const double forever = 1e300;
  for (size_t j = 0; j < t.faults.size(); ++j)
    for (size_t i = 0; i < j; ++i) {
      const Fault& a = t.faults[i];
      const Fault& b = t.faults[j];
      if (a.kind != b.kind || a.on_link() != b.on_link()) continue;
      bool same = false;
      if (a.on_link()) {
        auto la = links_of(t, a), lb = links_of(t, b);
        for (size_t x : la) same = same || std::find(lb.begin(), lb.end(), x) != lb.end();
      } else if (a.kind == Fault::Kind::RegionDown) {
        same = a.region == b.region;
      } else {
        same = a.component == b.component && (a.replica < 0 || b.replica < 0 || a.replica == b.replica);
      }
      if (!same || !(a.at < b.end(forever) && b.at < a.end(forever))) continue;
      fail(b.loc, fmt::format("this {} of {} overlaps the one on line {} ({} to {}); two faults of one kind on one target "
                              "cannot overlap: merge them into one window or move one",
                              to_string(b.kind), b.target(), a.loc.line, format_duration(a.at),
                              a.duration < 0 ? std::string("the end") : format_duration(a.at + a.duration)));
    }
}

}  // namespace archsim
