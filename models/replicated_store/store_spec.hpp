// What a replicated store is (`kind: replicated_store`, docs/topology.md#replicated-stores): its
// parameters, declared once. The loader fills them; the model (replicated_store.hpp) takes them
// with its wiring beside them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/support/distribution.hpp"
#include "sim/support/location.hpp"

namespace archsim {

struct StoreSpec {
  enum class Consistency { Cp, Ap };
  // cp: a leader and majority commits (linearizable; the minority side of a partition cannot
  // write). ap: Dynamo-style quorums (available on both sides; reads may be stale, writes may
  // conflict).
  Consistency consistency = Consistency::Cp;
  std::vector<std::string> placement;  // the region of each replica, in replica order
  std::vector<Location> placement_locs;
  Distribution op_time = Distribution::constant(100e-6);  // per operation, on a core of the replica that executes it
  int64_t cores = 8;                                      // per replica
  // Each replica's log disk. A sync takes `log_sync` plus the bytes written / `log_bandwidth`.
  // cp: the leader counts an entry toward the majority, and a follower acknowledges it, once
  // synced; ap: a replica applies and acknowledges a write once synced.
  // 0: the log is not modelled (entries are durable as soon as appended).
  double log_sync = 0;
  double log_bandwidth = 8e9;  // bits/s (1 GB/s: the seed's "read 1 MB sequentially from SSD: 1 ms")
  double value_bytes = 100;                               // size of a stored value on the wire

  // cp. A longer election timeout rides out slow links without needless elections but leaves the
  // store without a leader for longer after a real failure.
  double election_timeout = 1.0;    // seconds; each wait is uniform in [T, 2T]
  double heartbeat_interval = 0.1;  // seconds; also the read-index and retransmission round
  bool minority_rejects = true;     // false: operations with no leader are dropped (callers time out)
  bool lease_reads = true;          // false: every read waits for a read-index round
  bool pre_vote = true;             // false: a replica back from a partition deposes the leader with its higher term
  int64_t max_batch = 512;          // log entries per append message (not a file key)
  // The store starts with an elected leader (term 1, every replica's vote) at the first replica in
  // region `leader` ("" = the first replica), unless `cold_start`, where the replicas start as
  // followers and elect one after an election timeout.
  std::string leader;
  Location leader_loc;
  Location election_timeout_loc;  // where the file gave it (none: the default)
  Location heartbeat_interval_loc;
  bool cold_start = false;

  // ap. Larger r and w buy fresher reads with more waiting; sloppy quorums buy availability with
  // staleness; a shorter anti-entropy interval converges faster for more background traffic.
  int64_t n = 0, r = 1, w = 1;  // n = 0: every replica is a home replica of every key
  Location quorum_loc;
  bool sloppy = true;
  bool siblings = false;           // false: last-writer-wins
  std::vector<double> clock_skew;  // seconds added to each replica's clock (LWW timestamps)
  Location clock_skew_loc;
  double request_timeout = 0.5;  // seconds a coordinator waits for replicas
  bool read_repair = true;
  bool hinted_handoff = true;
  double hint_retry = 1.0;           // seconds between hint deliveries
  int64_t max_hints = 100000;        // per replica; beyond, hints are dropped (anti-entropy repairs)
  double anti_entropy_interval = 10; // seconds; 0 = none

};

}  // namespace archsim
