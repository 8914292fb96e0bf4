// Named statistics the models emit; how they are summarized is report.hpp's business.
//
// All replicas of a component share one ComponentStats (the simulation runs on one thread).
// Counts and latency histograms cover the measured window [warmup, duration]; per-second series
// cover the whole run so the cold start stays visible. Nothing here grows with the number of
// requests: histograms are fixed-size and series grow with simulated seconds.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/histogram.hpp"

namespace archsim {

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
  void configure(double window_start, double window_end);
  void add(double t, double delta);
  void close(double t) { add(t, 0); }
  double value() const { return value_; }
  // Time average over the measured window. REQUIRES: close(window_end) was called.
  double mean() const;
  double max() const { return max_; }
  // Integral per simulated second since t = 0.
  const std::vector<double>& per_second() const { return per_second_; }

 private:
  void integrate_to(double t);
  double value_ = 0, last_ = 0, integral_ = 0, max_ = 0;
  double ws_ = 0, we_ = 0;
  std::vector<double> per_second_;
};

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

struct ComponentStats {
  std::string name;
  std::string kind;
  int64_t replicas = 1;
  int64_t workers_per_replica = -1;  // -1 unbounded
  int64_t cores_per_replica = 1;
  int64_t io_per_replica = 0;        // disk parallelism; 0 = no disk
  double window_start = 0, window_end = 0;

  uint64_t arrivals = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
  uint64_t rejected = 0;
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

  // Cache only.
  uint64_t hits = 0, misses = 0;

  // Sharded components (docs/outputs.md). Per replica (node): arrivals in the measured window and
  // busy cores and disk channels; sized by the scenario for sharded components only, else empty.
  std::vector<uint64_t> replica_arrivals;
  std::vector<TimeWeighted> replica_busy_cores, replica_busy_io;
  int64_t shard_group = 0;  // nodes per shard (1 + read replicas); 0 = not sharded
  // Replication (databases): reads served by a read replica, those that missed a committed write
  // (stale) and those that missed one acknowledged before the read was sent (read-your-writes,
  // the caller keyed by the request key); staleness age; replication lag (send to applied).
  uint64_t replica_reads = 0, stale_reads = 0, ryw_violations = 0, writes_replicated = 0;
  LatencyHistogram staleness, replication_lag;
  int64_t peak_connections = 0;  // most connections busy at once on one node

  void configure(double ws, double we);
  bool in_window(double t) const { return t >= window_start; }
  void close(double end);
};

struct ClientStats {
  std::string name;
  double window_start = 0;
  uint64_t generated = 0, completed = 0, rejected = 0, timed_out = 0, failed_downstream = 0, in_flight_at_end = 0;
  LatencyHistogram all;
  std::vector<std::string> type_names;
  std::vector<LatencyHistogram> by_type;
  SecondSeries series;
};

}  // namespace archsim
