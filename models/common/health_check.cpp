#include "models/common/health_check.hpp"

#include <algorithm>

namespace archsim {

void HealthChecker::start(Context& ctx, std::vector<std::vector<NodeId>> groups) {
  if (!spec_.enabled()) return;
  groups_ = std::move(groups);
  size_t n = groups_.size();
  answered_.assign(n, round_);
  missed_.assign(n, 0);
  passed_.assign(n, 0);
  out_.assign(n, 0);
  out_since_.assign(n, 0);
  out_count_ = 0;
  running_ = true;
  on_timer(ctx, kRound);
}

void HealthChecker::on_timer(Context& ctx, uint64_t tag) {
  if (tag & kJudge) {
    judge(ctx, tag & ~kJudge);
    return;
  }
  ++round_;
  for (size_t g = 0; g < groups_.size(); ++g)
    for (NodeId n : groups_[g]) {
      auto m = std::make_unique<Message>();
      m->probe = true;
      m->call_id = (round_ << kGroupBits) | g;
      m->request_bytes = 64;
      m->response_bytes = 64;
      ctx.send(n, std::move(m));
    }
  ++stats_->counters["health_probe_rounds"];
  ctx.start_timer(spec_.timeout, kJudge | round_);
  ctx.start_timer(spec_.interval, kRound);
}

void HealthChecker::on_answer(const Message& m) {
  // A crashed node's probe comes back refused (the connection fails): not an answer.
  if (m.status != Status::Ok) return;
  uint64_t round = m.call_id >> kGroupBits;
  size_t g = static_cast<size_t>(m.call_id & ((uint64_t(1) << kGroupBits) - 1));
  if (g < answered_.size()) answered_[g] = std::max(answered_[g], round);
}

void HealthChecker::judge(Context& ctx, uint64_t round) {
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (answered_[g] >= round) {
      missed_[g] = 0;
      if (++passed_[g] >= spec_.healthy_after && out_[g]) set_out(ctx.now(), g, false);
    } else {
      passed_[g] = 0;
      if (++missed_[g] >= spec_.unhealthy_after && !out_[g]) set_out(ctx.now(), g, true);
    }
  }
}

void HealthChecker::set_out(double t, size_t g, bool out) {
  out_[g] = out;
  if (out) {
    ++out_count_;
    out_since_[g] = t;
    if (stats_->in_window(t)) ++stats_->counters["health_marked_down"];
    return;
  }
  --out_count_;
  if (stats_->in_window(t)) ++stats_->counters["health_marked_up"];
  double from = std::max(out_since_[g], stats_->window_start);
  if (t > from) stats_->counters["health_out_us"] += static_cast<uint64_t>((t - from) * 1e6);
}

void HealthChecker::stop(double now) {
  if (!running_) return;
  running_ = false;
  for (size_t g = 0; g < out_.size(); ++g)
    if (out_[g]) {
      double from = std::max(out_since_[g], stats_->window_start);
      if (now > from) stats_->counters["health_out_us"] += static_cast<uint64_t>((now - from) * 1e6);
      out_[g] = 0;
    }
  out_count_ = 0;
}

}  // namespace archsim
