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
// Left out: queueing at the replicas (each operation costs `op_time` at its coordinator, without
// contention), log persistence costs, membership changes, and Merkle trees (anti-entropy sends
// what a tree exchange would find: the keys updated since the last exchange with that peer).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sim/support/consistency.hpp"
#include "sim/support/distribution.hpp"
#include "models/common/message.hpp"
#include "sim/support/random.hpp"

namespace archsim {

struct ReplicatedStoreParams {
  enum class Mode { Cp, Ap };
  Mode mode = Mode::Cp;
  std::vector<NodeId> replicas;      // every replica, in placement order
  Distribution op_time = Distribution::constant(100e-6);  // per operation at its coordinator
  double value_bytes = 100;          // size of a stored value on the wire

  // cp. A longer election timeout rides out slow links without needless elections but leaves the
  // store without a leader for longer after a real failure.
  double election_timeout = 1.0;     // seconds; each wait is uniform in [T, 2T]
  double heartbeat_interval = 0.1;   // seconds; also the read-index and retransmission round
  bool minority_rejects = true;      // false: operations with no leader are dropped (callers time out)
  bool lease_reads = true;           // false: every read waits for a read-index round
  bool pre_vote = true;              // false: a replica back from a partition deposes the leader with its higher term
  int64_t max_batch = 512;           // log entries per append message

  // ap. Larger r and w buy fresher reads with more waiting; sloppy quorums buy availability with
  // staleness; a shorter anti-entropy interval converges faster for more background traffic.
  int64_t n = 0, r = 1, w = 1;       // n = 0: every replica is a home replica of every key
  bool sloppy = true;
  bool siblings = false;             // false: last-writer-wins
  std::vector<double> clock_skew;    // seconds added to each replica's clock (LWW timestamps)
  double request_timeout = 0.5;      // seconds a coordinator waits for replicas
  bool read_repair = true;
  bool hinted_handoff = true;
  double hint_retry = 1.0;           // seconds between hint deliveries
  int64_t max_hints = 100000;        // per replica; beyond, hints are dropped (anti-entropy repairs)
  double anti_entropy_interval = 10; // seconds; 0 = none
};

// What the replicas of one store share: measurement only, never read by the protocol.
struct StoreShared {
  ConsistencyOracle* oracle = nullptr;
  StoreStats* stats = nullptr;
  AppliedLog* applied = nullptr;  // cp
};

std::unique_ptr<Node> make_store_replica(const ReplicatedStoreParams& params, int index, StoreShared shared, Rng rng);

}  // namespace archsim
