#include "models/load_balancer/load_balancer.hpp"

#include <algorithm>

#include "sim/support/critical_path.hpp"
#include "models/load_balancer/lb_policy.hpp"

namespace archsim {

LoadBalancer::LoadBalancer(Params params, ComponentStats* stats, Rng rng)
    : p_(std::move(params)), stats_(stats), rng_(rng), outstanding_(p_.targets.size(), 0) {}

size_t LoadBalancer::choose() {
  size_t n = p_.targets.size();
  size_t pick = 0;
  switch (p_.policy) {
    case LbPolicy::RoundRobin:
      pick = rr_++ % n;
      break;
    case LbPolicy::Random:
      pick = static_cast<size_t>(rng_.below(n));
      break;
    case LbPolicy::LeastConnections: {
      // Ties go round robin, so an idle fleet is still spread evenly.
      size_t best = rr_++ % n;
      for (size_t k = 1; k < n; ++k) {
        size_t i = (best + k) % n;
        bool in_i = down_count_ == 0 || !down_[i], in_best = down_count_ == 0 || !down_[best];
        if ((in_i && !in_best) || (in_i == in_best && outstanding_[i] < outstanding_[best])) best = i;
      }
      pick = best;
      break;
    }
    case LbPolicy::PowerOfTwo: {
      if (n == 1) break;
      size_t a = static_cast<size_t>(rng_.below(n));
      size_t b = static_cast<size_t>(rng_.below(n - 1));
      if (b >= a) ++b;
      pick = outstanding_[b] < outstanding_[a] ? b : a;
      break;
    }
  }
  // Out of the rotation: the next replica in order that is in it (all out: as picked, failing open).
  if (down_count_ > 0 && down_count_ < n && down_[pick]) {
    size_t i = pick;
    while (down_[i]) i = (i + 1) % n;
    pick = i;
  }
  return pick;
}

void LoadBalancer::on_start(Context& ctx) {
  if (!p_.health.enabled()) return;
  size_t n = p_.targets.size();
  answered_.assign(n, 0);
  missed_.assign(n, 0);
  passed_.assign(n, 0);
  down_.assign(n, 0);
  down_since_.assign(n, 0);
  start_round(ctx);
}

void LoadBalancer::start_round(Context& ctx) {
  ++round_;
  for (size_t i = 0; i < p_.targets.size(); ++i) {
    auto m = std::make_unique<Message>();
    m->probe = true;
    m->call_id = (round_ << kTargetBits) | i;
    m->request_bytes = 64;
    m->response_bytes = 64;
    ctx.send(p_.targets[i], std::move(m));
  }
  ++stats_->counters["health_probe_rounds"];
  ctx.start_timer(p_.health.timeout, kProbeJudge | round_);
  ctx.start_timer(p_.health.interval, kProbeRound);
}

void LoadBalancer::judge_round(Context& ctx, uint64_t round) {
  for (size_t i = 0; i < p_.targets.size(); ++i) {
    if (answered_[i] >= round) {
      missed_[i] = 0;
      if (++passed_[i] >= p_.health.healthy_after && down_[i]) set_down(ctx.now(), i, false);
    } else {
      passed_[i] = 0;
      if (++missed_[i] >= p_.health.unhealthy_after && !down_[i]) set_down(ctx.now(), i, true);
    }
  }
}

void LoadBalancer::set_down(double t, size_t target, bool down) {
  down_[target] = down;
  if (down) {
    ++down_count_;
    down_since_[target] = t;
    if (stats_->in_window(t)) ++stats_->counters["health_marked_down"];
  } else {
    --down_count_;
    if (stats_->in_window(t)) ++stats_->counters["health_marked_up"];
    double from = std::max(down_since_[target], stats_->window_start);
    if (t > from) stats_->counters["health_out_us"] += static_cast<uint64_t>((t - from) * 1e6);
  }
}

void LoadBalancer::on_end(Context& ctx) {
  for (size_t i = 0; i < down_.size(); ++i)
    if (down_[i]) {
      double from = std::max(down_since_[i], stats_->window_start);
      if (ctx.now() > from) stats_->counters["health_out_us"] += static_cast<uint64_t>((ctx.now() - from) * 1e6);
    }
  stats_->close(ctx.now());
}

void LoadBalancer::on_message(Context& ctx, MessagePtr msg) {
  double t = ctx.now();
  if (msg->probe) {
    // An answer to a probe: in time if its round has not been judged yet.
    uint64_t round = msg->call_id >> kTargetBits;
    size_t target = static_cast<size_t>(msg->call_id & ((uint64_t(1) << kTargetBits) - 1));
    // A crashed replica's probe comes back refused (the connection fails): not an answer.
    if (msg->status == Status::Ok && target < answered_.size()) answered_[target] = std::max(answered_[target], round);
    return;
  }
  if (!msg->is_response) {
    uint64_t id = next_id_++;
    Pending& p = pending_.insert(id);
    p.caller = msg->from;
    p.caller_call = msg->call_id;
    p.arrived = t;
    p.network_in = t - msg->sent_at;
    p.measured = stats_->in_window(t);
    p.request = std::move(msg);
    if (p.measured) ++stats_->arrivals;
    stats_->in_system.add(t, 1);
    stats_->busy_workers.add(t, 1);
    if (p_.delay.is_zero()) forward(ctx, id);
    else ctx.start_timer(p_.delay.sample(rng_), id);
    return;
  }
  Pending* found = pending_.find(msg->call_id);
  if (!found) return;
  Pending& p = *found;
  --outstanding_[p.target];
  bool ok = msg->status == Status::Ok;
  if (p.measured) {
    if (ok) {
      ++stats_->completed;
      stats_->residence.record(t - p.arrived);
    } else {
      ++stats_->failed;
    }
  }
  stats_->series.record(t, t - p.arrived, ok);
  stats_->in_system.add(t, -1);
  stats_->busy_workers.add(t, -1);
  // The balancer's share of the critical path: the hop in, its own delay, the target's answer hop.
  NodeId self = ctx.self();
  if (p.network_in > 0) msg->path.push_back({self, cause::kNetwork, p.network_in});
  if (p.forwarded > p.arrived) msg->path.push_back({self, cause::kDelay, p.forwarded - p.arrived});
  if (t > msg->sent_at) msg->path.push_back({msg->from, cause::kNetwork, t - msg->sent_at});
  uint64_t id = msg->call_id;
  msg->call_id = p.caller_call;
  NodeId caller = p.caller;
  pending_.erase(id);
  ctx.send(caller, std::move(msg));
}

void LoadBalancer::on_timer(Context& ctx, uint64_t tag) {
  if (tag == kProbeRound) start_round(ctx);
  else if (tag & kProbeJudge) judge_round(ctx, tag & ~kProbeJudge);
  else forward(ctx, tag);
}

void LoadBalancer::forward(Context& ctx, uint64_t id) {
  Pending& p = *pending_.find(id);
  p.target = choose();
  p.forwarded = ctx.now();
  ++outstanding_[p.target];
  MessagePtr m = std::move(p.request);
  m->call_id = id;
  ctx.send(p_.targets[p.target], std::move(m));
}

std::vector<std::pair<std::string, LbPolicy>> lb_policy_words() {
  return {{"round_robin", LbPolicy::RoundRobin},
          {"random", LbPolicy::Random},
          {"least_connections", LbPolicy::LeastConnections},
          {"power_of_two", LbPolicy::PowerOfTwo}};
}

const char* const kLbPolicyDoc =
    "how a replica of the target is picked: `round_robin` and `random` ignore load; `least_connections` "
    "sends to the replica with the fewest requests in flight (it needs to see them all); `power_of_two` asks "
    "two at random and takes the less busy, nearly as good at a fraction of the state";

const char* to_string(LbPolicy p) {
  switch (p) {
    case LbPolicy::RoundRobin:
      return "round_robin";
    case LbPolicy::Random:
      return "random";
    case LbPolicy::LeastConnections:
      return "least_connections";
    case LbPolicy::PowerOfTwo:
      return "power_of_two";
  }
  return "?";
}

}  // namespace archsim
