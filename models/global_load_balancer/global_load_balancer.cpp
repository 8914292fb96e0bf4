#include "models/global_load_balancer/global_load_balancer.hpp"

#include "sim/support/critical_path.hpp"

namespace archsim {

GlobalLoadBalancer::GlobalLoadBalancer(Params params, ComponentStats* stats, Rng rng)
    : p_(std::move(params)), stats_(stats), rng_(rng), health_(p_.health, stats), rr_(p_.endpoints.size(), 0) {}

void GlobalLoadBalancer::on_start(Context& ctx) {
  std::vector<std::vector<NodeId>> groups;
  for (const auto& e : p_.endpoints) groups.push_back(e.target.replicas);
  health_.start(ctx, std::move(groups));
}

void GlobalLoadBalancer::on_end(Context& ctx) {
  health_.finish(ctx.now());
  stats_->close(ctx.now());
}

size_t GlobalLoadBalancer::choose(double now) {
  size_t n = p_.endpoints.size();
  size_t best = 0;  // every endpoint out: the first (fail open)
  for (size_t i = 0; i < n; ++i)
    if (!health_.out(i)) {
      best = i;
      break;
    }
  if (best != current_) {
    previous_ = current_;
    current_ = best;
    moved_at_ = now;
  }
  size_t pick = current_;
  if (p_.dns_ttl > 0 && now - moved_at_ < p_.dns_ttl && rng_.uniform() >= (now - moved_at_) / p_.dns_ttl) {
    pick = previous_;  // a caller whose cached answer has not expired yet
    if (stats_->in_window(now)) ++stats_->counters["dns_stale"];
  }
  if (pick != 0 && stats_->in_window(now)) ++stats_->counters["routed_away"];
  return pick;
}

void GlobalLoadBalancer::on_message(Context& ctx, MessagePtr msg) {
  double t = ctx.now();
  if (msg->probe) {
    health_.on_answer(*msg);
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

void GlobalLoadBalancer::on_timer(Context& ctx, uint64_t tag) {
  if (HealthChecker::owns(tag)) health_.on_timer(ctx, tag);
  else forward(ctx, tag);
}

void GlobalLoadBalancer::forward(Context& ctx, uint64_t id) {
  Pending& p = *pending_.find(id);
  size_t e = choose(ctx.now());
  p.forwarded = ctx.now();
  MessagePtr m = std::move(p.request);
  NodeId to = route(p_.endpoints[e].target, m->key, m->is_write, rr_[e]);
  m->call_id = id;
  ctx.send(to, std::move(m));
}

}  // namespace archsim
