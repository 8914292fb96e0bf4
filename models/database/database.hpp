// A database node: a connection limit in front (`max_connections`; excess connections wait, or
// are refused like PostgreSQL's "too many clients"), CPU cores, and a disk that serves
// `io_parallelism` I/Os at full speed and shares itself beyond that. Reads and writes each have an
// I/O and a CPU demand; every connection busy on the node adds `connection_cpu` to each request's
// CPU (the per-connection overhead that makes thousands of direct connections a wall). A pooler in
// front is modelled by the station itself: `server_connections` workers and the other client
// connections waiting in its queue, without the per-connection overhead.
//
// Shards and replicas: the caller picks the shard (sim/support/sharding.hpp) and, for a read, the copy
// (models/common/station.cpp). A shard's primary applies a write, gives it the shard's next version and
// streams it to its read replicas. `sync`: the write is acknowledged once every replica has
// applied it (a replica round trip plus the apply time); `async`: at once, and a replica applies it
// when it arrives, in order, one at a time (a single WAL-replay process whose cost is not charged
// to the replica's cores). A read served by a replica that misses the newest committed version of
// its key is a stale read; when that version was acknowledged before the read was sent, it is also
// a read-your-writes violation (the caller is identified with the key, as a user editing the row
// keyed by their id). Versions are kept per key: memory is bounded by the key space.
//
// Failover (`failover:`). Hot standby: when a shard's primary crashes, its replication connections
// reset; the replicas' failure detector gives up on it `detect_after` after the crash (a lapsed
// leader lease, as Patroni's), chooses the live replica that has applied the most, and that one takes
// writes `promote_time` later: it moves the shard's endpoint (PrimaryView) to itself and streams to
// the others. A replica applies what its primary streamed one write at a time, and the writes not yet
// applied wait in the primary's send buffer: those die with the primary (async: acknowledged writes
// lost at the promotion, the RPO; sync: none was acknowledged). While the shard has no primary,
// writes sent to the crashed node are refused at once (failed, unavailable) and a write reaching a
// copy that is not the primary fails the same way; reads from replicas keep working. A copy that
// comes back (the old primary too) rejoins as a replica and catches up at once from the current
// primary (a base backup / pg_rewind taking no time): writes the new primary never had are gone.
// Cold standby (`mode: manual`): nothing is promoted; the scenario brings the primary back exactly
// `restore_time` after the crash, with every acknowledged write (they were on disk; the crash loses
// memory only). Left out: a replica crashing while it is being promoted (the shard then waits for
// the old primary), split brain (the old primary is fenced), quorum commit.
// Left out here: locks, buffer-pool hit ratios (put them in the io time), quorum reads.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "models/common/station.hpp"
#include "sim/support/distribution.hpp"
#include "models/database/database_spec.hpp"

namespace archsim {

class Database;

// What the nodes of one shard share: the versions committed by its primary (measurement), and
// with failover the shard's membership as its failure detector and endpoint see it.
struct ReplicaSet {
  struct Committed {
    uint64_t version = 0;
    double at = 0;  // when the primary acknowledged it
  };
  uint64_t last_version = 0;
  std::unordered_map<uint64_t, Committed> committed;  // by key

  // Failover only (left empty otherwise). Members are the shard's copies, its first primary first.
  enum class State { Normal, Down, Promoting };
  std::vector<Database*> members;
  std::vector<NodeId> ids;
  std::vector<uint8_t> up;          // the member's process runs
  std::vector<uint8_t> armed;       // a replica that saw the primary's connection reset
  std::vector<uint64_t> applied;    // the newest version the member has applied (in order)
  std::vector<uint64_t> applying;   // the version it has applied or is applying
  size_t primary = 0;               // the member that is (or was, while Down) the primary
  State state = State::Normal;
  size_t chosen = 0;                // Promoting: the replica being promoted
  int64_t open_record = -1;         // the FailoverRecord still waiting for its first write, or -1
  int64_t shard = 0;
  std::shared_ptr<PrimaryView> view;
  // Acknowledged writes some live replica has not applied yet: version -> acknowledgement time.
  // Bounded by the replication backlog (the replicas' apply queues).
  std::map<uint64_t, double> unreplicated;
};

class Database : public Station {
 public:
  struct Params {
    StationParams station;
    Distribution read_io, read_cpu, write_io, write_cpu;
    bool primary = true;
    std::vector<NodeId> replicas;         // the primary's read replicas, empty for a replica
    bool sync = false;                    // wait for the replicas before acknowledging a write
    std::optional<Distribution> apply;    // a replica's time per write (default: the write's cpu)
    double connection_cpu = 0;            // CPU seconds per request per busy connection
    std::shared_ptr<ReplicaSet> set;      // shared by the shard's nodes; null when not replicated
    FailoverMode failover = FailoverMode::None;
    double detect_after = 10;             // seconds from the primary's crash to choosing a replica
    double promote_time = 5;              // seconds from choosing it to writes going to it
    size_t member = 0;                    // this node's place in set->members
    std::shared_ptr<FailoverStats> failover_stats;  // with failover: the records, shared by the component
  };
  Database(Params params, ComponentStats* stats, Rng rng);

  void on_message(Context& ctx, MessagePtr msg) override;
  void on_timer(Context& ctx, uint64_t tag) override;
  // `disk_full` (sim/topology/faults.hpp): while it holds, writes fail (counted in disk_full_rejections)
  // before touching the disk; reads are served as usual.
  void on_condition(Context& ctx, const NodeCondition& c, bool active) override;
  void on_crash(Context& ctx) override;
  void on_recover(Context& ctx) override;
  // Failover: takes the current primary's data as its own (a rejoining or caught-up replica).
  void catch_up();
  // The version of `key` this node has applied (replicas), 0 for none.
  uint64_t applied_version(uint64_t key) const {
    auto it = applied_.find(key);
    return it == applied_.end() ? 0 : it->second;
  }

 protected:
  void step(Context& ctx, Job& job) override;

 private:
  void replicate(Context& ctx, Job& job, uint64_t version, bool wait);
  void commit(uint64_t key, uint64_t version, double at);
  void check_read(Context& ctx, Job& job);
  void start_apply(Context& ctx);
  void finish_apply(Context& ctx);
  bool failover() const { return p_.failover != FailoverMode::None && p_.set && !p_.set->members.empty(); }
  bool has_replicas() const { return failover() ? p_.set->members.size() > 1 : !p_.replicas.empty(); }
  bool is_primary() const { return failover() ? p_.set->primary == p_.member : p_.primary; }
  void on_primary_lost(Context& ctx);
  void on_detect(Context& ctx);
  void promote(Context& ctx);
  void acknowledged(Context& ctx, uint64_t key, uint64_t version);
  void trim_unreplicated();
  FailoverRecord* open_record();

  Params p_;
  std::unordered_map<uint64_t, uint64_t> applied_;  // replica: newest version applied, by key
  std::deque<MessagePtr> apply_queue_;
  bool applying_ = false;
  double apply_started_ = 0;  // when the apply in progress began
  bool disk_full_ = false;
  uint64_t* disk_full_affected_ = nullptr;  // the fault counting the writes refused
};

// Throws std::runtime_error naming the database and the crash when a promotion under synchronous
// replication dropped acknowledged writes.
void check_failover_invariants(const std::string& db, const FailoverStats& f);

}  // namespace archsim
