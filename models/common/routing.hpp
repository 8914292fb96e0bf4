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

#include "models/common/message.hpp"
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
};

// The replica of `t` that serves a request for `key`, in this order: the only one; by shard (the
// shard's primary for a write, a read as `t.reads` says); the key's owner on the ring; the key's
// hash mod the replicas (`by_key`); else the next in the caller's round robin `rr`.
NodeId route(const CallTarget& t, uint64_t key, bool write, uint64_t& rr);

}  // namespace archsim
