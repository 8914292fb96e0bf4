// A database node: a connection limit in front (`max_connections`; excess connections wait, or
// are refused like PostgreSQL's "too many clients"), CPU cores, and a disk that serves
// `io_parallelism` I/Os at full speed and shares itself beyond that. Reads and writes each have an
// I/O and a CPU demand; every connection busy on the node adds `connection_cpu` to each request's
// CPU (the per-connection overhead that makes thousands of direct connections a wall). A pooler in
// front is modelled by the station itself: `server_connections` workers and the other client
// connections waiting in its queue, without the per-connection overhead.
//
// Shards and replicas: the caller picks the shard (sim/sharding.hpp) and, for a read, the copy
// (models/station.cpp). A shard's primary applies a write, gives it the shard's next version and
// streams it to its read replicas. `sync`: the write is acknowledged once every replica has
// applied it (a replica round trip plus the apply time); `async`: at once, and a replica applies it
// when it arrives, in order, one at a time (a single WAL-replay process whose cost is not charged
// to the replica's cores). A read served by a replica that misses the newest committed version of
// its key is a stale read; when that version was acknowledged before the read was sent, it is also
// a read-your-writes violation (the caller is identified with the key, as a user editing the row
// keyed by their id). Versions are kept per key: memory is bounded by the key space.
// Left out here: locks, buffer-pool hit ratios (put them in the io time), failover, quorum reads.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>

#include "models/station.hpp"
#include "sim/distribution.hpp"

namespace archsim {

// What the nodes of one shard share for measurement: the versions committed by its primary.
struct ReplicaSet {
  struct Committed {
    uint64_t version = 0;
    double at = 0;  // when the primary acknowledged it
  };
  uint64_t last_version = 0;
  std::unordered_map<uint64_t, Committed> committed;  // by key
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
  };
  Database(Params params, ComponentStats* stats, Rng rng);

  void on_message(Context& ctx, MessagePtr msg) override;
  void on_timer(Context& ctx, uint64_t tag) override;
  // `disk_full` (sim/faults.hpp): while it holds, writes fail (counted in disk_full_rejections)
  // before touching the disk; reads are served as usual.
  void on_condition(Context& ctx, const NodeCondition& c, bool active) override;

 protected:
  void step(Context& ctx, Job& job) override;

 private:
  void replicate(Context& ctx, Job& job, uint64_t version, bool wait);
  void commit(uint64_t key, uint64_t version, double at);
  void check_read(Context& ctx, Job& job);
  void start_apply(Context& ctx);
  void finish_apply(Context& ctx);

  Params p_;
  std::unordered_map<uint64_t, uint64_t> applied_;  // replica: newest version applied, by key
  std::deque<MessagePtr> apply_queue_;
  bool applying_ = false;
  bool disk_full_ = false;
  uint64_t* disk_full_affected_ = nullptr;  // the fault counting the writes refused
};

}  // namespace archsim
