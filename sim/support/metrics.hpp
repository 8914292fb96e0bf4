// Named statistics the models emit; how they are summarized is report.hpp's business.
//
// All replicas of a component share one ComponentStats (the simulation runs on one thread).
// Counts and latency histograms cover the measured window [warmup, duration]; per-second series
// cover the whole run so the cold start stays visible. Nothing here grows with the number of
// requests: histograms are fixed-size and series grow with simulated seconds.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/support/heavy_hitters.hpp"
#include "sim/support/critical_path.hpp"
#include "sim/support/histogram.hpp"

namespace archsim {

// Why a request or a call failed, as the summary names it (`failed_by_reason`).
namespace reason {
inline constexpr const char* kRejected = "rejected";         // a full queue or a rate limit refused it
inline constexpr const char* kTimeout = "timeout";           // a call's own timeout fired
inline constexpr const char* kUnavailable = "unavailable";   // the dependency was down (connection refused or broken)
inline constexpr const char* kCircuitOpen = "circuit_open";  // the caller's breaker failed it fast
inline constexpr const char* kTimedOut = "timed_out";        // the client stopped waiting (`timeout:` on a client)
}  // namespace reason

// The failure reasons a response can carry (index into per-reason counters).
enum class FailReason : uint8_t { Rejected, Timeout, Unavailable, CircuitOpen, Count };
const char* to_string(FailReason r);

// What the callers' failure handling did on one edge (caller component -> callee), summed over the
// caller's replicas. The measured window's counts, and whole-run totals for the invariants.
struct EdgeStats {
  uint64_t calls = 0;               // logical calls (first attempts)
  uint64_t attempts = 0;            // requests sent: first attempts and retries
  uint64_t retries = 0;
  uint64_t retries_suppressed = 0;  // a retry the budget refused: the call failed instead
  uint64_t failovers = 0;           // retries sent to another region's replica (`failover: true`)
  uint64_t failed[static_cast<size_t>(FailReason::Count)] = {};  // logical calls that failed, by reason
  uint64_t fallback_open = 0;       // failures turned into success by fail_open
  uint64_t stale_served = 0;        // failures answered from the stale cache
  uint64_t late_answers = 0;        // answers after the call's timeout, discarded
  // Whole run, calls with a retry budget only: for "retries never exceed their budget", the retries
  // they made and what their first attempts deposited (max_retry_ratio each).
  uint64_t budget_retries_total = 0;
  double budget_deposits_total = 0;
  struct Transition {
    double t;
    size_t replica;
    const char* state;
  };
  std::vector<Transition> transitions;  // the first kMaxTransitions, then only counted
  uint64_t transitions_total = 0;
  static constexpr size_t kMaxTransitions = 200;
};

// "Retries never exceed their budget": throws std::runtime_error naming the edge when its calls
// with a budget retried more than max_retry_ratio x their first attempts over the run.
void check_retry_budget(const std::string& caller, const std::string& callee, const EdgeStats& e);

// Outcome names, as they appear in the summary.
namespace outcome {
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kRejected = "rejected";    // a full queue refused it
inline constexpr const char* kTimedOut = "timed_out";   // the client stopped waiting
inline constexpr const char* kFailed = "failed";        // a downstream failure
}  // namespace outcome

// The time integral of a quantity that changes by steps (busy workers, queue length).
class TimeWeighted {
 public:
  // `bins` > 0 also keeps the integral over that many equal slices of the measured window (a trend
  // over the window however short it is: the steady-state verdict's backlog growth).
  void configure(double window_start, double window_end, int bins = 0);
  void add(double t, double delta);
  void close(double t) { add(t, 0); }
  double value() const { return value_; }
  // Time average over the measured window. REQUIRES: close(window_end) was called.
  double mean() const;
  double max() const { return max_; }
  // Integral per simulated second since t = 0.
  const std::vector<double>& per_second() const { return per_second_; }
  // Time average over each slice of the window (empty unless configured with bins).
  std::vector<double> window_means() const;

 private:
  void integrate_to(double t);
  void add_to_bins(double a, double b);
  double value_ = 0, last_ = 0, integral_ = 0, max_ = 0;
  // The second [sec_, sec_ + 1) that last_ was found in: most changes fall in the same second.
  long sec_ = -1;
  double ws_ = 0, we_ = 0;
  std::vector<double> per_second_;
  std::vector<double> bins_;  // integral per slice of the window
  double bin_width_ = 0;
};

// Slices of the measured window over which backlogs are followed (clients' requests in flight,
// components' queues): the steady-state verdict fits their trend.
inline constexpr int kTrendBins = 20;

// One row of timeseries.csv for a component and a simulated second.
struct SecondRow {
  uint64_t completed = 0;
  uint64_t errors = 0;
  double p50 = 0, p99 = 0;  // seconds
};

class SecondSeries {
 public:
  void record(double t, double latency, bool ok);
  void finish(double end);
  const std::vector<SecondRow>& rows() const { return rows_; }

 private:
  void roll_to(long second);
  long current_ = 0;
  SecondRow row_;
  LatencyHistogram hist_;
  std::vector<SecondRow> rows_;
};

// Rate limiters (and load balancers with `rate_limit:`): shared by the replicas of one component.
struct RateLimitStats {
  std::string algorithm, per, state;
  double burst_window = 0;   // seconds over which the largest burst is measured
  double nominal_limit = 0;  // what one set of counters may admit per key in that window, by definition
  uint64_t admitted = 0, limited = 0;                        // decisions in the measured window
  uint64_t store_errors = 0, failed_open = 0, failed_closed = 0;  // central state: store failed or timed out
  uint64_t largest_burst = 0;  // most admitted for one key in any burst window
  double largest_burst_at = 0; // when that window ended (simulated seconds)
  LatencyHistogram decision;   // arrival to decision: a store round trip when central
};

// Queues: one topic with its consumer group.
struct QueueStats {
  int64_t partitions = 1, consumers = 1;
  bool ordered = true;
  // Messages enqueued in the measured window, and what became of them.
  uint64_t enqueued = 0, processed = 0, dead_lettered = 0, retries = 0, rejected_full = 0;
  LatencyHistogram delay;  // enqueue to processed, successful messages
  // The whole run, for the accounting check enqueued = processed + dead-lettered + backlog.
  uint64_t enqueued_total = 0, processed_total = 0, dead_lettered_total = 0, backlog_at_end = 0;
  uint64_t max_partition_lag = 0;  // the most messages one partition held unfinished at once
  TimeWeighted lag;                // messages enqueued and not yet finished (waiting, in service or backing off)
  double oldest_age_at_end = 0;    // seconds the oldest unfinished message had waited at the end
};

// What a cache component's replicas saw (docs/outputs.md). Counts cover the measured window, except
// the data-loss counts, which cover the whole run.
struct CacheStats {
  uint64_t evictions = 0;          // entries pushed out to make room
  uint64_t expired = 0;            // lookups that found the key past its TTL (counted among the misses)
  uint64_t stampede_misses = 0;    // backend reads sent while another read of the same key was in flight
  uint64_t coalesced_misses = 0;   // misses that waited for the read in flight instead (coalesce_misses)
  uint64_t fills = 0;              // cache_aside: entries the callers wrote back after a miss
  uint64_t invalidations = 0;      // writes that removed the key
  uint64_t writes_acknowledged = 0;  // write_behind: writes acknowledged before reaching the backend (whole run)
  uint64_t writes_flushed = 0;       // write_behind: of those, sent to the backend (whole run)
  uint64_t unflushed_writes_lost = 0;  // write_behind: acknowledged, never flushed, lost in a crash (whole run)
  // Whether it filled: capacity and charge used at the end, summed over replicas; lookups and hits
  // in the first half of the measured window (the rest are in the second half).
  double capacity = 0, used_at_end = 0;
  uint64_t first_half_lookups = 0, first_half_hits = 0;
  std::vector<uint64_t> replica_lookups;  // reads per replica
  HeavyHitters hot_keys{128};             // the most read keys, tagged with their replica
};

// One crash of a shard's primary and what became of it (databases with `failover:`, docs/outputs.md).
// Times are simulated seconds; -1 = did not happen before the run ended.
struct FailoverRecord {
  int64_t shard = 0;
  double crashed_at = 0;
  double detected_at = -1;   // hot standby: the replicas gave up on the primary and chose one
  double promoted_at = -1;   // the shard took writes again (a promoted replica, or the restored or restarted primary)
  int64_t new_primary = -1;  // the component replica index now primary
  double rto = -1;           // crash to the first write acknowledged after it
  // Acknowledged writes the promoted replica had not applied, dropped at the promotion (the RPO), and
  // when the oldest and newest of them were acknowledged.
  uint64_t lost_writes = 0;
  double lost_oldest_at = -1, lost_newest_at = -1;
  // At the crash instant: acknowledged writes that no live replica had applied or was applying.
  uint64_t unreplicated_at_crash = 0;
};
struct FailoverStats {
  std::string mode;  // auto | manual
  bool sync = false;
  double detect_after = 0, promote_time = 0, restore_time = 0;
  std::vector<FailoverRecord> records;  // one per primary crash: bounded by the fault list
};

struct ComponentStats {
  std::string name;
  std::string kind;
  int64_t replicas = 1;
  const char* pool = "workers";      // what bounds its concurrent requests (KindTraits::pool)
  bool counts_hits = false;          // a cache: hits, misses and its own counters are reported
  bool counts_connections = false;   // a database: connections and replication are reported
  int64_t workers_per_replica = -1;  // -1 unbounded
  int64_t cores_per_replica = 1;
  int64_t io_per_replica = 0;        // disk parallelism; 0 = no disk
  double window_start = 0, window_end = 0;

  uint64_t arrivals = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
  uint64_t rejected = 0;
  uint64_t disk_full_rejections = 0;  // databases: writes refused while a disk_full fault held
  LatencyHistogram residence;  // arrival to response, completed requests
  double wait_sum = 0;         // time spent waiting for a worker, over completed and failed
  uint64_t wait_count = 0;
  double cpu_time_sum = 0, io_time_sum = 0, downstream_sum = 0;

  TimeWeighted busy_workers;
  TimeWeighted queue_len;
  TimeWeighted in_system;
  TimeWeighted busy_cores;
  TimeWeighted busy_io;
  SecondSeries series;

  // A kind's own counters by name (Kind::section reads them); std::map, so references stay valid.
  std::map<std::string, uint64_t> counters;

  // Cache only.
  uint64_t hits = 0, misses = 0;
  CacheStats cache;

  // Rate limiters and load balancers with `rate_limit:`; queues. Null for other kinds.
  std::shared_ptr<RateLimitStats> rate_limit;
  std::shared_ptr<QueueStats> queue;
  std::shared_ptr<FailoverStats> failover;  // databases with `failover:`
  // Sharded components (docs/outputs.md). Per replica (node): arrivals in the measured window and
  // busy cores and disk channels; sized by the scenario for sharded components only, else empty.
  std::vector<uint64_t> replica_arrivals;
  std::vector<TimeWeighted> replica_busy_cores, replica_busy_io;
  int64_t shard_group = 0;  // nodes per shard (1 + read replicas); 0 = not sharded
  // One replica may saturate alone (a cp store's leader runs every operation): the CPU column and
  // the verdict judge the busiest of `replica_busy_cores`, as the mean over replicas would hide it.
  bool judged_per_replica = false;
  // Replication (databases): reads served by a read replica, those that missed a committed write
  // (stale) and those that missed one acknowledged before the read was sent (read-your-writes,
  // the caller keyed by the request key); staleness age; replication lag (send to applied).
  uint64_t replica_reads = 0, stale_reads = 0, ryw_violations = 0, writes_replicated = 0;
  LatencyHistogram staleness, replication_lag;
  int64_t peak_connections = 0;  // most connections busy at once on one node

  // Downstream calls this component made (measured requests): every request sent, the backups
  // among them (hedges), and answers that came after the caller had stopped waiting (a hedge's
  // loser, a partial fan-out's stragglers): the extra load the mitigations cost.
  uint64_t calls_sent = 0, backup_calls = 0, late_answers = 0;
  // Tied copies this component dropped from its queue because the other copy started first.
  uint64_t tied_cancelled = 0;
  // Failure handling by this component as a caller, per callee (models/common/resilience.hpp); only
  // edges with a policy. As a receiver of tracked writes: writes applied again for the same
  // logical call (`duplicate_applies`, "charging a customer twice") and retried idempotent writes
  // answered from the key store without applying them (`idempotent_replays`).
  std::map<std::string, EdgeStats> edges;
  uint64_t writes_applied = 0, duplicate_applies = 0, idempotent_replays = 0;  // writes of tracked calls
  bool tracks_writes = false;

  void configure(double ws, double we);
  bool in_window(double t) const { return t >= window_start; }
  void close(double end);
};

struct ClientStats {
  std::string name;
  double window_start = 0;
  uint64_t generated = 0, completed = 0, rejected = 0, timed_out = 0, failed_downstream = 0, in_flight_at_end = 0;
  // failed_downstream by reason (FailReason; Rejected stays 0: a rejection is `rejected`).
  uint64_t failed_by[static_cast<size_t>(FailReason::Count)] = {};
  LatencyHistogram all;
  std::vector<std::string> type_names;
  std::vector<LatencyHistogram> by_type;
  // Per request type, measured window: requests sent and requests completed (availability).
  std::vector<uint64_t> generated_by_type, completed_by_type, in_flight_by_type;
  // Requests sent and not yet answered or timed out, whole run (followed over kTrendBins slices of
  // the window), and the age at the end of each measured request still in flight.
  TimeWeighted outstanding;
  LatencyHistogram in_flight_age;
  SecondSeries series;
  // Per second of the whole run and per request type: requests answered and requests failed
  // (rejected, failed or timed out), counted as `series` counts them (type_timeseries.csv).
  struct TypeSecond {
    uint64_t completed = 0, errors = 0;
  };
  std::vector<std::vector<TypeSecond>> type_seconds;  // [second][type]
  void record_type_second(double t, size_t type, bool ok) {
    size_t sec = t > 0 ? static_cast<size_t>(t) : 0;
    if (type_seconds.size() <= sec) type_seconds.resize(sec + 1);
    auto& row = type_seconds[sec];
    if (row.size() <= type) row.resize(type + 1);
    auto& cell = row[type];
    ++(ok ? cell.completed : cell.errors);
  }
  CriticalPathStats critical;  // where the completed requests' time went
};

}  // namespace archsim

namespace archsim {

// A feed's statistics (models/feed/feed.hpp), over the measured window.
struct FeedStats {
  std::string name;
  std::string strategy;
  double window_start = 0, window_end = 0;
  uint64_t accounts = 0, edges = 0;
  uint64_t posts = 0, posts_pushed = 0, posts_pulled = 0;  // pulled: left for readers to fetch (hybrid, pull)
  uint64_t timeline_writes = 0;
  LatencyHistogram write_amplification;  // timeline writes per pushed post, recorded as writes x 1e-3 "seconds"
  uint64_t max_writes_per_post = 0, min_writes_per_post = UINT64_MAX;
  LatencyHistogram delivery_lag;         // post to in every follower's timeline (pushed posts)
  uint64_t undelivered_at_end = 0;       // pushed posts still in the queue when the run ended
  TimeWeighted backlog;                  // timeline writes waiting in the fan-out queue or in progress
  uint64_t reads = 0, read_calls = 0, celebrity_fetches = 0;
  uint64_t max_calls_per_read = 0, min_calls_per_read = UINT64_MAX;
  LatencyHistogram read_latency;
  double timeline_bytes = 0;       // timeline cache contents at the end
  double timeline_full_bytes = 0;  // with every pushed-to timeline at timeline_len
};

}  // namespace archsim
