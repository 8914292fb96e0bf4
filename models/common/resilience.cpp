#include "models/common/resilience.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace archsim {

const char* to_string(CircuitBreaker::State s) {
  switch (s) {
    case CircuitBreaker::State::Closed:
      return "closed";
    case CircuitBreaker::State::Open:
      return "open";
    case CircuitBreaker::State::HalfOpen:
      return "half_open";
  }
  return "?";
}

double CallPolicy::retry_horizon() const {
  double backoffs = 0;
  for (int64_t r = 1; r <= max_retries; ++r) backoffs += backoff_cap(*this, r);
  double waits = timeout > 0 ? timeout * static_cast<double>(max_retries + 1) : 60;
  return backoffs + waits;
}

double backoff_cap(const CallPolicy& p, int64_t retry) {
  if (p.backoff == CallPolicy::Backoff::Constant) return std::min(p.max_delay, p.base);
  // 2^(retry-1) overflows nothing that matters: past ~60 doublings the cap is max_delay anyway.
  double grow = std::ldexp(1.0, static_cast<int>(std::min<int64_t>(retry - 1, 1000)));
  return std::min(p.max_delay, p.base * grow);
}

double backoff_delay(const CallPolicy& p, int64_t retry, Rng& rng) {
  double cap = backoff_cap(p, retry);
  switch (p.jitter) {
    case CallPolicy::Jitter::Full:
      return rng.uniform() * cap;
    case CallPolicy::Jitter::Equal:
      return cap / 2 + rng.uniform() * cap / 2;
    case CallPolicy::Jitter::None:
      break;
  }
  return cap;
}

// ---- RetryBudget ----

void RetryBudget::expire(double now) {
  long slot = static_cast<long>(std::floor(now / width_));
  // A deposit in slot s lives while s > slot - kBuckets: at most kBuckets x width = window.
  while (!buckets_.empty() && buckets_.front().slot <= slot - static_cast<long>(kBuckets)) buckets_.pop_front();
}

void RetryBudget::deposit(double now) {
  expire(now);
  long slot = static_cast<long>(std::floor(now / width_));
  if (buckets_.empty() || buckets_.back().slot != slot) buckets_.push_back({slot, 0});
  buckets_.back().tokens += ratio_;
}

double RetryBudget::balance(double now) {
  expire(now);
  double b = 0;
  for (const auto& bk : buckets_) b += bk.tokens;
  return b;
}

bool RetryBudget::try_withdraw(double now) {
  // A small tolerance so that ten deposits of 0.1 make one retry despite rounding.
  constexpr double kEps = 1e-9;
  if (balance(now) < 1 - kEps) return false;
  double need = 1;
  while (need > kEps && !buckets_.empty()) {
    Bucket& b = buckets_.front();
    double take = std::min(b.tokens, need);
    b.tokens -= take;
    need -= take;
    if (b.tokens <= kEps) buckets_.pop_front();
  }
  return true;
}

// ---- CircuitBreaker ----

void CircuitBreaker::expire(double now) {
  long slot = static_cast<long>(std::floor(now / width_));
  while (!buckets_.empty() && buckets_.front().slot <= slot - static_cast<long>(kBuckets)) buckets_.pop_front();
}

void CircuitBreaker::go(double now, State s) {
  state_ = s;
  transitions_.push_back({now, s});
  if (s == State::Open) opened_at_ = now;
  if (s != State::HalfOpen) probe_out_ = false;
  if (s == State::Closed) buckets_.clear();  // a fresh window after recovery
}

bool CircuitBreaker::allow(double now, bool* probe) {
  *probe = false;
  if (state_ == State::Closed) return true;
  if (state_ == State::Open) {
    if (now < opened_at_ + open_for_) return false;
    go(now, State::HalfOpen);
  }
  if (probe_out_) return false;
  probe_out_ = true;
  *probe = true;
  return true;
}

void CircuitBreaker::record(double now, bool ok, bool probe) {
  if (state_ == State::HalfOpen) {
    if (probe) go(now, ok ? State::Closed : State::Open);
    return;
  }
  if (state_ == State::Open) return;  // an answer to a call admitted before it opened
  expire(now);
  long slot = static_cast<long>(std::floor(now / width_));
  if (buckets_.empty() || buckets_.back().slot != slot) buckets_.push_back({slot, 0, 0});
  ++buckets_.back().calls;
  if (!ok) ++buckets_.back().failures;
  uint64_t calls = 0, failures = 0;
  for (const auto& b : buckets_) {
    calls += b.calls;
    failures += b.failures;
  }
  if (!ok && static_cast<int64_t>(calls) >= min_calls_ &&
      static_cast<double>(failures) >= ratio_ * static_cast<double>(calls))
    go(now, State::Open);
}

// ---- StaleCache ----

void StaleCache::store(uint64_t key) {
  if (capacity_ == 0) return;
  auto it = where_.find(key);
  if (it != where_.end()) {
    order_.splice(order_.end(), order_, it->second);
    return;
  }
  order_.push_back(key);
  where_[key] = std::prev(order_.end());
  if (where_.size() > capacity_) {
    where_.erase(order_.front());
    order_.pop_front();
  }
}

// ---- WriteLedger ----

void WriteLedger::expire(double now) {
  while (!order_.empty() && order_.front().first + ttl_ <= now) {
    auto it = entries_.find(order_.front().second);
    if (it != entries_.end() && it->second.at == order_.front().first) entries_.erase(it);
    order_.pop_front();
  }
}

bool WriteLedger::seen_or_reserve(double now, const Key& k) {
  expire(now);
  if (entries_.count(k)) return true;
  entries_[k] = {now, false};
  order_.push_back({now, k});
  return false;
}

bool WriteLedger::holds_applied(double now, const Key& k) const {
  auto it = entries_.find(k);
  return it != entries_.end() && it->second.applied && it->second.at + ttl_ > now;
}

void WriteLedger::release(const Key& k) {
  auto it = entries_.find(k);
  if (it != entries_.end() && !it->second.applied) entries_.erase(it);
}

bool WriteLedger::applied(double now, const Key& k) {
  expire(now);
  auto it = entries_.find(k);
  if (it != entries_.end()) {
    bool again = it->second.applied;
    it->second.applied = true;
    return again;
  }
  entries_[k] = {now, true};
  order_.push_back({now, k});
  return false;
}

}  // namespace archsim
