#include "sim/config/validate.hpp"
#include "sim/support/units.hpp"
#include "models/common/kind.hpp"

#include "sim/topology/faults.hpp"
#include "sim/config/yaml_source.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

namespace archsim {
namespace {

struct EdgeInfo {
  std::string label;
  Location loc;
};
using CallGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property, EdgeInfo>;

std::string where(const Topology& t, Location loc) { return t.where(loc); }
[[noreturn]] void fail(const Topology& t, Location loc, const std::string& msg) { t.fail(loc, msg); }

std::vector<std::string> names_of(const Topology& t) {
  std::vector<std::string> v;
  for (const auto& c : t.components) v.push_back(c.name);
  return v;
}

// Component indices by name (Topology::index_of is a linear search, too slow for every edge of a large design).
using Index = std::unordered_map<std::string, int>;
Index index_of(const Topology& t) {
  Index idx;
  for (size_t i = 0; i < t.components.size(); ++i) idx.emplace(t.components[i].name, static_cast<int>(i));
  return idx;
}

// Resolves a reference from `from` to `name`; fails when it names nothing or something that
// cannot be called.
int resolve(const Topology& t, const Index& index, const Component& from, const std::string& name, Location loc,
            const char* role) {
  auto found = index.find(name);
  int idx = found == index.end() ? -1 : found->second;
  if (idx < 0) {
    std::string hint = nearest(name, names_of(t));
    fail(t, loc, fmt::format("{} '{}' of '{}' names no component{}", role, name, from.name,
                             hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
  }
  if (name == from.name) fail(t, loc, fmt::format("'{}' calls itself", from.name));
  const Kind* callee = t.components[static_cast<size_t>(idx)].kind;
  if (callee->traits().client)
    fail(t, loc, fmt::format("{} '{}' of '{}' is a {}; {} only send requests", role, name, from.name, callee->name(),
                             callee->traits().plural));
  return idx;
}

using Edge = DesignEdge;

std::vector<Edge> edges_of(const Topology& t) {
  std::vector<Edge> edges;
  Index index = index_of(t);
  for (size_t i = 0; i < t.components.size(); ++i) {
    const Component& c = t.components[i];
    int from = static_cast<int>(i);
    std::vector<Reference> refs;
    c.kind->references(c, refs);
    for (const auto& r : refs)
      edges.push_back({from, resolve(t, index, c, r.target, r.loc, r.role), r.label, r.loc, r.async, r.store,
                       r.call && r.call->shape == CallSpec::Shape::Fanout ? r.call->fanout : 0});
  }
  return edges;
}

struct CycleFinder : public boost::default_dfs_visitor {
  const Topology* t;
  const CallGraph* g;
  template <class E, class G>
  void back_edge(E e, const G&) const {
    const EdgeInfo& info = (*g)[e];
    auto s = boost::source(e, *g), d = boost::target(e, *g);
    fail(*t, info.loc,
         fmt::format("call cycle: '{}' calls '{}', which leads back to '{}'; requests would never finish",
                     t->components[s].name, t->components[d].name, t->components[s].name));
  }
};

// "a cache, a database or a service": the kinds that may hold a rate limit's counters.
std::string counter_stores() {
  std::vector<std::string> names;
  for (const Kind* k : kinds())
    if (k->traits().counter_store) names.push_back(fmt::format("a {}", k->name()));
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

// Queues are reached by enqueueing (`{enqueue: topic}`), and only queues can be; a rate limit's
// store holds counters, so it is a cache, a database or a service.
void check_edge_calls(const Topology& t, const std::vector<Edge>& edges) {
  for (const auto& e : edges) {
    const Component& from = t.components[static_cast<size_t>(e.from)];
    const Component& to = t.components[static_cast<size_t>(e.to)];
    bool is_queue = to.kind->traits().accepts_enqueue;
    if (e.store) {
      if (!to.kind->traits().counter_store)
        fail(t, e.loc, fmt::format("store '{}' of '{}' is a {}; a rate limit keeps its counters in {} (e.g. Redis)",
                                   to.name, from.name, to.kind->name(), counter_stores()));
    } else if (e.async && !is_queue) {
      fail(t, e.loc, fmt::format("'{}' enqueues to '{}', which is a {}, not a queue", from.name, to.name, to.kind->name()));
    } else if (!e.async && is_queue && !from.kind->traits().client) {
      fail(t, e.loc, fmt::format("'{}' calls the queue '{}'; write {{enqueue: {}}} to add a message to it", from.name,
                                 to.name, to.name));
    }
  }
}

}  // namespace

std::vector<DesignEdge> design_edges(const Topology& t) { return edges_of(t); }

std::vector<std::string> region_path(const Topology& t, const std::string& a, const std::string& b) {
  if (a == b) return {a};
  using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                                  boost::property<boost::edge_weight_t, double>>;
  auto idx = [&](const std::string& r) {
    return static_cast<size_t>(std::find(t.regions.begin(), t.regions.end(), r) - t.regions.begin());
  };
  G g(t.regions.size());
  for (const auto& l : t.network.links) boost::add_edge(idx(l.a), idx(l.b), l.rtt, g);
  std::vector<size_t> pred(t.regions.size());
  std::vector<double> dist(t.regions.size());
  boost::dijkstra_shortest_paths(g, idx(a), boost::predecessor_map(pred.data()).distance_map(dist.data()));
  size_t cur = idx(b);
  if (pred[cur] == cur) return {};
  std::vector<std::string> path;
  while (cur != idx(a)) {
    path.push_back(t.regions[cur]);
    cur = pred[cur];
  }
  path.push_back(a);
  std::reverse(path.begin(), path.end());
  return path;
}

// A measured RTT table need not obey the triangle inequality; archsim routes every region pair by
// the lowest summed RTT, so a direct link slower than a path through other regions carries none of
// that pair's traffic. Said, so the user knows which latency the run uses.
// A timeout below the network's round trip to what it waits for: every attempt times out before
// any answer can arrive (warned, not refused: a what-if may mean it).
static void warn_impossible_timeouts(const Topology& t, std::vector<std::string>& warnings) {
  auto rtt = [&](const std::string& a, const Component* to) {  // to its nearest node
    if (!to) return t.network.intra_region_rtt;
    double best = INFINITY;
    int64_t n = std::min<int64_t>(to->kind->nodes(*to), 1000);
    for (int64_t i = 0; i < n; ++i) {
      const std::string& b = to->kind->node_region(*to, static_cast<size_t>(i));
      best = std::min(best, a == b ? t.network.intra_region_rtt : t.region_rtt(a, b));
    }
    return std::isfinite(best) ? best : t.network.intra_region_rtt;
  };
  auto warn = [&](Location loc, const std::string& what, double timeout, const std::string& target, double r) {
    warnings.push_back(fmt::format("{}: warning: {} ({}) is below the round trip to '{}' ({}): every attempt times out "
                                   "before an answer can arrive; make it longer than the round trip plus the work",
                                   where(t, loc), what, format_duration(timeout), target, format_duration(r)));
  };
  for (const auto& c : t.components) {
    if (c.kind->traits().client && c.timeout > 0 && !c.target.empty()) {
      double r = rtt(c.region, t.find(c.target));
      if (c.timeout < r) warn(c.loc, fmt::format("the timeout of '{}'", c.name), c.timeout, c.target, r);
    }
    for (const auto& [type, list] : c.calls)
      for (const auto& call : list) {
        if (call.policy.timeout <= 0 || call.targets.empty()) continue;
        double r = rtt(c.region, t.find(call.targets[0]));
        if (call.policy.timeout < r)
          warn(call.loc.line ? call.loc : c.loc, fmt::format("the timeout of '{}' calling it", c.name), call.policy.timeout,
               call.targets[0], r);
      }
  }
}

static void warn_slow_direct_links(const Topology& t, std::vector<std::string>& warnings) {
  for (const auto& l : t.network.links) {
    std::vector<std::string> path = region_path(t, l.a, l.b);
    if (path.size() <= 2) continue;
    double rtt = 0;
    for (size_t i = 0; i + 1 < path.size(); ++i)
      for (const auto& x : t.network.links)
        if ((x.a == path[i] && x.b == path[i + 1]) || (x.b == path[i] && x.a == path[i + 1])) {
          rtt += x.rtt;
          break;
        }
    std::string via;
    for (size_t i = 0; i < path.size(); ++i) via += (i ? " -> " : "") + path[i];
    warnings.push_back(fmt::format(
        "{}: warning: the link {}<->{} (rtt {}) is slower than the path {} ({}); archsim routes by the lowest "
        "round trip, so traffic between {} and {} takes that path and this link carries none of it; check the "
        "table: a direct round trip above a detour's usually means a congested or mis-measured path",
        where(t, l.loc), l.a, l.b, format_duration(l.rtt), via, format_duration(rtt), l.a, l.b));
  }
}

// A cache_aside cache relies on its caller to read the backend and fill it, which only a service
// does (models/service/service.cpp), one call at a time.
static void validate_caches(const Topology& t) {
  for (const auto& c : t.components) {
    auto aside = [&](const std::string& name) {
      const Component* x = t.find(name);
      return x && x->kind->aside_backend(*x) != nullptr;
    };
    auto why = [&](const std::string& name) {
      return fmt::format("'{}' is a cache_aside cache: a service must call it (the service reads the backend on a miss "
                         "and fills the cache); use write_policy: read_through to call it from a {}",
                         name, c.kind->name());
    };
    std::vector<Reference> refs;
    c.kind->references(c, refs);
    for (const auto& r : refs)
      if (!r.call && !r.store && aside(r.target)) fail(t, r.loc, why(r.target));
    for (const auto& [type, list] : c.calls)
      for (const auto& call : list)
        if (call.shape != CallSpec::Shape::Single)
          for (size_t i = 0; i < call.targets.size(); ++i)
            if (aside(call.targets[i]))
              fail(t, call.target_locs[i],
                   fmt::format("'{}' is a cache_aside cache: call it on its own (not in a parallel group or fan-out), so "
                               "a miss can be followed by the backend read and the fill",
                               call.targets[i]));
  }
}

std::vector<std::string> validate_topology(const Topology& t) {
  std::vector<std::string> warnings;
  bool has_client = false;
  for (const auto& c : t.components) has_client |= c.kind->traits().client || c.kind->traits().own_workload;
  if (!has_client) fail(t, {}, "the topology has no component of kind client, so nothing sends requests");

  std::set<std::string> types;
  for (const auto& c : t.components)
    if (c.kind->traits().client)
      for (const auto& r : c.requests) types.insert(r.name);

  std::vector<Edge> edges = edges_of(t);
  CallGraph g(t.components.size());
  for (const auto& e : edges) boost::add_edge(static_cast<size_t>(e.from), static_cast<size_t>(e.to), EdgeInfo{e.label, e.loc}, g);

  // Calls keyed by a request type that no client sends are a typo.
  std::vector<std::string> type_list(types.begin(), types.end());
  for (const auto& c : t.components)
    for (const auto& [type, list] : c.calls)
      if (type != "*" && !types.count(type)) {
        std::string hint = nearest(type, type_list);
        Location loc = list.empty() ? c.loc : list.front().loc;
        fail(t, loc, fmt::format("calls of '{}' for request type '{}', which no client sends{}", c.name, type,
                                 hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
      }

  // Fan-out wider than the target.
  Index index = index_of(t);
  for (const auto& c : t.components)
    for (const auto& [type, list] : c.calls)
      for (const auto& call : list)
        if (call.shape == CallSpec::Shape::Fanout && call.fanout > 0) {
          const Component* target = &t.components[static_cast<size_t>(index.at(call.targets[0]))];
          if (call.fanout > target->replicas)
            fail(t, call.loc, fmt::format("fanout {} to '{}' exceeds its {} replicas", call.fanout, target->name,
                                          target->replicas));
        }

  // Failover needs retries to fail over with, and a target with replicas in other regions.
  for (const auto& c : t.components)
    for (const auto& [type, list] : c.calls)
      for (const auto& call : list) {
        if (!call.policy.failover || call.targets.empty()) continue;
        const Component* target = &t.components[static_cast<size_t>(index.at(call.targets[0]))];
        if (!call.policy.retries())
          fail(t, call.loc, fmt::format("'{}' calls '{}' with failover: true but no retries: failover sends the retries "
                                        "to another region; add retries: {{max: 2}}",
                                        c.name, target->name));
        bool elsewhere = false;
        if (target->kind->name() == std::string("replicated_store"))
          for (const auto& r : target->store.placement) elsewhere = elsewhere || r != c.region;
        if (!elsewhere)
          fail(t, call.loc, fmt::format("'{}' calls '{}' with failover: true, but '{}' has no replica outside {}'s region "
                                        "({}) to fail over to: failover applies to a replicated_store with replicas in other "
                                        "regions; remove it, or place the target's replicas in several regions",
                                        c.name, target->name, target->name, c.name, c.region));
      }

  // A directory-sharded component is reached only through its directory: every request pays the lookup.
  for (const auto& c : t.components) {
    if (c.shards <= 0 || c.sharding.strategy != ShardStrategy::Directory) continue;
    auto found = index.find(c.sharding.directory);
    if (found == index.end()) {
      std::string hint = nearest(c.sharding.directory, names_of(t));
      fail(t, c.sharding_loc, fmt::format("the directory '{}' of '{}' names no component{}", c.sharding.directory, c.name,
                                          hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
    }
    const Component& dir = t.components[static_cast<size_t>(found->second)];
    if (!dir.kind->traits().directory)
      fail(t, c.sharding_loc, fmt::format("the directory '{}' of '{}' must be a service (the lookup, with its own "
                                          "latency, capacity and failures) that calls '{}'",
                                          dir.name, c.name, c.name));
    bool dir_calls = false;
    for (const auto& e : edges) {
      if (e.to != index.at(c.name)) continue;
      if (e.from == found->second) dir_calls = true;
      else
        fail(t, e.loc, fmt::format("'{}' calls '{}' directly, but '{}' finds its shards through the directory '{}'; "
                                   "call '{}' instead, so that every request pays the lookup",
                                   t.components[static_cast<size_t>(e.from)].name, c.name, c.name, dir.name, dir.name));
    }
    if (!dir_calls)
      fail(t, c.sharding_loc, fmt::format("the directory '{}' of '{}' must call '{}' (add `calls: [{}]` to it)", dir.name,
                                          c.name, c.name, c.name));
  }

  check_edge_calls(t, edges);
  CallGraph sync(t.components.size());
  for (const auto& e : edges)
    if (!e.async) boost::add_edge(static_cast<size_t>(e.from), static_cast<size_t>(e.to), EdgeInfo{e.label, e.loc}, sync);
  CycleFinder finder;
  finder.t = &t;
  finder.g = &sync;
  std::vector<boost::default_color_type> colors(t.components.size());
  boost::depth_first_search(sync, boost::visitor(finder).color_map(colors.data()));

  // Every caller must be able to reach its callee's region.
  for (const auto& e : edges) {
    const Component& a = t.components[static_cast<size_t>(e.from)];
    const Component& b = t.components[static_cast<size_t>(e.to)];
    if (region_path(t, a.region, b.region).empty())
      fail(t, e.loc, fmt::format("'{}' (region {}) calls '{}' (region {}), but no network link joins the two regions; "
                                 "add one under network.links",
                                 a.name, a.region, b.name, b.region));
  }

  // Reachability from the clients.
  std::vector<bool> reached(t.components.size(), false);
  std::vector<size_t> stack;
  for (size_t i = 0; i < t.components.size(); ++i)
    if (t.components[i].kind->traits().client) {
      reached[i] = true;
      stack.push_back(i);
    }
  while (!stack.empty()) {
    size_t v = stack.back();
    stack.pop_back();
    for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) {
      size_t w = boost::target(*it, g);
      if (!reached[w]) {
        reached[w] = true;
        stack.push_back(w);
      }
    }
  }
  for (const auto& c : t.components) c.kind->check(t, c, warnings);
  validate_caches(t);
  validate_faults(t);
  warn_slow_direct_links(t, warnings);
  warn_impossible_timeouts(t, warnings);

  for (size_t i = 0; i < t.components.size(); ++i)
    if (!reached[i] && !t.components[i].kind->traits().own_workload)
      warnings.push_back(fmt::format("{}: warning: no client can reach '{}'; it will receive no requests",
                                     where(t, t.components[i].loc), t.components[i].name));
  return warnings;
}


}  // namespace archsim
