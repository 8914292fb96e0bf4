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

#include "sim/critical_path.hpp"
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

  // Downstream calls this component made (measured requests): every request sent, the backups
  // among them (hedges), and answers that came after the caller had stopped waiting (a hedge's
  // loser, a partial fan-out's stragglers): the extra load the mitigations cost.
  uint64_t calls_sent = 0, backup_calls = 0, late_answers = 0;
  // Tied copies this component dropped from its queue because the other copy started first.
  uint64_t tied_cancelled = 0;

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
  CriticalPathStats critical;  // where the completed requests' time went
};

}  // namespace archsim

namespace archsim {

// A feed's statistics (models/feed.hpp), over the measured window.
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
