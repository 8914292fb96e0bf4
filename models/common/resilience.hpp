// What a caller does when a dependency is slow or failing: per-call timeouts, retries with
// backoff and jitter, a retry budget, a circuit breaker, a fallback, and idempotency keys that let
// the receiver apply a retried write once (docs/topology.md, "Failure handling by the callers").
//
// The pieces are small value types owned by the caller's replica (Station), one set per call
// edge, as a client library instance keeps them per process: Finagle's RetryBudget and a
// Hystrix-like breaker are per client, not shared through the network. Only the receiver's write
// ledger is shared by the receiver's replicas (it stands for an idempotency-key table in a
// store all of them reach).
//
// Left out on purpose: a retry budget's minimum retries per second (Finagle's `minRetriesPerSec`),
// deadlines propagated downstream, per-status retry policies (every failure but circuit_open is
// retried), bulkheads, adaptive timeouts.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/support/metrics.hpp"
#include "sim/support/random.hpp"

namespace archsim {

// One call edge's failure handling, as loaded (plain data; defaults = none of it).
struct CallPolicy {
  double timeout = 0;  // seconds; 0 = wait for the answer however long it takes
  // Retries: attempts after the first. Turning it up turns a dependency's failure into more load on it.
  int64_t max_retries = 0;
  enum class Backoff : uint8_t { Exponential, Constant };
  enum class Jitter : uint8_t { Full, Equal, None };
  Backoff backoff = Backoff::Exponential;
  double base = 0.05;       // seconds: the first retry's backoff before jitter
  double max_delay = 2;     // seconds: the cap of any backoff
  Jitter jitter = Jitter::Full;
  // Retry budget (Finagle's RetryBudget): each first attempt deposits `max_retry_ratio` of a retry,
  // a deposit lives `budget_window` seconds; a retry needs a whole one. < 0 = no budget.
  double max_retry_ratio = -1;
  double budget_window = 10;  // seconds
  // Circuit breaker; failure_ratio <= 0 = none.
  double cb_failure_ratio = 0;
  double cb_window = 10;    // seconds of outcomes the ratio covers
  double cb_open_for = 30;  // seconds failing fast before a probe
  int64_t cb_min_calls = 20;
  enum class Fallback : uint8_t { None, FailOpen, FailClosed, StaleCache };
  Fallback fallback = Fallback::None;
  int64_t stale_entries = 10000;  // stale_cache: last values kept per caller replica (LRU)
  // Idempotency keys on writes: the receiver looks the key up first (`idempotency_lookup`
  // seconds, holding its worker) and answers a key it has seen without applying the write again.
  bool idempotency = false;
  double idempotency_lookup = 1e-3;
  double idempotency_ttl = 0;  // seconds the receiver keeps a key; 0 = the retry horizon below
  // Cross-region failover: each retry goes to one of the target's replicas in other regions,
  // nearest first (a replicated store, whose callers otherwise reach only their region's replica).
  bool failover = false;

  bool retries() const { return max_retries > 0; }
  bool has_budget() const { return max_retry_ratio >= 0; }
  bool has_breaker() const { return cb_failure_ratio > 0; }
  bool active() const {
    return timeout > 0 || retries() || has_breaker() || fallback != Fallback::None || idempotency;
  }
  // The longest a logical call can keep sending attempts (a bound: every attempt times out and
  // every backoff is the cap); without a timeout, 60 s beyond the backoffs.
  double retry_horizon() const;
};

// The backoff before retry number `retry` (1 = the first retry), AWS "Exponential Backoff and
// Jitter": cap = min(max_delay, base * 2^(retry-1)) (constant: min(max_delay, base)); full jitter
// draws uniform(0, cap), equal jitter cap/2 + uniform(0, cap/2), none gives cap.
double backoff_delay(const CallPolicy& p, int64_t retry, Rng& rng);
// The cap of that backoff before jitter.
double backoff_cap(const CallPolicy& p, int64_t retry);

// A retry budget: deposits of `ratio` per first attempt that expire after `window`, retries
// withdraw 1 from the oldest live deposits. Whatever the pattern, retries <= ratio x first
// attempts over the run, and within any window. Memory: `kBuckets` counters.
class RetryBudget {
 public:
  RetryBudget(double ratio, double window) : ratio_(ratio), width_(window / kBuckets) {}
  void deposit(double now);
  // True (and withdraws) when a whole retry is available.
  bool try_withdraw(double now);
  double balance(double now);

 private:
  static constexpr size_t kBuckets = 10;
  void expire(double now);
  struct Bucket {
    long slot = 0;
    double tokens = 0;
  };
  double ratio_, width_;
  std::deque<Bucket> buckets_;
};

// A circuit breaker (Nygard, "Release It!"; Hystrix's states): closed -> open when, over the last
// `window`, failures / calls >= failure_ratio with at least min_calls calls; open fails calls
// fast for `open_for`; then half-open lets one probe through: success closes, failure reopens.
class CircuitBreaker {
 public:
  enum class State : uint8_t { Closed, Open, HalfOpen };
  CircuitBreaker(double failure_ratio, double window, double open_for, int64_t min_calls)
      : ratio_(failure_ratio), width_(window / kBuckets), open_for_(open_for), min_calls_(min_calls) {}
  // May a call go now? Open turns half-open after open_for (a transition); half-open admits one
  // probe, and says so in `*probe`.
  bool allow(double now, bool* probe);
  // The outcome of a call that allow() admitted (`probe` as allow() said). While half-open, only
  // the probe's outcome counts: a call admitted before the breaker opened may answer late.
  void record(double now, bool ok, bool probe);
  State state() const { return state_; }
  struct Transition {
    double t;
    State to;
  };
  // Transitions since the last take (the caller moves them to its statistics).
  std::vector<Transition>& transitions() { return transitions_; }

 private:
  static constexpr size_t kBuckets = 10;
  void expire(double now);
  void go(double now, State s);
  struct Bucket {
    long slot = 0;
    uint64_t calls = 0, failures = 0;
  };
  double ratio_, width_, open_for_;
  int64_t min_calls_;
  State state_ = State::Closed;
  double opened_at_ = 0;
  bool probe_out_ = false;
  std::deque<Bucket> buckets_;
  std::vector<Transition> transitions_;
};
const char* to_string(CircuitBreaker::State s);

// The last answer seen per key, for `fallback: stale_cache`: at most `capacity` keys, the least
// recently stored leaves first.
class StaleCache {
 public:
  explicit StaleCache(size_t capacity) : capacity_(capacity) {}
  void store(uint64_t key);
  bool has(uint64_t key) const { return where_.count(key) != 0; }

 private:
  size_t capacity_;
  std::list<uint64_t> order_;  // least recently stored first
  std::unordered_map<uint64_t, std::list<uint64_t>::iterator> where_;
};

// The writes a receiver applied, by (request id, logical call), shared by the receiver's replicas:
// it counts a write applied again (`duplicate_applies`) and, for calls with idempotency keys, is
// the key store that answers a retry without applying it. Entries are forgotten `ttl` seconds
// after they were made, so memory is bounded by the write rate times the ttl.
class WriteLedger {
 public:
  struct Key {
    uint64_t request_id = 0;
    uint32_t op = 0;
    bool operator==(const Key& o) const { return request_id == o.request_id && op == o.op; }
  };
  explicit WriteLedger(double ttl, double lookup) : ttl_(ttl), lookup_(lookup) {}
  double lookup_seconds() const { return lookup_; }
  // Idempotent writes: true when the key is known (applied, or reserved by an attempt under way);
  // else reserves it.
  bool seen_or_reserve(double now, const Key& k);
  // True when the key was applied and has not expired by `now`; changes nothing.
  bool holds_applied(double now, const Key& k) const;
  // A reserved write failed: its key is free again.
  void release(const Key& k);
  // A write was applied; returns true when this key had been applied before (a duplicate).
  bool applied(double now, const Key& k);

 private:
  struct Hash {
    size_t operator()(const Key& k) const { return std::hash<uint64_t>()(k.request_id * 0x9E3779B97F4A7C15ULL ^ k.op); }
  };
  struct Entry {
    double at = 0;
    bool applied = false;
  };
  void expire(double now);
  double ttl_, lookup_;
  std::unordered_map<Key, Entry, Hash> entries_;
  std::deque<std::pair<double, Key>> order_;
};

}  // namespace archsim
