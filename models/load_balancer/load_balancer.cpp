#include "models/load_balancer/load_balancer.hpp"

#include <algorithm>

#include "models/load_balancer/lb_policy.hpp"

namespace archsim {

LoadBalancer::LoadBalancer(Params params, ComponentStats* stats, Rng rng)
    : p_(std::move(params)),
      stats_(stats),
      rng_(rng),
      outstanding_(p_.targets.size(), 0),
      health_(p_.health, stats),
      proxy_(stats) {}

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
        bool in_i = !health_.out(i), in_best = !health_.out(best);
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
  if (health_.out_count() < n && health_.out(pick)) {
    size_t i = pick;
    while (health_.out(i)) i = (i + 1) % n;
    pick = i;
  }
  return pick;
}

void LoadBalancer::on_start(Context& ctx) { start_checks(ctx); }

void LoadBalancer::start_checks(Context& ctx) {
  std::vector<std::vector<NodeId>> groups;
  for (NodeId t : p_.targets) groups.push_back({t});
  health_.start(ctx, std::move(groups));
}

void LoadBalancer::on_crash(Context& ctx) {
  proxy_.fail_all(ctx);  // the connections it proxied break: their callers hear a failure at once
  std::fill(outstanding_.begin(), outstanding_.end(), 0);
  health_.stop(ctx.now());
}

void LoadBalancer::on_recover(Context& ctx) { start_checks(ctx); }

void LoadBalancer::on_end(Context& ctx) {
  health_.finish(ctx.now());
  stats_->close(ctx.now());
}

void LoadBalancer::on_message(Context& ctx, MessagePtr msg) {
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
  if (auto target = proxy_.reply(ctx, std::move(msg))) --outstanding_[*target];
}

void LoadBalancer::on_timer(Context& ctx, uint64_t tag) {
  if (HealthChecker::owns(tag)) health_.on_timer(ctx, tag);
  else forward(ctx, tag);
}

void LoadBalancer::forward(Context& ctx, uint64_t id) {
  size_t target = choose();
  ++outstanding_[target];
  proxy_.send(ctx, id, p_.targets[target], target);
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
