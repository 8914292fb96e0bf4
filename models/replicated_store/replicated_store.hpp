// A replicated key-value store (`kind: replicated_store`): one register per key, copies on
// replicas placed in regions, and a consistency mode that decides what a partition costs.
//
// `cp`: leader-based majority replication in the manner of Raft. A write commits once a majority
// of replicas has it in its log; reads are served by the leader under a lease (or after a
// read-index round of heartbeats), so every operation is linearizable. A follower forwards its
// clients' operations to the leader. When the leader is lost, followers elect a new one after a
// randomized `election_timeout`; a leader that hears from no majority for that long steps down
// (check-quorum), so the minority side of a partition has no leader and refuses (or drops, with
// `minority: timeout`) its clients' operations. The trade-off, as a bank balance needs it: no
// stale read and no lost write, paid for with errors on the minority side and a majority round
// trip on every write.
//
// `ap`: every replica coordinates reads and writes for its clients (Dynamo-style). A write goes
// to the key's `n` home replicas and is acknowledged after `w` of them applied it; a read asks them
// and answers after `r`. With `sloppy: true` (the default) the coordinator answers with what it
// has when fewer answer in time and keeps a hint for each unreachable replica, delivered when it
// is back (hinted handoff). Conflicts resolve by last-writer-wins on the coordinator's clock
// (`clock_skew` per replica makes it drop writes) or keep concurrent values as siblings under
// version vectors. Read repair and periodic anti-entropy bring the replicas together after a
// heal. The trade-off, as a "last seen" timestamp or a shopping cart wants it: always an answer,
// possibly stale, and with LWW some acknowledged writes silently lost.
//
// Idempotency keys (`call_policy: {idempotency: true}` on a call to the store): a cp store keeps
// the key with the write in its log entry and in the replicated state, so a retried write that
// reaches the log again is applied once, whichever leader commits it (the key table travels in
// snapshots); an ap store's coordinators share a key table, as a database's replicas do.
//
// Capacity: each replica has `cores`; an operation holds one for `op_time` at the replica that
// executes it (cp: the leader, so a follower forwards at once and every read and write of the
// store queues at the leader's cores; ap: its coordinator), first come first served.
//
// Left out: log persistence costs, membership changes, and Merkle trees (anti-entropy sends
// what a tree exchange would find: the keys updated since the last exchange with that peer).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/replicated_store/store_spec.hpp"
#include "sim/support/consistency.hpp"
#include "sim/support/distribution.hpp"
#include "models/common/message.hpp"
#include "models/common/resilience.hpp"
#include "sim/support/random.hpp"

namespace archsim {

// The store's parameters (store_spec.hpp) and its wiring: the engine nodes of its replicas.
struct ReplicatedStoreParams : StoreSpec {
  std::vector<NodeId> replicas;  // every replica, in placement order
};

// What the replicas of one store share: measurement only, never read by the cp protocol.
struct StoreShared {
  ConsistencyOracle* oracle = nullptr;
  StoreStats* stats = nullptr;
  AppliedLog* applied = nullptr;  // cp
  // Calls that retry or carry idempotency keys (null without any): the writes applied, by request
  // and logical call, which counts a write applied twice. An ap store also reads it as its
  // idempotency-key table (a shared table, looked up by the coordinator in `key_lookup`); a cp
  // store keeps its keys in the replicated state itself, for `key_ttl` seconds.
  WriteLedger* ledger = nullptr;
  uint64_t* counted_upto = nullptr;  // cp: the last log index whose write was counted
  double key_ttl = 0, key_lookup = 0;
  ComponentStats* comp = nullptr;  // the store's row of the component table (cores, queue, residence)
};

std::unique_ptr<Node> make_store_replica(const ReplicatedStoreParams& params, int index, StoreShared shared, Rng rng);

}  // namespace archsim
