// What a replicated store's clients could observe, measured from outside the store: availability,
// stale reads, lost acknowledged writes, divergence between replicas and convergence after a heal.
//
// The oracle sees every client operation from its invocation to its answer and every change to
// every replica's copy of a key, with the simulation's global clock. It takes no part in the
// protocol: the replicas never read it. Definitions (docs/outputs.md, "Replicated stores"):
// - A read is *stale* when it misses a write acknowledged before the read began: it returned no
//   value, or a value whose write was acknowledged before that newer write was invoked (a value
//   whose write overlaps the newer one may be ordered either way, so it is not counted).
// - An acknowledged write is *lost* when some replica discards it in favour of a write that was
//   acknowledged before it was invoked (last-writer-wins with skewed clocks does this): nothing
//   that follows can bring it back. Writes never acknowledged (a deposed leader's uncommitted
//   entries, failed writes) are never counted.
// - A key *diverges* while its replicas hold different values. After a heal, the convergence time
//   is when every key that diverged at the heal has been equal on all replicas at least once.
// Memory is bounded by the keys touched and the values still held somewhere.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sim/support/histogram.hpp"
#include "sim/support/metrics.hpp"

namespace archsim {
class HistoryWriter;
}

namespace archsim {

// Statistics of one `replicated_store` component (summary `stores.<name>`).
struct StoreStats {
  std::string name, consistency;
  int64_t replicas = 0, n = 0, r = 0, w = 0;
  bool sloppy = false, siblings = false;
  double window_start = 0, window_end = 0;
  std::vector<std::string> regions;  // region of each replica
  std::vector<std::string> region_names;  // distinct regions, in replica order

  struct Side {
    uint64_t reads = 0, reads_ok = 0, writes = 0, writes_ok = 0;  // measured window
  };
  std::vector<Side> by_region;  // index into region_names
  struct SecondAvail {
    uint32_t attempted = 0, ok = 0;
  };
  std::vector<std::vector<SecondAvail>> series;  // [region][second], whole run

  uint64_t reads_checked = 0, stale_reads = 0, sibling_reads = 0;
  LatencyHistogram staleness;  // read start minus the acknowledgement of the newest missed write
  // PBS t-visibility in normal operation (no fault active): reads by time since the key's newest
  // acknowledged write, and how many of them saw it (or something newer).
  static constexpr int kVisibilityBins = 14;
  static const double kVisibilityEdges[kVisibilityBins];  // lower edges, seconds
  uint64_t visibility_reads[kVisibilityBins] = {}, visibility_fresh[kVisibilityBins] = {};

  uint64_t writes_acknowledged = 0, lost_acknowledged_writes = 0;  // whole run
  TimeWeighted diverged;         // keys whose replicas disagree
  uint64_t diverged_at_end = 0;
  struct Heal {
    double at = 0;
    uint64_t diverged = 0;       // keys diverged at the heal
    double converged_at = -1;    // -1: not by the end of the run
  };
  std::vector<Heal> heals;

  LatencyHistogram read_latency, write_latency;  // successful operations outside fault windows

  // Protocol activity (whole run).
  uint64_t elections = 0, forwarded = 0, snapshots_sent = 0;
  uint64_t hints_stored = 0, hints_delivered = 0, hints_dropped = 0;
  uint64_t read_repairs = 0, anti_entropy_rounds = 0, anti_entropy_keys = 0;
  uint64_t sloppy_writes = 0, sloppy_reads = 0;
  struct LeaderChange {
    double at = 0;
    int replica = 0;
    uint64_t term = 0;
  };
  std::vector<LeaderChange> leaders;  // cp: every election won, in time order

  // Writes of calls that retry or carry idempotency keys (measured window): applied, applied
  // again for the same logical call ("charging a customer twice"), and retries answered from the
  // idempotency key without applying them.
  bool tracks_writes = false;
  uint64_t writes_applied = 0, duplicate_applies = 0, idempotent_replays = 0;

  // cp log disks (`log_sync`), per replica, measured window: syncs, and seconds spent writing
  // bytes (sync latency excluded: with group commit that part does not grow with the load).
  double log_sync = 0, log_bandwidth = 0;
  std::vector<uint64_t> log_syncs;
  std::vector<double> log_transfer_s;

  // cp safety: the first log index two replicas applied with different entries ("" = none).
  std::string safety_violation;
};

// cp safety, checked on every apply: no two replicas apply different entries at one log index
// (Raft's State Machine Safety). Keeps the most recent indices only.
class AppliedLog {
 public:
  explicit AppliedLog(StoreStats* stats) : st_(stats) {}
  void applied(int replica, uint64_t index, uint64_t term, uint64_t value);

 private:
  static constexpr uint64_t kWindow = uint64_t(1) << 16;  // beyond this a follower gets a snapshot anyway
  struct Slot {
    uint64_t index = 0, term = 0, value = 0;
    int replica = -1;
  };
  StoreStats* st_;
  std::vector<Slot> slots_ = std::vector<Slot>(kWindow);
};

class ConsistencyOracle {
 public:
  // `fault_windows`: [start, end) of every fault, so latency and visibility cover normal operation;
  // `heals`: when partitions and link failures end.
  ConsistencyOracle(StoreStats* stats, int replicas, std::vector<std::pair<double, double>> fault_windows,
                    std::vector<double> heals);

  // A client operation reached coordinator replica `coordinator` (whose region index is given).
  // Returns its id; `value` is the new value of a write (unique in the run).
  uint64_t invoke(double now, int coordinator, bool write, uint64_t key, uint64_t value);
  // Its answer: ok, failed (it did not take effect), or unknown (it may have). `value` is what a
  // successful read returned (0: the key was never written). `Replayed`: a retried write whose
  // idempotency key the store had applied already; its caller hears ok, and this attempt's own
  // value never takes effect (the history records the attempt as failed, which it is).
  enum class Outcome { Ok, Fail, Unknown, Replayed };
  void complete(double now, uint64_t op, Outcome outcome, uint64_t value = 0, bool siblings = false);

  // Replica `replica` now holds `value` for `key`: the value a read there returns. `state` tells
  // replicas apart for divergence (the value itself, or a hash of a set of siblings).
  void hold(double now, int replica, uint64_t key, uint64_t value, uint64_t state);
  // A replica dropped `loser` (held or arriving) because `winner` supersedes it.
  void discard(double now, uint64_t loser, uint64_t winner);

  void finish(double end);

  uint64_t new_value() { return ++last_value_; }
  // Records every operation in `h` from now on (invocation and completion, at the coordinator).
  // Store `index` of a run (0, 1, ...) offsets its keys by index x 2^40 and its processes by
  // index x 2^32, so several stores can share one history.
  void set_history(HistoryWriter* h, int index) {
    history_ = h;
    key_offset_ = static_cast<int64_t>(index) << 40;
    process_offset_ = static_cast<int64_t>(index) << 32;
  }

 private:
  struct ValueRecord {
    uint64_t key = 0;
    double invoke = 0, ack = -1;
    uint32_t holders = 0;  // replicas whose read returns it
    bool doomed = false, counted = false, open = true;  // open: its operation has not completed
  };
  struct KeyState {
    std::vector<uint64_t> held;    // per replica: the value a read returns
    std::vector<uint64_t> state;   // per replica: what divergence compares
    double newest_acked_invoke = -1, newest_acked_ack = -1, last_ack = -1;
  };
  struct Op {
    double start = 0;
    uint64_t key = 0, value = 0;
    bool write = false, measured = false;
    int region = 0;
    uint32_t process = 0;
    int coordinator = 0;
    // Reads: the key's newest acknowledged write when the read began.
    double newest_invoke = -1, newest_ack = -1, last_ack = -1;
  };

  bool in_fault(double t) const;
  void advance(double now);
  void update_divergence(double now, uint64_t key, KeyState& ks);
  double ack_of(uint64_t value) const;
  uint32_t take_process(int coordinator);
  void prune(double now);

  StoreStats* st_;
  int replicas_;
  std::vector<std::pair<double, double>> faults_;
  std::vector<double> heal_times_;
  size_t next_heal_ = 0;
  HistoryWriter* history_ = nullptr;
  int64_t key_offset_ = 0, process_offset_ = 0;
  uint64_t last_value_ = 0, next_op_ = 1;
  std::unordered_map<uint64_t, KeyState> keys_;
  std::unordered_map<uint64_t, ValueRecord> values_;   // values written whose fate is still open
  std::unordered_map<uint64_t, Op> ops_;               // operations in flight
  std::unordered_set<uint64_t> diverged_keys_;
  std::unordered_set<uint64_t> watching_;               // keys diverged at the last heal, not yet converged
  std::vector<std::vector<uint32_t>> free_processes_;   // per coordinator
  std::vector<uint32_t> next_process_;
};

}  // namespace archsim
