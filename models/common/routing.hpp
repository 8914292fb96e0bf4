// Which replica of a callee serves a call: one rule for every caller kind (clients, services,
// caches, queues' consumers, rate limiters' central counters).
//
// The caller resolves a CallTarget once, when the scenario is built (the callee's replicas as the
// caller may reach them: a replicated store's in the caller's own region; its shards, ring or key
// routing), then `route` picks the replica per request. Only `rr`, the caller's own round-robin
// counter, changes as it goes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/common/resilience.hpp"
#include "sim/engine/ids.hpp"
#include "sim/support/hash_ring.hpp"
#include "sim/support/sharding.hpp"

namespace archsim {

// Which copy of each shard is its primary now: the endpoint callers resolve for writes, like a
// VIP or a DNS name that the database moves when it promotes a replica (models/database/database.hpp). One
// per database with `failover:`, written by its nodes and read by every caller's `route`; the move
// is seen by the next call after it (no DNS TTL is modelled).
struct PrimaryView {
  std::vector<uint32_t> primary;  // by shard: the index of the primary within the shard's copies (0 = first)
  // By node (shard x copies + copy): taken out of the read rotation (a failed primary, from its
  // replacement's promotion until it has rejoined).
  std::vector<uint8_t> out;
};

// Where a call goes: the replicas of the callee the caller reaches, and how one is chosen.
struct CallTarget {
  std::string component;
  std::vector<NodeId> replicas;
  bool by_key = false;  // caches and databases: the key picks the replica (hash mod N); else round robin
  // Sharded targets (`shards:`, `read_replicas:`): `shard_map` (or hash mod the shard count when
  // null) picks the shard; a shard is `group` consecutive replicas, its primary first, then its
  // read replicas. Writes go to the primary; reads as `reads`.
  enum class ReadRoute : uint8_t { Primary, Replicas, Any };
  std::shared_ptr<const ShardMap> shard_map;
  int64_t group = 1;
  ReadRoute reads = ReadRoute::Primary;
  std::shared_ptr<const PrimaryView> primaries;  // null: each shard's first copy is its primary
  bool sharded() const { return shard_map != nullptr || group > 1; }
  std::shared_ptr<const HashRing> ring;  // when set, the key picks the replica on this ring (cache clusters)
  // Replicas in other regions than the caller's, nearest first (replicated stores): where a call
  // with `failover: true` sends its retries.
  std::vector<NodeId> remote;
};

// The replica of `t` that serves a request for `key`, in this order: the only one; by shard (the
// shard's primary for a write, a read as `t.reads` says); the key's owner on the ring; the key's
// hash mod the replicas (`by_key`); else the next in the caller's round robin `rr`.
NodeId route(const CallTarget& t, uint64_t key, bool write, uint64_t& rr);

// A call as a caller makes it: its shape and targets, hedging and tying, its policy.
struct ResolvedCall {
  enum class Shape { Single, Parallel, Fanout };
  Shape shape = Shape::Single;
  std::vector<CallTarget> targets;  // Parallel: several; else one
  int64_t fanout = 0;               // Fanout: replicas called, -1 = all
  // A single call to a cache_aside cache: the cache's backend, which the caller reads on a miss
  // (then fills the cache) and writes to (then invalidates the key). Null otherwise.
  std::shared_ptr<const ResolvedCall> aside_backend;
  int64_t wait_for = 0;             // Fanout: answers needed before the caller goes on; 0 = all
  // Hedging (Dean & Barroso, "The Tail at Scale"): a request still unanswered after the delay gets
  // a backup on another replica; the first answer wins, the other is discarded when it comes.
  double hedge_after = 0;     // seconds; used when hedge_quantile is 0
  double hedge_quantile = 0;  // > 0: the delay is this quantile of the answer times seen so far
  bool hedged() const { return hedge_after > 0 || hedge_quantile > 0; }
  // Tied requests (same paper): every request goes to two replicas at once; the copy that gets a
  // worker first cancels the other if that one is still queued; the first answer wins.
  bool tied = false;
  // Failure handling by the caller (models/common/resilience.hpp): Single calls only, neither hedged nor
  // tied (the loader sees to it). `op` names the logical call for the receiver's write ledger;
  // `edge` is where the caller's statistics for this callee go (null: not counted).
  CallPolicy policy;
  uint32_t op = 0;
  EdgeStats* edge = nullptr;
  bool guarded() const { return policy.active() && shape == Shape::Single && !hedged() && !tied; }
};

struct StationParams {
  int64_t workers = -1;       // per replica; -1 = unbounded
  int64_t queue = -1;         // per replica; -1 = unbounded
  double cores = 1;           // CPU servers of the replica
  double io_parallelism = 0;  // disk channels; 0 = no disk
};

}  // namespace archsim
