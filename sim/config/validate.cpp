#include "sim/config/validate.hpp"

#include "sim/config/faults.hpp"
#include "sim/config/yaml_source.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/graphviz.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>

namespace archsim {
namespace {

struct EdgeInfo {
  std::string label;
  Location loc;
};
using CallGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property, EdgeInfo>;

std::string where(const Topology& t, Location loc) {
  if (loc.line == 0) return t.file;
  return fmt::format("{}:{}:{}", t.file, loc.line, loc.col);
}

[[noreturn]] void fail(const Topology& t, Location loc, const std::string& msg) {
  throw ConfigError(fmt::format("{}: error: {}", where(t, loc), msg));
}

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
  if (t.components[static_cast<size_t>(idx)].kind == ComponentKind::Client)
    fail(t, loc, fmt::format("{} '{}' of '{}' is a client; clients only send requests", role, name, from.name));
  return idx;
}

struct Edge {
  int from, to;
  std::string label;
  Location loc;
  bool async = false;  // an enqueue: the caller does not wait for the work, so it closes no call cycle
  bool store = false;  // a rate limit's counter store
};

std::vector<Edge> edges_of(const Topology& t) {
  std::vector<Edge> edges;
  Index index = index_of(t);
  for (size_t i = 0; i < t.components.size(); ++i) {
    const Component& c = t.components[i];
    int from = static_cast<int>(i);
    switch (c.kind) {
      case ComponentKind::Client:
        edges.push_back({from, resolve(t, index, c, c.target, c.target_loc, "target"), "", c.target_loc});
        break;
      case ComponentKind::LoadBalancer:
        edges.push_back({from, resolve(t, index, c, c.lb_targets, c.lb_targets_loc, "targets"), "", c.lb_targets_loc});
        break;
      case ComponentKind::Cache:
        edges.push_back({from, resolve(t, index, c, c.backend, c.backend_loc, "backend"), "miss", c.backend_loc});
        break;
      case ComponentKind::Service:
      case ComponentKind::Database:
      case ComponentKind::Queue:
      case ComponentKind::Feed:
        for (const auto& [type, list] : c.calls)
          for (const auto& call : list)
            for (size_t k = 0; k < call.targets.size(); ++k)
              edges.push_back({from, resolve(t, index, c, call.targets[k], call.target_locs[k], "call"),
                               call.enqueue ? "enqueue" : type == "*" ? "" : type, call.target_locs[k], call.enqueue});
        break;
      case ComponentKind::RateLimiter:
        edges.push_back({from, resolve(t, index, c, c.target, c.target_loc, "target"), "", c.target_loc});
        break;
      case ComponentKind::ReplicatedStore:
        break;
    }
    if (c.kind == ComponentKind::Queue && !c.queue_spec.dead_letter_to.empty())
      edges.push_back({from, resolve(t, index, c, c.queue_spec.dead_letter_to, c.queue_spec.dead_letter_loc, "dead_letter_to"),
                       "dead letters", c.queue_spec.dead_letter_loc, true});
    if (c.rate_limit && c.rate_limit->state == RateLimitSpec::State::Central)
      edges.push_back({from, resolve(t, index, c, c.rate_limit->store, c.rate_limit->store_loc, "store"), "store",
                       c.rate_limit->store_loc, false, true});
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

// Queues are reached by enqueueing (`{enqueue: topic}`), and only queues can be; a rate limit's
// store holds counters, so it is a cache, a database or a service.
void check_edge_calls(const Topology& t, const std::vector<Edge>& edges) {
  for (const auto& e : edges) {
    const Component& from = t.components[static_cast<size_t>(e.from)];
    const Component& to = t.components[static_cast<size_t>(e.to)];
    bool is_queue = to.kind == ComponentKind::Queue;
    if (e.store) {
      if (to.kind != ComponentKind::Cache && to.kind != ComponentKind::Database && to.kind != ComponentKind::Service)
        fail(t, e.loc, fmt::format("store '{}' of '{}' is a {}; a rate limit keeps its counters in a cache, a database "
                                   "or a service (e.g. Redis)",
                                   to.name, from.name, to_string(to.kind)));
    } else if (e.async && !is_queue) {
      fail(t, e.loc, fmt::format("'{}' enqueues to '{}', which is a {}, not a queue", from.name, to.name, to_string(to.kind)));
    } else if (!e.async && is_queue && from.kind != ComponentKind::Client) {
      fail(t, e.loc, fmt::format("'{}' calls the queue '{}'; write {{enqueue: {}}} to add a message to it", from.name,
                                 to.name, to.name));
    }
  }
}

}  // namespace

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

// A cache_aside cache relies on its caller to read the backend and fill it, which only a service
// does (models/service/service.cpp), one call at a time.
static void validate_caches(const Topology& t) {
  for (const auto& c : t.components) {
    auto aside = [&](const std::string& name) {
      const Component* x = t.find(name);
      return x && x->kind == ComponentKind::Cache && x->write_policy == WritePolicy::CacheAside;
    };
    auto why = [&](const std::string& name) {
      return fmt::format("'{}' is a cache_aside cache: a service must call it (the service reads the backend on a miss "
                         "and fills the cache); use write_policy: read_through to call it from a {}",
                         name, to_string(c.kind));
    };
    if (c.kind == ComponentKind::Client && aside(c.target)) fail(t, c.target_loc, why(c.target));
    if (c.kind == ComponentKind::LoadBalancer && aside(c.lb_targets)) fail(t, c.lb_targets_loc, why(c.lb_targets));
    if (c.kind == ComponentKind::Cache && aside(c.backend)) fail(t, c.backend_loc, why(c.backend));
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
  for (const auto& c : t.components) has_client |= c.kind == ComponentKind::Client || c.kind == ComponentKind::Feed;
  if (!has_client) fail(t, {}, "the topology has no component of kind client, so nothing sends requests");

  std::set<std::string> types;
  for (const auto& c : t.components)
    if (c.kind == ComponentKind::Client)
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
    if (dir.kind != ComponentKind::Service)
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
    if (t.components[i].kind == ComponentKind::Client) {
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
  for (const auto& c : t.components)
    if (c.kind == ComponentKind::Queue && c.queue_spec.ordered && c.queue_spec.consumers > c.queue_spec.partitions)
      warnings.push_back(fmt::format("{}: warning: queue '{}' has {} consumers for {} partitions; a partition belongs to "
                                     "one consumer, so {} of them sit idle",
                                     where(t, c.loc), c.name, c.queue_spec.consumers, c.queue_spec.partitions,
                                     c.queue_spec.consumers - c.queue_spec.partitions));
  validate_caches(t);
  validate_faults(t);

  for (size_t i = 0; i < t.components.size(); ++i)
    if (!reached[i] && t.components[i].kind != ComponentKind::Feed)  // a feed drives its own workload
      warnings.push_back(fmt::format("{}: warning: no client can reach '{}'; it will receive no requests",
                                     where(t, t.components[i].loc), t.components[i].name));
  return warnings;
}

void write_dot(const Topology& t, std::ostream& out) {
  std::vector<Edge> edges = edges_of(t);
  CallGraph g(t.components.size());
  for (const auto& e : edges) boost::add_edge(static_cast<size_t>(e.from), static_cast<size_t>(e.to), EdgeInfo{e.label, e.loc}, g);
  auto vertex_writer = [&](std::ostream& os, size_t v) {
    const Component& c = t.components[v];
    std::string shape = "box";
    if (c.kind == ComponentKind::Client) shape = "ellipse";
    else if (c.kind == ComponentKind::LoadBalancer) shape = "diamond";
    else if (c.kind == ComponentKind::Database) shape = "cylinder";
    else if (c.kind == ComponentKind::Cache) shape = "box3d";
    else if (c.kind == ComponentKind::Queue) shape = "cds";
    else if (c.kind == ComponentKind::RateLimiter) shape = "octagon";
    std::string label = fmt::format("{}\\n{}", c.name, to_string(c.kind));
    if (c.replicas > 1) label += fmt::format(" x{}", c.replicas);
    if (t.regions.size() > 1) label += fmt::format("\\n[{}]", c.region);
    os << fmt::format("[label=\"{}\", shape={}]", label, shape);
  };
  auto edge_writer = [&](std::ostream& os, CallGraph::edge_descriptor e) {
    const EdgeInfo& info = g[e];
    if (!info.label.empty()) os << fmt::format("[label=\"{}\"]", info.label);
  };
  auto graph_writer = [&](std::ostream& os) {
    os << fmt::format("label=\"{}\";\nrankdir=LR;\nnode [fontname=\"Helvetica\"];\n", t.name);
  };
  boost::write_graphviz(out, g, vertex_writer, edge_writer, graph_writer);
}

}  // namespace archsim
