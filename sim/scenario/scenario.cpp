#include "sim/scenario/scenario.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <fmt/format.h>
#include <map>
#include <stdexcept>

#include "models/client/client.hpp"
#include "models/common/kind.hpp"
#include "models/database/database.hpp"
#include "models/feed/feed.hpp"
#include "models/feed/follower_graph.hpp"
#include "models/replicated_store/replicated_store.hpp"
#include "sim/support/history.hpp"
#include "sim/config/validate.hpp"

namespace archsim {

NetworkPlan network_plan(const Topology& t) {
  NetworkPlan plan;
  plan.intra_region_rtt = t.network.intra_region_rtt;
  plan.host_bandwidth = t.network.host_bandwidth;
  plan.regions = t.regions;
  for (const auto& l : t.network.links) {
    NetworkPlan::RegionLink rl;
    rl.name = l.a + "<->" + l.b;
    // A host-to-host one-way trip is NIC up + region link + NIC down; the NICs carry
    // intra_region_rtt / 2 of it, so the link carries the rest of rtt / 2.
    rl.latency = l.rtt / 2 - t.network.intra_region_rtt / 2;
    rl.bandwidth = l.bandwidth;
    plan.links.push_back(rl);
    plan.link_contended.push_back(l.contended);
  }
  plan.contended_components = t.network.contended;
  size_t n = t.regions.size();
  plan.route.assign(n, std::vector<std::vector<std::pair<int, bool>>>(n));
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b) {
      if (a == b) continue;
      auto path = region_path(t, t.regions[a], t.regions[b]);
      for (size_t k = 0; k + 1 < path.size(); ++k)
        for (size_t li = 0; li < t.network.links.size(); ++li) {
          const auto& l = t.network.links[li];
          if (l.a == path[k] && l.b == path[k + 1]) plan.route[a][b].emplace_back(static_cast<int>(li), true);
          else if (l.b == path[k] && l.a == path[k + 1]) plan.route[a][b].emplace_back(static_cast<int>(li), false);
        }
    }
  return plan;
}

namespace {
}

namespace {


int region_index(const Topology& t, const std::string& r) {
  for (size_t i = 0; i < t.regions.size(); ++i)
    if (t.regions[i] == r) return static_cast<int>(i);
  return 0;
}

// Hands every fault to the engine, with a counter in `out` for what it does.
void schedule_faults(const Topology& t, const std::map<std::string, std::vector<NodeId>>& replicas, Engine& engine,
                     std::deque<FaultOutcome>& out) {
  std::vector<size_t> order(t.faults.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return t.faults[a].at < t.faults[b].at; });
  for (size_t i : order) {
    const Fault& f = t.faults[i];
    FaultOutcome& o = out.emplace_back();
    o.spec = &f;
    o.start = f.at;
    o.end = f.duration < 0 || f.at + f.duration >= t.run.duration ? -1 : f.at + f.duration;
    Engine::Fault ef;
    ef.at = f.at;
    ef.until = o.end;
    ef.affected = &o.count;
    if (f.on_link()) {
      for (size_t l : fault_links(t, f)) {
        ef.links.push_back(static_cast<int>(l));
        o.links.push_back(t.network.links[l].a + "<->" + t.network.links[l].b);
      }
      if (f.kind == Fault::Kind::Slow) {
        ef.kind = Engine::Fault::Kind::LinkSlow;
        ef.factor = f.factor;
        ef.latency = f.latency;
        o.effect = "messages_slowed";
      } else {
        ef.kind = Engine::Fault::Kind::LinkDown;
        o.effect = "messages_lost";
      }
      engine.schedule_fault(ef);
      continue;
    }
    if (f.kind == Fault::Kind::RegionDown) {
      ef.kind = Engine::Fault::Kind::Crash;
      o.effect = "requests_refused";
      for (auto [c, k] : region_nodes(t, f.region)) {
        Engine::Fault one = ef;
        one.node = replicas.at(c->name)[k];
        if (auto until = c->kind->crash_until(*c, k, f.at)) one.until = *until;
        engine.schedule_fault(one);
      }
      continue;
    }
    switch (f.kind) {
      case Fault::Kind::Crash:
        ef.kind = Engine::Fault::Kind::Crash;
        o.effect = "requests_refused";
        break;
      case Fault::Kind::Slow:
        ef.kind = Engine::Fault::Kind::Condition;
        ef.condition.kind = NodeCondition::Kind::Slow;
        ef.condition.factor = f.factor;
        ef.condition.latency = f.latency;
        ef.condition.affected = &o.count;
        o.effect = "requests_slowed";
        break;
      case Fault::Kind::Spike:
        ef.kind = Engine::Fault::Kind::Condition;
        ef.condition.kind = NodeCondition::Kind::Spike;
        ef.condition.factor = f.factor;
        ef.condition.affected = &o.count;
        o.effect = "requests_sent";
        break;
      default:
        ef.kind = Engine::Fault::Kind::Condition;
        ef.condition.kind = NodeCondition::Kind::DiskFull;
        ef.condition.affected = &o.count;
        o.effect = "writes_refused";
        break;
    }
    const auto& ids = replicas.at(f.component);
    const Component* c = t.find(f.component);
    for (size_t k = 0; k < ids.size(); ++k)
      if (f.replica < 0 || static_cast<size_t>(f.replica) == k) {
        ef.node = ids[k];
        Engine::Fault one = ef;
        // A cold standby's primary is back when the operator has restored it, however long its host
        // stays down.
        if (f.kind == Fault::Kind::Crash)
          if (auto until = c->kind->crash_until(*c, k, f.at)) one.until = *until;
        engine.schedule_fault(one);
      }
  }
}

void add_feed_node(const Topology& t, const Component& c, const FollowerGraph* g, const std::string& graph_key, RunResult& r,
              Engine& engine, std::vector<std::unique_ptr<Node>>& nodes, int region, NodeId expected) {
  FeedStats& fs = r.feeds.emplace_back();
  fs.name = c.name;
  fs.window_start = r.window_start;
  fs.window_end = r.window_end;
  fs.backlog.configure(r.window_start, r.window_end);
  const FeedSpec& f = c.feed;
  Feed::Params p;
  static_cast<FeedSpec&>(p) = f;
  fs.strategy = f.strategy == FeedSpec::Strategy::Push   ? "push"
                : f.strategy == FeedSpec::Strategy::Pull ? "pull"
                                                         : fmt::format("hybrid (celebrity_threshold {})", f.celebrity_threshold);
  p.rtt = t.network.intra_region_rtt;
  // Celebrities are the accounts after the ordinary users.
  for (size_t k = 0; k < f.celebrities.size(); ++k)
    for (double at : f.celebrities[k].posts_at)
      p.scheduled_posts.emplace_back(static_cast<uint32_t>(f.users + static_cast<int64_t>(k)), at);
  // The workload stream is the graph's, not the feed's: feeds over one graph see the same posts and reads.
  nodes.push_back(std::make_unique<Feed>(std::move(p), g, &fs, Rng::derive(t.run.seed, c.name + "/0"),
                                         Rng::derive(t.run.seed, "feed-workload/" + graph_key)));
  NodeId id = engine.add_node(c.name + "/0", region, nodes.back().get());
  if (id != expected) throw std::logic_error("node ids out of order");
}

// Builds a run from a topology: the shared pieces every kind's wiring uses (node ids, call
// targets, shard maps, hash rings, primary views, write ledgers, follower graphs, consistency
// oracles) are its members; each kind has one method that builds its nodes. run() runs the engine
// and checks that every request is accounted for.
class ScenarioBuilder final : public BuildContext {
 public:
  ScenarioBuilder(const Topology& t, const RunOptions& options, RunResult& r) : t_(t), r_(r) {
    r_.topology = &t;
    r_.window_start = t.run.warmup;
    r_.window_end = t.run.duration;
    index_request_types();
    assign_node_ids();
    collect_ledger_specs();
    NetworkPlan plan = network_plan(t);
    plan.predicted_nic = options.predicted_nic;
    engine_ = make_engine(plan, options.network, options.progress);
    engine_->set_wall_limit(options.max_wall_seconds);
    if (!options.history_path.empty()) history_ = std::make_unique<HistoryWriter>(options.history_path);
    for (const auto& f : t.faults) {
      double end = f.duration < 0 ? t.run.duration : f.at + f.duration;
      fault_windows_.emplace_back(f.at, end);
      if (f.duration >= 0) heals_.push_back(end);
    }
  }

  void build() {
    for (const auto& c : t_.components) c.kind->build(c, *this);
    schedule_faults(t_, replicas_, *engine_, r_.faults);
  }

  void run() {
    auto wall0 = std::chrono::steady_clock::now();
    engine_->run(t_.run.duration, t_.run.warmup);
    if (!engine_->stopped().empty()) throw RunStopped(engine_->stopped());
    r_.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    for (auto& o : oracles_) o->finish(t_.run.duration);
    if (history_) history_->finish();
    r_.events = engine_->events();
    r_.network = engine_->network_report();
    measure_network();
    check_invariants();
  }

 private:
  // Global request types, in order of first appearance.
  void index_request_types() {
    for (const auto& c : t_.components)
      if (c.kind->traits().client)
        for (const auto& rt : c.requests)
          if (!type_index_.count(rt.name)) {
            type_index_[rt.name] = static_cast<uint16_t>(r_.type_names.size());
            r_.type_names.push_back(rt.name);
          }
  }

  // Node ids are handed out in file order, one per replica.
  void assign_node_ids() {
    NodeId next = 0;
    for (const auto& c : t_.components) {
      int64_t n = c.kind->nodes(c);
      for (int64_t i = 0; i < n; ++i) {
        replicas_[c.name].push_back(next++);
        r_.node_names.emplace_back(c.name, static_cast<int>(i));
      }
    }
  }

  // Receivers of guarded calls that retry or carry idempotency keys keep a write ledger, shared by
  // their replicas (behind a load balancer or rate limiter: the component it forwards to). Its
  // entries live for the longest retry horizon (or idempotency ttl) of the calls it serves.
  void collect_ledger_specs() {
    for (const auto& c : t_.components) {
      if (!c.kind->traits().guards_calls) continue;
      for (const auto& [type, list] : c.calls)
        for (const auto& cs : list) {
          const CallPolicy& p = cs.policy;
          if (cs.shape != CallSpec::Shape::Single || cs.tied || cs.hedge_after > 0 || cs.hedge_quantile > 0) continue;
          if (!p.retries() && !p.idempotency) continue;
          std::string name = cs.targets[0];
          for (int hops = 0; hops < 8; ++hops) {
            const Component* x = t_.find(name);
            if (!x->kind->traits().forwards) break;
            std::vector<Reference> refs;
            x->kind->references(*x, refs);
            name = refs.front().target;
          }
          LedgerSpec& l = ledger_specs_[name];
          l.ttl = std::max(l.ttl, p.idempotency && p.idempotency_ttl > 0 ? p.idempotency_ttl : p.retry_horizon());
          if (p.idempotency) l.lookup = std::max(l.lookup, p.idempotency_lookup);
        }
    }
  }

  // --- BuildContext: what the kinds ask of the builder (models/common/kind.hpp).
 public:
  const Topology& topology() const override { return t_; }
  const std::vector<NodeId>& replicas(const std::string& name) const override { return replicas_.at(name); }

  // Databases with failover: one primary view each (by shard), moved by their nodes, read by every caller.
  std::shared_ptr<PrimaryView> primary_view(const Component& c) override {
    auto& v = primary_views_[c.name];
    if (!v) {
      v = std::make_shared<PrimaryView>();
      v->primary.assign(static_cast<size_t>(c.replicas / (1 + c.db.read_replicas)), 0);
      v->out.assign(static_cast<size_t>(c.replicas), 0);
    }
    return v;
  }

  // One ring per cache cluster, shared by all its callers.
  std::shared_ptr<const HashRing> ring(const Component& c) override {
    auto& r = rings_[c.name];
    if (!r) r = std::make_shared<HashRing>(static_cast<size_t>(c.replicas), static_cast<size_t>(c.cache.vnodes));
    return r;
  }

  // Sharded components: one placement map each, shared by every caller.
  void shard_route(const Component& c, CallTarget& ct) {
    if (c.shards <= 0) return;
    auto& map = shard_maps_[c.name];
    if (!map) map = std::make_shared<const ShardMap>(c.sharding, c.shards);
    ct.shard_map = map;
    ct.group = 1;
    ct.reads = c.db.reads_from == ReadsFrom::Replicas ? CallTarget::ReadRoute::Replicas
               : c.db.reads_from == ReadsFrom::Any    ? CallTarget::ReadRoute::Any
                                                      : CallTarget::ReadRoute::Primary;
  }

  // What a caller in `region` reaches of component `name` (models/common/routing.hpp): all its
  // replicas, by key for the kinds that route by key, by shard when sharded; then what its kind
  // adds (Kind::reach: a replicated store's regional replicas, a database's shard groups, a cache's ring).
  CallTarget target(const std::string& name, const std::string& region) override {
    CallTarget ct;
    ct.component = name;
    ct.replicas = replicas_.at(name);
    const Component* c = t_.find(name);
    ct.by_key = c->kind->traits().by_key;
    shard_route(*c, ct);
    c->kind->reach(*c, region, ct, *this);
    return ct;
  }

  ResolvedCall resolve(const CallSpec& cs, const std::string& region) override {
    ResolvedCall rc;
    rc.shape = cs.shape == CallSpec::Shape::Single     ? ResolvedCall::Shape::Single
               : cs.shape == CallSpec::Shape::Parallel ? ResolvedCall::Shape::Parallel
                                                       : ResolvedCall::Shape::Fanout;
    for (const auto& name : cs.targets) rc.targets.push_back(target(name, region));
    rc.fanout = cs.fanout;
    if (cs.shape == CallSpec::Shape::Single) {
      const Component* c = t_.find(cs.targets[0]);
      if (const std::string* aside = c->kind->aside_backend(*c)) {
        auto backend = std::make_shared<ResolvedCall>();
        backend->targets.push_back(target(*aside, region));
        rc.aside_backend = backend;
      }
    }
    rc.wait_for = cs.wait_for;
    rc.hedge_after = cs.hedge_after;
    rc.hedge_quantile = cs.hedge_quantile;
    rc.tied = cs.tied;
    rc.policy = cs.policy;
    return rc;
  }

  // A guarded call of `caller` (ResolvedCall::guarded()): its logical call id, the same for every
  // replica of the caller, and the caller's statistics for the callee.
  void guard(ResolvedCall& rc, ComponentStats& caller, const std::string& where) {
    if (!rc.guarded()) return;
    auto [it, fresh] = op_ids_.emplace(where, static_cast<uint32_t>(op_ids_.size() + 1));
    rc.op = it->second;
    rc.edge = &caller.edges[rc.targets[0].component];
  }

  // A component's calls per request type (`*` for the types it does not name). With `caller`, each
  // call is guarded under the caller's statistics (services); a queue's consumers call unguarded.
  std::vector<std::vector<ResolvedCall>> calls_by_type(const Component& c, ComponentStats* caller) override {
    std::vector<std::vector<ResolvedCall>> out(r_.type_names.size());
    for (size_t ti = 0; ti < r_.type_names.size(); ++ti) {
      auto it = c.calls.find(r_.type_names[ti]);
      if (it == c.calls.end()) it = c.calls.find("*");
      if (it == c.calls.end()) continue;
      for (const auto& cs : it->second) {
        out[ti].push_back(resolve(cs, c.region));
        if (caller) guard(out[ti].back(), *caller, fmt::format("{}/{}/{}", c.name, r_.type_names[ti], out[ti].size() - 1));
      }
    }
    return out;
  }

  // Feeds with the same graph settings share one graph (side-by-side strategies see the same users).
  static std::string graph_key(const FeedSpec& f) {
    std::string key = f.edges_file.empty() ? fmt::format("{}/{}/{}", f.users, f.mean_followees, f.exponent) : f.edges_file;
    for (const auto& c : f.celebrities) key += fmt::format("/{}", c.followers);
    return key;
  }
  const FollowerGraph* graph_of(const FeedSpec& f) {
    auto& g = graphs_[graph_key(f)];
    if (!g) {
      FollowerGraphSpec gs;
      gs.users = f.users;
      gs.mean_followees = f.mean_followees;
      gs.exponent = f.exponent;
      for (const auto& c : f.celebrities) gs.celebrities.push_back(c.followers);
      gs.edges_file = f.edges_file;
      gs.seed = t_.run.seed;
      g = std::make_unique<FollowerGraph>(FollowerGraph::build(gs));
    }
    return g.get();
  }

  // Hands replica `i` of `c`, in `region`, to the engine; its id must be the one assign_node_ids gave.
  void add_node(const Component& c, size_t i, int region, std::unique_ptr<Node> node) {
    nodes_.push_back(std::move(node));
    NodeId id = engine_->add_node(fmt::format("{}/{}", c.name, i), region, nodes_.back().get());
    if (id != replicas_.at(c.name)[i]) throw std::logic_error("node ids out of order");
  }

  void add_feed(const Component& c) override {
    add_feed_node(t_, c, graph_of(c.feed), graph_key(c.feed), r_, *engine_, nodes_, region_index(t_, c.region),
                  replicas_.at(c.name)[0]);
  }

  void add_client(const Component& c) override {
    ClientStats& cs = r_.clients.emplace_back();
    cs.name = c.name;
    cs.window_start = r_.window_start;
    cs.outstanding.configure(r_.window_start, r_.window_end, kTrendBins);
    cs.type_names = r_.type_names;
    cs.by_type.resize(r_.type_names.size());
    Client::Params p;
    switch (c.arrival.process) {
      case ArrivalSpec::Process::Poisson: p.process = Client::Process::Poisson; break;
      case ArrivalSpec::Process::Constant: p.process = Client::Process::Constant; break;
      case ArrivalSpec::Process::Closed: p.process = Client::Process::Closed; break;
      case ArrivalSpec::Process::Trace: p.process = Client::Process::Trace; break;
    }
    p.rate = c.arrival.rate;
    p.users = c.arrival.users;
    p.think_time = c.arrival.think_time;
    p.trace_file = c.arrival.trace_file;
    p.types.resize(r_.type_names.size());
    for (auto& tp : p.types) tp.weight = 0;
    for (const auto& rt : c.requests) {
      auto& tp = p.types[type_index_.at(rt.name)];
      tp.weight = rt.weight;
      tp.is_write = rt.op == Op::Write;
      tp.keys = rt.keys;
      tp.request_bytes = rt.request_bytes;
      tp.response_bytes = rt.response_bytes;
    }
    p.target = target(c.target, c.region);
    p.timeout = c.timeout;
    add_node(c, 0, region_index(t_, c.region),
             std::make_unique<Client>(std::move(p), &cs, Rng::derive(t_.run.seed, c.name)));
  }

  void add_store(const Component& c) override {
    const auto& ids = replicas_.at(c.name);
    const StoreSpec& s = c.store;
    StoreStats& ss = r_.stores.emplace_back();
    ss.name = c.name;
    ss.consistency = s.consistency == StoreSpec::Consistency::Cp ? "cp" : "ap";
    ss.replicas = static_cast<int64_t>(ids.size());
    ss.n = s.n > 0 ? s.n : ss.replicas;
    ss.r = s.r;
    ss.w = s.w;
    ss.sloppy = s.sloppy;
    ss.siblings = s.siblings;
    ss.window_start = r_.window_start;
    ss.window_end = r_.window_end;
    ss.regions = s.placement;
    ss.log_sync = s.log_sync;
    ss.log_bandwidth = s.log_bandwidth;
    ss.log_syncs.assign(ids.size(), 0);
    ss.log_transfer_s.assign(ids.size(), 0);
    for (const auto& reg : s.placement)
      if (std::find(ss.region_names.begin(), ss.region_names.end(), reg) == ss.region_names.end())
        ss.region_names.push_back(reg);
    ss.by_region.resize(ss.region_names.size());
    ss.series.resize(ss.region_names.size());
    oracles_.push_back(
        std::make_unique<ConsistencyOracle>(&ss, static_cast<int>(ids.size()), fault_windows_, heals_));
    if (history_) oracles_.back()->set_history(history_.get(), static_cast<int>(oracles_.size() - 1));
    auto sp = std::make_unique<ReplicatedStoreParams>();
    static_cast<StoreSpec&>(*sp) = s;
    sp->replicas = ids;
    store_params_.push_back(std::move(sp));
    applied_logs_.push_back(std::make_unique<AppliedLog>(&ss));
    StoreShared shared{oracles_.back().get(), &ss, applied_logs_.back().get()};
    ComponentStats& row = server_stats(c);
    row.cores_per_replica = s.cores;
    row.workers_per_replica = -1;
    row.judged_per_replica = true;
    row.replica_busy_cores.resize(ids.size());
    for (auto& tw : row.replica_busy_cores) tw.configure(r_.window_start, r_.window_end);
    shared.comp = &row;
    if (auto l = ledger_specs_.find(c.name); l != ledger_specs_.end()) {
      store_ledgers_.push_back(std::make_unique<StoreLedger>(l->second.ttl, l->second.lookup));
      shared.ledger = &store_ledgers_.back()->ledger;
      shared.counted_upto = &store_ledgers_.back()->counted_upto;
      shared.key_ttl = l->second.ttl;
      shared.key_lookup = l->second.lookup;
      ss.tracks_writes = true;
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      add_node(c, i, region_index(t_, s.placement[i]),
               make_store_replica(*store_params_.back(), static_cast<int>(i), shared,
                                  Rng::derive(t_.run.seed, fmt::format("{}/{}", c.name, i))));
    }
  }

  // Every replica of a server component: built by its kind, a station given its index and the
  // write ledger its guarded callers need.
  void add_replicas(const Component& c, ComponentStats& st,
                    const std::function<std::unique_ptr<Node>(size_t, Rng)>& make) override {
    const auto& ids = replicas_.at(c.name);
    std::shared_ptr<WriteLedger> ledger;
    for (size_t i = 0; i < ids.size(); ++i) {
      std::unique_ptr<Node> node = make(i, Rng::derive(t_.run.seed, fmt::format("{}/{}", c.name, i)));
      if (auto* station = dynamic_cast<Station*>(node.get())) {
        station->set_replica_index(i);
        if (auto l = ledger_specs_.find(c.name); l != ledger_specs_.end()) {
          if (i == 0) ledger = std::make_shared<WriteLedger>(l->second.ttl, l->second.lookup);
          station->set_write_ledger(ledger);
          st.tracks_writes = true;
        }
      }
      add_node(c, i, region_index(t_, c.kind->node_region(c, i)), std::move(node));
    }
  }

  // The component table's row of a server component, its common fields filled; its kind adds the rest.
  ComponentStats& server_stats(const Component& c) override {
    const auto& ids = replicas_.at(c.name);
    ComponentResult& cr = r_.components.emplace_back();
    cr.spec = &c;
    ComponentStats& st = cr.stats;
    st.name = c.name;
    st.kind = c.kind->name();
    st.pool = c.kind->traits().pool;
    st.replicas = static_cast<int64_t>(ids.size());
    st.workers_per_replica = c.workers;
    st.cores_per_replica = c.cores;
    st.io_per_replica = 0;
    st.configure(r_.window_start, r_.window_end);
    if (c.shards > 0) {
      st.replica_arrivals.assign(ids.size(), 0);
      st.replica_busy_cores.resize(ids.size());
      st.replica_busy_io.resize(ids.size());
      for (auto& tw : st.replica_busy_cores) tw.configure(r_.window_start, r_.window_end);
      for (auto& tw : st.replica_busy_io) tw.configure(r_.window_start, r_.window_end);
      st.shard_group = 1;
    }
    return st;
  }

 private:
  void measure_network() {
    double T = r_.window();
    for (auto& cr : r_.components) {
      double bw = t_.network.host_bandwidth;
      for (NodeId id : replicas_.at(cr.spec->name)) {
        double up = engine_->nic_bytes_up(id) * 8 / (bw * T);
        double down = engine_->nic_bytes_down(id) * 8 / (bw * T);
        cr.network_util = std::max({cr.network_util, up, down});
      }
    }
    r_.region_links = engine_->region_link_usage();
  }

  void check_invariants() const {
    const RunResult& r = r_;
  // Every request is accounted for exactly once.
  for (const auto& cs : r.clients) {
    uint64_t ended = cs.completed + cs.rejected + cs.timed_out + cs.failed_downstream + cs.in_flight_at_end;
    if (ended != cs.generated)
      throw std::runtime_error(fmt::format(
          "invariant broken: client '{}' generated {} requests but {} completed + {} rejected + {} timed out + {} "
          "failed + {} in flight = {}",
          cs.name, cs.generated, cs.completed, cs.rejected, cs.timed_out, cs.failed_downstream, cs.in_flight_at_end,
          ended));
  }
  // No two replicas of a cp store applied different entries at one log index.
  for (const auto& s : r.stores)
    if (!s.safety_violation.empty())
      throw std::runtime_error(fmt::format("invariant broken: store '{}': {}", s.name, s.safety_violation));
  // Every downstream failure a client saw has a reason.
  for (const auto& cs : r.clients) {
    uint64_t by_reason = 0;
    for (uint64_t n : cs.failed_by) by_reason += n;
    if (by_reason != cs.failed_downstream)
      throw std::runtime_error(fmt::format(
          "invariant broken: client '{}' saw {} downstream failures but {} timeout + {} unavailable + {} circuit_open = {}",
          cs.name, cs.failed_downstream, cs.failed_by[static_cast<size_t>(FailReason::Timeout)],
          cs.failed_by[static_cast<size_t>(FailReason::Unavailable)],
          cs.failed_by[static_cast<size_t>(FailReason::CircuitOpen)], by_reason));
  }
  // Retries never exceed their budget.
  for (const auto& cr : r.components)
    for (const auto& [callee, e] : cr.stats.edges) check_retry_budget(cr.stats.name, callee, e);
  // No acknowledged write is lost under synchronous replication, whatever failed.
  for (const auto& cr : r.components)
    if (cr.stats.failover) check_failover_invariants(cr.stats.name, *cr.stats.failover);
  // Every message a queue accepted was processed, dead-lettered, or is still in its backlog.
  for (const auto& cr : r.components) {
    const QueueStats* q = cr.stats.queue.get();
    if (q && q->enqueued_total != q->processed_total + q->dead_lettered_total + q->backlog_at_end)
      throw std::runtime_error(fmt::format(
          "invariant broken: queue '{}' accepted {} messages but {} processed + {} dead-lettered + {} in its backlog = {}",
          cr.stats.name, q->enqueued_total, q->processed_total, q->dead_lettered_total, q->backlog_at_end,
          q->processed_total + q->dead_lettered_total + q->backlog_at_end));
  }
  }

  struct LedgerSpec {
    double ttl = 0, lookup = 0;
  };

  const Topology& t_;
  RunResult& r_;
  std::map<std::string, uint16_t> type_index_;
  std::map<std::string, std::vector<NodeId>> replicas_;
  std::map<std::string, std::shared_ptr<PrimaryView>> primary_views_;
  std::map<std::string, std::shared_ptr<const ShardMap>> shard_maps_;
  std::map<std::string, std::shared_ptr<const HashRing>> rings_;
  std::map<std::string, uint32_t> op_ids_;
  std::map<std::string, LedgerSpec> ledger_specs_;
  std::map<std::string, std::unique_ptr<FollowerGraph>> graphs_;
  std::unique_ptr<Engine> engine_;
  std::vector<std::unique_ptr<Node>> nodes_;
  // Replicated stores: their parameters and consistency oracles live as long as their nodes.
  std::vector<std::unique_ptr<ReplicatedStoreParams>> store_params_;
  std::vector<std::unique_ptr<ConsistencyOracle>> oracles_;
  std::vector<std::unique_ptr<AppliedLog>> applied_logs_;
  struct StoreLedger {
    StoreLedger(double ttl, double lookup) : ledger(ttl, lookup) {}
    WriteLedger ledger;
    uint64_t counted_upto = 0;
  };
  std::vector<std::unique_ptr<StoreLedger>> store_ledgers_;
  std::vector<std::pair<double, double>> fault_windows_;
  std::vector<double> heals_;
  std::unique_ptr<HistoryWriter> history_;
};

}  // namespace

RunResult run_scenario(const Topology& t, const RunOptions& options) {
  RunResult r;
  ScenarioBuilder builder(t, options, r);
  builder.build();
  builder.run();
  return r;
}

}  // namespace archsim
