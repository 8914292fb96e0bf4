#include "models/load_balancer/load_balancer.hpp"

#include "sim/support/critical_path.hpp"
#include "models/load_balancer/lb_policy.hpp"

namespace archsim {

LoadBalancer::LoadBalancer(Params params, ComponentStats* stats, Rng rng)
    : p_(std::move(params)), stats_(stats), rng_(rng), outstanding_(p_.targets.size(), 0) {}

size_t LoadBalancer::choose() {
  size_t n = p_.targets.size();
  switch (p_.policy) {
    case LbPolicy::RoundRobin:
      return rr_++ % n;
    case LbPolicy::Random:
      return static_cast<size_t>(rng_.below(n));
    case LbPolicy::LeastConnections: {
      // Ties go round robin, so an idle fleet is still spread evenly.
      size_t best = rr_++ % n;
      for (size_t k = 1; k < n; ++k) {
        size_t i = (best + k) % n;
        if (outstanding_[i] < outstanding_[best]) best = i;
      }
      return best;
    }
    case LbPolicy::PowerOfTwo: {
      if (n == 1) return 0;
      size_t a = static_cast<size_t>(rng_.below(n));
      size_t b = static_cast<size_t>(rng_.below(n - 1));
      if (b >= a) ++b;
      return outstanding_[b] < outstanding_[a] ? b : a;
    }
  }
  return 0;
}

void LoadBalancer::on_message(Context& ctx, MessagePtr msg) {
  double t = ctx.now();
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

void LoadBalancer::on_timer(Context& ctx, uint64_t tag) { forward(ctx, tag); }

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
