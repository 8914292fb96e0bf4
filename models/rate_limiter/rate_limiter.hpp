// Rate limiting at the edge: a limiter in front of a component admits or rejects each request
// (Status::Rejected, HTTP 429 in spirit) by one of three algorithms, and forwards what it admits
// like a load balancer. The same code serves `kind: rate_limiter` and a load balancer's
// `rate_limit:`.
//
//   token_bucket {capacity, refill}   starts full; a request takes a token; tokens come back at
//                                     `refill` per second up to `capacity`: bursts up to capacity,
//                                     then the refill rate.
//   sliding_window_log {limit, window} admits when fewer than `limit` requests were admitted in
//                                     the last `window` (the seed's Redis sorted set): never more
//                                     than `limit` in any window, at the price of one timestamp
//                                     per admitted request.
//   fixed_window {limit, window}      one counter per aligned window [kW, (k+1)W): cheap, but a
//                                     burst straddling a boundary gets up to 2x `limit` through.
//
// State `local` keeps counters per limiter replica, so an N-replica fleet admits up to N times the
// limit; `central` keeps them in a store component (a Redis cache or database of the topology):
// every decision pays a round trip to it, and when the store fails or does not answer within
// `store_timeout` the limiter fails open (admits) or closed (rejects), as configured. The store's
// check-and-update is atomic (the seed's Lua script): decisions are applied in the order their
// answers come back.
//
// Left out on purpose: clock skew between replicas, retries of limited requests by the client
// (Retry-After), approximate algorithms (sliding window counter), limits on bytes.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>

#include "models/load_balancer/load_balancer.hpp"
#include "models/common/station.hpp"
#include "models/common/message.hpp"
#include "sim/support/metrics.hpp"
#include "models/rate_limiter/rate_limit_spec.hpp"

namespace archsim {

// One key's counters under one algorithm. REQUIRES: calls with non-decreasing `now`.
class LimiterState {
 public:
  virtual ~LimiterState() = default;
  // Decides one request at `now`, and counts it if admitted.
  virtual bool admit(double now) = 0;
  // True when the counters are back to those of a key never seen (the state may be dropped).
  virtual bool idle(double now) const = 0;
};

class TokenBucket : public LimiterState {
 public:
  TokenBucket(double capacity, double refill_per_s);
  bool admit(double now) override;
  bool idle(double now) const override;
  double tokens() const { return tokens_; }

 private:
  double capacity_, refill_, tokens_, last_ = 0;
};

class SlidingWindowLog : public LimiterState {
 public:
  SlidingWindowLog(int64_t limit, double window_s);
  bool admit(double now) override;
  bool idle(double now) const override;

 private:
  size_t limit_;
  double window_;
  std::deque<double> admitted_;  // timestamps in (now - window, now]
};

class FixedWindow : public LimiterState {
 public:
  FixedWindow(int64_t limit, double window_s);
  bool admit(double now) override;
  bool idle(double now) const override;

 private:
  int64_t limit_;
  double window_;
  int64_t index_ = -1;  // the aligned window the count belongs to
  int64_t count_ = 0;
};

// REQUIRES: the spec passed the loader's checks (positive capacity, refill, limit, window).
std::unique_ptr<LimiterState> make_limiter_state(const RateLimitSpec& spec);

// Counters for every key of one limiter. Keys whose counters are back to the initial state are
// dropped from time to time, so memory follows the keys active recently, not all keys ever seen.
class LimiterTable {
 public:
  explicit LimiterTable(const RateLimitSpec& spec) : spec_(spec) {}
  bool admit(uint64_t key, double now);
  size_t keys() const { return states_.size(); }

 private:
  RateLimitSpec spec_;
  std::unordered_map<uint64_t, std::unique_ptr<LimiterState>> states_;
  size_t sweep_at_ = 1024;
};

// The largest number of requests admitted for one key in any window (t - W, t] of length W,
// exact: it keeps the admission times of the last W per key, so memory follows the admissions
// of one window, not the run.
class BurstTracker {
 public:
  explicit BurstTracker(double window_s) : window_(window_s) {}
  // One admitted request; `measured`: it may set the maximum (inside the measured window).
  void record(uint64_t key, double now, bool measured);
  uint64_t largest() const { return largest_; }
  double largest_at() const { return largest_at_; }  // when the largest burst ended

 private:
  double window_;
  std::unordered_map<uint64_t, std::deque<double>> recent_;
  uint64_t largest_ = 0;
  double largest_at_ = 0;
  size_t sweep_at_ = 1024;
};

// What all replicas of one limiter share: the central counters and the burst measurement.
struct RateLimitShared {
  explicit RateLimitShared(const RateLimitSpec& s);
  RateLimitSpec spec;
  LimiterTable central;
  BurstTracker bursts;
};

// The most one key may be admitted in a window of `window_s` by the algorithm's definition, for
// one set of counters: capacity + refill x W for a token bucket, `limit` for the windows (a fixed
// window lets up to twice that through across a boundary).
double nominal_limit(const RateLimitSpec& spec, double window_s);
// The window of the largest-burst measurement.
double burst_window(const RateLimitSpec& spec);

class RateLimiter : public ModelNode {
 public:
  struct Params {
    RateLimitSpec spec;
    LoadBalancer::Params forward;  // where admitted requests go, and how a replica is picked
    CallTarget store;              // central state only
    uint64_t store_salt = 0;       // spreads this limiter's keys over the store's replicas
    bool store_writes = false;     // the store applies a write (a database) rather than a lookup (a cache)
    std::shared_ptr<RateLimitShared> shared;
  };
  RateLimiter(Params params, ComponentStats* stats, Rng rng);

  void on_message(Context& ctx, MessagePtr msg) override;
  void on_timer(Context& ctx, uint64_t tag) override;
  void on_start(Context& ctx) override { lb_.on_start(ctx); }
  void on_end(Context& ctx) override { lb_.on_end(ctx); }
  void on_crash(Context& ctx) override;
  void on_recover(Context& ctx) override { lb_.on_recover(ctx); }

 private:
  struct Waiting {
    MessagePtr request;
    uint64_t key = 0;
    double arrived = 0;
    TimerId timeout = 0;
  };
  uint64_t key_of(const Message& m) const;
  void ask_store(Context& ctx, MessagePtr msg, uint64_t key);
  void store_answered(Context& ctx, uint64_t handle, bool ok);
  void decide(Context& ctx, MessagePtr msg, uint64_t key, double arrived, bool admitted);

  Params p_;
  ComponentStats* stats_;
  LoadBalancer lb_;
  LimiterTable local_;
  std::unordered_map<uint64_t, Waiting> waiting_;
  uint64_t next_handle_ = 1;
  uint64_t store_rr_ = 0;
};

}  // namespace archsim
