#include "models/global_load_balancer/global_load_balancer.hpp"

namespace archsim {

GlobalLoadBalancer::GlobalLoadBalancer(Params params, ComponentStats* stats, Rng rng)
    : p_(std::move(params)),
      stats_(stats),
      rng_(rng),
      health_(p_.health, stats),
      rr_(p_.endpoints.size(), 0),
      proxy_(stats) {}

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
  if (msg->probe) {
    health_.on_answer(*msg);
    return;
  }
  if (!msg->is_response) {
    uint64_t id = proxy_.accept(ctx, std::move(msg));
    if (p_.delay.is_zero()) forward(ctx, id);
    else ctx.start_timer(p_.delay.sample(rng_), id);
    return;
  }
  proxy_.reply(ctx, std::move(msg));
}

void GlobalLoadBalancer::on_timer(Context& ctx, uint64_t tag) {
  if (HealthChecker::owns(tag)) health_.on_timer(ctx, tag);
  else forward(ctx, tag);
}

void GlobalLoadBalancer::forward(Context& ctx, uint64_t id) {
  size_t e = choose(ctx.now());
  const Message& m = *proxy_.held(id).request;
  proxy_.send(ctx, id, route(p_.endpoints[e].target, m.key, m.is_write, rr_[e]), e);
}

}  // namespace archsim
