// kind: database (models/database/database.hpp).
#include "models/common/kind.hpp"
#include "models/database/database.hpp"

namespace archsim {
namespace {

// `preset` first: the keys after it override its values. Shards, read replicas, replication,
// the pooler and failover are read together by the configuration's `database_copies` reader
// (which of them apply depends on the others).
const ParamTable& database_table() {
  using D = DatabaseSpec;
  static const ParamTable t =
      ParamTable()
          .in(&Component::db)
          .section("preset", "`postgres`, `mysql`, `cassandra`, `dynamodb` or `redis`",
                   "start from a node class (\"Presets\" below); any key written beside it overrides that field "
                   "(`read: {cpu: 100us}` keeps the preset's `read.io`)",
                   "database_preset", "none")
          .count("replicas", &Component::replicas, 1, kMaxReplicas,
                 "without `shards:`, that many nodes each owning the keys hash mod replicas (as `shards:`)")
          .count("cores", &Component::cores, 1, kMaxCores, "CPU cores per node, processor-shared by its requests")
          .count("max_connections", &Component::workers, 1, kMaxWorkers,
                 "requests a node serves at once; beyond, they wait or are refused (`connection_overflow`)")
          .count("io_parallelism", &Component::io_parallelism, 1, 4096,
                 "concurrent I/Os the disk serves at full speed; more share it")
          .section("read", "`{io, cpu}`", "a read's disk time and CPU per request (distributions)", "database_profiles",
                   "{io: 0, cpu: 0}")
          .section("write", "`{io, cpu}`", "a write's disk time and CPU per request (distributions)",
                   "database_profiles", "{io: 0, cpu: 0}")
          .choice("connection_overflow", &D::refuse_over_limit, {{"wait", false}, {"refuse", true}},
                  "what a request finds when all `max_connections` are busy: `wait` (queue) or `refuse` "
                  "(PostgreSQL's \"sorry, too many clients already\": rejected)")
          .duration("connection_cpu", &D::connection_cpu,
                    "CPU added to every request per connection busy on the node: the cost of many direct "
                    "connections (a PostgreSQL snapshot scans every backend; more processes than cores "
                    "context-switch)")
          .size("connection_memory", &D::connection_memory,
                "memory per connection (reported: `connections.peak_connection_memory_mb`)")
          .section("shards", "integer", "shards, each owning a share of the keys (the key picks the shard, by `sharding:`); more shards spread the load and the data, and make a hot key one hot shard", "database_copies", "none")
          .section("sharding", "`{strategy: hash_mod | consistent_hash | range | directory, key, vnodes, boundaries, directory}`", "how a key picks its shard (\"Sharding\" below); needs `shards:`", "database_copies", "hash_mod")
          .count("read_replicas", &D::read_replicas, 0, 1000,
                 "copies of each shard besides its primary; the nodes are `shards x (1 + read_replicas)`")
          .read_by("database_copies")
          .choice("reads_from", &D::reads_from,
                  {{"primary", ReadsFrom::Primary}, {"replicas", ReadsFrom::Replicas}, {"any", ReadsFrom::Any}},
                  "`primary`, `replicas` (round robin over the shard's replicas, possibly stale) or `any` (over all "
                  "its copies). Writes always go to the primary")
          .read_by("database_copies")
          .section("replication", "`async`, `sync` or `{mode, apply}`",
                   "the primary streams each write to its replicas, which apply them in order (`apply`: the time per "
                   "write, default the write's `cpu`). `sync`: acknowledged after every replica applied it (a "
                   "replica round trip plus the apply); `async`: at once, the lag shows in `replication.lag_ms`",
                   "database_copies", "async")
          .section("pooler", "`{kind: pgbouncer | rds_proxy | proxysql, server_connections, max_client_connections, "
                   "enabled}`",
                   "a transaction-mode pooler in front of each node: only `server_connections` requests run on the "
                   "node at once, the other client connections wait in the pooler; past `max_client_connections` "
                   "they are refused",
                   "database_copies", "none")
          .section("failover", "`{detect_after, promote_time}`, `{mode: manual, restore_time}`, `auto` or `manual`",
                   "what happens when a shard's primary crashes (\"Failover\" below): a hot standby promotes a read "
                   "replica, a cold standby is restored by an operator",
                   "database_copies", "none")
          .duration("restore_time", &D::restore_time,
                    "manual failover: from the crash until the primary is back (also `failover.restore_time`)", false)
          .read_by("database_copies");
  return t;
}

// Node `i` of database `c`: its place in its shard (primary first, then the read replicas), the
// replication it takes part in, and how its connections are handled.
void database_params(const Component& c, const std::vector<NodeId>& ids, size_t i,
                     const std::vector<std::shared_ptr<ReplicaSet>>& sets, Database::Params& p) {
  const DatabaseSpec& d = c.db;
  size_t group = static_cast<size_t>(1 + d.read_replicas);
  size_t shard = i / group;
  p.primary = i % group == 0;
  if (p.primary)
    for (size_t k = 1; k < group; ++k) p.replicas.push_back(ids[shard * group + k]);
  p.sync = d.replication == ReplicationMode::Sync;
  p.apply = d.apply;
  p.connection_cpu = d.connection_cpu;
  if (!sets.empty()) p.set = sets[shard];
  p.failover = d.failover;
  p.detect_after = d.detect_after;
  p.promote_time = d.promote_time;
  p.member = i % group;
  if (d.pooler) {
    p.station.workers = d.server_connections;
    p.station.queue = d.max_client_connections - d.server_connections;
  } else if (d.refuse_over_limit) {
    p.station.queue = 0;
  }
}

// Databases with read replicas: the versions each shard's primary committed (measurement only);
// with failover, each shard's membership as its failure detector and endpoint see it.
std::vector<std::shared_ptr<ReplicaSet>> replica_sets(const Component& c, ComponentStats& st, BuildContext& b) {
  const auto& ids = b.replicas(c.name);
  std::vector<std::shared_ptr<ReplicaSet>> sets;
  bool failover = c.db.failover != FailoverMode::None;
  if (c.db.read_replicas > 0 || failover) {
    size_t group = static_cast<size_t>(1 + c.db.read_replicas);
    for (size_t s = 0; s < ids.size() / group; ++s) {
      auto set = std::make_shared<ReplicaSet>();
      if (failover) {
        set->members.assign(group, nullptr);
        set->ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(s * group),
                        ids.begin() + static_cast<std::ptrdiff_t>((s + 1) * group));
        set->up.assign(group, 1);
        set->armed.assign(group, 0);
        set->applied.assign(group, 0);
        set->applying.assign(group, 0);
        set->shard = static_cast<int64_t>(s);
        set->view = b.primary_view(c);
      }
      sets.push_back(std::move(set));
    }
  }
  if (failover) {
    st.failover = std::make_shared<FailoverStats>();
    st.failover->mode = to_string(c.db.failover);
    st.failover->sync = c.db.replication == ReplicationMode::Sync;
    st.failover->detect_after = c.db.detect_after;
    st.failover->promote_time = c.db.promote_time;
    st.failover->restore_time = c.db.restore_time;
  }
  return sets;
}

class DatabaseKind final : public Kind {
 public:
  const char* name() const override { return "database"; }
  const char* summary() const override {
    return "replicas with cores, a disk and a connection limit; sharded, with read replicas, replication and "
           "failover";
  }
  const KindTraits& traits() const override {
    static const KindTraits t = [] {
      KindTraits k;
      k.plural = "databases";
      k.dot_shape = "cylinder";
      k.by_key = true;
      k.can_crash = true;
      k.can_slow = true;
      k.has_disk = true;
      k.counter_store = true;
      k.pool = "connections";
      k.part = "shard";
      return k;
    }();
    return t;
  }
  const ParamTable& params() const override { return database_table(); }
  // A managed database instance's usual size: 8 cores, 100 connections (Postgres' default).
  void defaults(Component& c) const override {
    c.cores = 8;
    c.workers = 100;
  }
  void reach(const Component& c, const std::string&, CallTarget& ct, BuildContext& b) const override {
    if (c.shards <= 0) return;
    ct.group = 1 + c.db.read_replicas;
    if (c.db.failover != FailoverMode::None) ct.primaries = b.primary_view(c);
  }
  void build(const Component& c, BuildContext& b) const override {
    ComponentStats& st = b.server_stats(c);
    st.io_per_replica = c.io_parallelism;
    st.counts_connections = true;
    if (c.db.pooler) st.workers_per_replica = c.db.server_connections;
    if (c.shards > 0) st.shard_group = 1 + c.db.read_replicas;
    std::vector<std::shared_ptr<ReplicaSet>> sets = replica_sets(c, st, b);
    bool failover = c.db.failover != FailoverMode::None;
    const auto& ids = b.replicas(c.name);
    b.add_replicas(c, st, [&](size_t i, Rng rng) {
      Database::Params p;
      p.station = station_params(c);
      p.read_io = c.read_profile.io;
      p.read_cpu = c.read_profile.cpu;
      p.write_io = c.write_profile.io;
      p.write_cpu = c.write_profile.cpu;
      database_params(c, ids, i, sets, p);
      p.failover_stats = st.failover;
      auto set = p.set;
      size_t member = p.member;
      auto db = std::make_unique<Database>(std::move(p), &st, rng);
      if (failover) set->members[member] = db.get();
      return db;
    });
  }
  void analytic(const Component& c, const AnalyticInput& in, AnalyticOutput& out) const override {
    double cpu = 0, io = 0;
    for (const auto& [type, rate] : in.by_type) {
      const RequestType* rt = in.type(type);
      const OpProfile& p = rt && rt->op == Op::Write ? c.write_profile : c.read_profile;
      cpu += rate * p.cpu.mean();
      io += rate * p.io.mean();
    }
    out.resources.push_back({"cpu", in.lambda > 0 ? cpu / in.lambda : 0, c.cores});
    out.resources.push_back({"io", in.lambda > 0 ? io / in.lambda : 0, c.io_parallelism});
  }
  std::optional<double> crash_until(const Component& c, size_t replica, double at) const override {
    if (c.db.failover == FailoverMode::Manual && replica % static_cast<size_t>(1 + c.db.read_replicas) == 0)
      return at + c.db.restore_time;
    return std::nullopt;
  }
};

}  // namespace

const Kind& database_kind() {
  static const DatabaseKind k;
  return k;
}

}  // namespace archsim
