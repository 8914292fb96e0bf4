#include "models/rate_limiter/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace archsim {

namespace {
// Refill arithmetic in floating point may leave 0.999999... of a token where the definition says
// one; a token is a token within this slack.
constexpr double kTokenSlack = 1e-9;
// Store calls and their timeouts are told apart from the forwarded requests' by this bit (the two
// above it are the health checker's timers).
constexpr uint64_t kStoreBit = uint64_t(1) << 61;
constexpr double kStoreMessageBytes = 128;  // a check-and-increment and its answer
}  // namespace

const char* to_string(RateLimitSpec::Algorithm a) {
  switch (a) {
    case RateLimitSpec::Algorithm::TokenBucket:
      return "token_bucket";
    case RateLimitSpec::Algorithm::SlidingWindowLog:
      return "sliding_window_log";
    case RateLimitSpec::Algorithm::FixedWindow:
      return "fixed_window";
  }
  return "?";
}

TokenBucket::TokenBucket(double capacity, double refill_per_s)
    : capacity_(capacity), refill_(refill_per_s), tokens_(capacity) {}

bool TokenBucket::admit(double now) {
  tokens_ = std::min(capacity_, tokens_ + (now - last_) * refill_);
  last_ = now;
  if (tokens_ + kTokenSlack < 1) return false;
  tokens_ = std::max(0.0, tokens_ - 1);
  return true;
}

bool TokenBucket::idle(double now) const { return tokens_ + (now - last_) * refill_ >= capacity_; }

SlidingWindowLog::SlidingWindowLog(int64_t limit, double window_s)
    : limit_(static_cast<size_t>(limit)), window_(window_s) {}

bool SlidingWindowLog::admit(double now) {
  // As the seed's ZREMRANGEBYSCORE 0 (now - window): an admission exactly one window ago has left.
  while (!admitted_.empty() && admitted_.front() <= now - window_) admitted_.pop_front();
  if (admitted_.size() >= limit_) return false;
  admitted_.push_back(now);
  return true;
}

bool SlidingWindowLog::idle(double now) const { return admitted_.empty() || admitted_.back() <= now - window_; }

FixedWindow::FixedWindow(int64_t limit, double window_s) : limit_(limit), window_(window_s) {}

bool FixedWindow::admit(double now) {
  auto index = static_cast<int64_t>(std::floor(now / window_));
  if (index != index_) {
    index_ = index;
    count_ = 0;
  }
  if (count_ >= limit_) return false;
  ++count_;
  return true;
}

bool FixedWindow::idle(double now) const { return static_cast<int64_t>(std::floor(now / window_)) != index_; }

std::unique_ptr<LimiterState> make_limiter_state(const RateLimitSpec& spec) {
  switch (spec.algorithm) {
    case RateLimitSpec::Algorithm::TokenBucket:
      return std::make_unique<TokenBucket>(spec.capacity, spec.refill);
    case RateLimitSpec::Algorithm::SlidingWindowLog:
      return std::make_unique<SlidingWindowLog>(spec.limit, spec.window);
    case RateLimitSpec::Algorithm::FixedWindow:
      return std::make_unique<FixedWindow>(spec.limit, spec.window);
  }
  return nullptr;
}

bool LimiterTable::admit(uint64_t key, double now) {
  auto& state = states_[key];
  if (!state) state = make_limiter_state(spec_);
  bool ok = state->admit(now);
  if (states_.size() >= sweep_at_) {
    for (auto it = states_.begin(); it != states_.end();) {
      if (it->second->idle(now)) it = states_.erase(it);
      else ++it;
    }
    sweep_at_ = std::max<size_t>(1024, 2 * states_.size());
  }
  return ok;
}

void BurstTracker::record(uint64_t key, double now, bool measured) {
  auto& times = recent_[key];
  times.push_back(now);
  while (times.front() <= now - window_) times.pop_front();
  if (measured && times.size() > largest_) {
    largest_ = times.size();
    largest_at_ = now;
  }
  if (recent_.size() >= sweep_at_) {
    for (auto it = recent_.begin(); it != recent_.end();) {
      if (it->second.back() <= now - window_) it = recent_.erase(it);
      else ++it;
    }
    sweep_at_ = std::max<size_t>(1024, 2 * recent_.size());
  }
}

double burst_window(const RateLimitSpec& spec) {
  if (spec.burst_window > 0) return spec.burst_window;
  return spec.algorithm == RateLimitSpec::Algorithm::TokenBucket ? 1.0 : spec.window;
}

double nominal_limit(const RateLimitSpec& spec, double window_s) {
  if (spec.algorithm == RateLimitSpec::Algorithm::TokenBucket) return std::floor(spec.capacity + spec.refill * window_s);
  return static_cast<double>(spec.limit);
}

RateLimitShared::RateLimitShared(const RateLimitSpec& s) : spec(s), central(s), bursts(burst_window(s)) {}

RateLimiter::RateLimiter(Params params, ComponentStats* stats, Rng rng)
    : p_(std::move(params)), stats_(stats), lb_(p_.forward, stats, rng), local_(p_.spec) {}

uint64_t RateLimiter::key_of(const Message& m) const {
  switch (p_.spec.per) {
    case RateLimitSpec::Per::Global:
      return 0;
    case RateLimitSpec::Per::Key:
      return m.key;
    case RateLimitSpec::Per::Client:
      return m.origin;
  }
  return 0;
}

void RateLimiter::on_message(Context& ctx, MessagePtr msg) {
  if (msg->probe) {
    lb_.on_message(ctx, std::move(msg));  // an answer to the forwarding half's health check
    return;
  }
  if (msg->is_response) {
    if (msg->call_id & kStoreBit) {
      store_answered(ctx, msg->call_id & ~kStoreBit, msg->status == Status::Ok);
      return;
    }
    lb_.on_message(ctx, std::move(msg));
    return;
  }
  uint64_t key = key_of(*msg);
  if (p_.spec.state == RateLimitSpec::State::Central) {
    ask_store(ctx, std::move(msg), key);
    return;
  }
  double t = ctx.now();
  bool admitted = local_.admit(key, t);
  decide(ctx, std::move(msg), key, t, admitted);
}

void RateLimiter::ask_store(Context& ctx, MessagePtr msg, uint64_t key) {
  uint64_t handle = next_handle_++;
  Waiting& w = waiting_[handle];
  w.key = key;
  w.arrived = ctx.now();
  auto m = std::make_unique<Message>();
  m->type = msg->type;
  m->request_id = msg->request_id;
  m->origin = msg->origin;
  m->key = mix64(key ^ p_.store_salt);
  // A database applies its write profile to the increment; a cache answers a lookup.
  m->is_write = p_.store_writes;
  m->request_bytes = kStoreMessageBytes;
  m->response_bytes = kStoreMessageBytes;
  m->call_id = kStoreBit | handle;
  w.request = std::move(msg);
  w.timeout = ctx.start_timer(p_.spec.store_timeout, kStoreBit | handle);
  NodeId to = route(p_.store, m->key, m->is_write, store_rr_);
  ctx.send(to, std::move(m));
}

void RateLimiter::store_answered(Context& ctx, uint64_t handle, bool ok) {
  auto it = waiting_.find(handle);
  if (it == waiting_.end()) return;  // answered after its timeout: already decided
  Waiting w = std::move(it->second);
  waiting_.erase(it);
  if (w.timeout) ctx.cancel_timer(w.timeout);
  double t = ctx.now();
  RateLimitStats& rs = *stats_->rate_limit;
  bool measured = stats_->in_window(w.arrived);
  bool admitted;
  if (ok) {
    admitted = p_.shared->central.admit(w.key, t);
  } else {
    admitted = p_.spec.fail_open;
    if (measured) {
      ++rs.store_errors;
      ++(admitted ? rs.failed_open : rs.failed_closed);
    }
  }
  decide(ctx, std::move(w.request), w.key, w.arrived, admitted);
}

void RateLimiter::on_crash(Context& ctx) {
  // Requests waiting for the counter store are held here: their connections break too.
  std::vector<uint64_t> handles;
  for (const auto& [h, w] : waiting_) handles.push_back(h);
  std::sort(handles.begin(), handles.end());
  for (uint64_t h : handles) {
    Waiting& w = waiting_[h];
    if (stats_->in_window(w.arrived)) {
      ++stats_->arrivals;  // not yet counted: neither admitted nor limited
      ++stats_->failed;
    }
    answer(ctx, std::move(w.request), Status::Failed);
  }
  waiting_.clear();
  lb_.on_crash(ctx);
}

void RateLimiter::on_timer(Context& ctx, uint64_t tag) {
  if (HealthChecker::owns(tag)) {
    lb_.on_timer(ctx, tag);
    return;
  }
  if (tag & kStoreBit) {
    // The store did not answer in time: cancel_timer above makes this the timeout path only.
    auto it = waiting_.find(tag & ~kStoreBit);
    if (it == waiting_.end()) return;
    it->second.timeout = 0;
    store_answered(ctx, tag & ~kStoreBit, false);
    return;
  }
  lb_.on_timer(ctx, tag);
}

void RateLimiter::decide(Context& ctx, MessagePtr msg, uint64_t key, double arrived, bool admitted) {
  double t = ctx.now();
  bool measured = stats_->in_window(arrived);
  RateLimitStats& rs = *stats_->rate_limit;
  if (measured) rs.decision.record(t - arrived);
  if (admitted) {
    if (measured) ++rs.admitted;
    p_.shared->bursts.record(key, t, measured);
    rs.largest_burst = p_.shared->bursts.largest();
    rs.largest_burst_at = p_.shared->bursts.largest_at();
    lb_.on_message(ctx, std::move(msg));
    return;
  }
  if (measured) {
    ++rs.limited;
    ++stats_->arrivals;  // admitted requests are counted by the forwarding half
  }
  stats_->series.record(t, 0, false);
  answer(ctx, std::move(msg), Status::Rejected);
}

}  // namespace archsim
