// Active health checks, as a balancer runs them over what it sends to (load balancers over their
// target's replicas, global load balancers over their regional endpoints).
//
// Every `interval` it sends a probe to every node of every group; any live node answers a probe at
// once (models/common/message.hpp), a crashed or cut-off one does not. `timeout` after a round
// started the round is judged: a group passed when any of its nodes answered in time. A group that
// misses `unhealthy_after` rounds in a row is out until it passes `healthy_after` in a row.
// Counted in the owner's component row: probe rounds, groups taken out and put back, and
// group-seconds out (in the measured window).
#pragma once

#include <cstdint>
#include <vector>

#include "models/common/message.hpp"
#include "models/load_balancer/lb_policy.hpp"
#include "sim/support/metrics.hpp"

namespace archsim {

class HealthChecker {
 public:
  // The owner's timer tags with either bit set are the checker's (HealthChecker::on_timer).
  static constexpr uint64_t kRound = uint64_t(1) << 63;
  static constexpr uint64_t kJudge = uint64_t(1) << 62;
  static bool owns(uint64_t tag) { return (tag & (kRound | kJudge)) != 0; }

  HealthChecker(HealthCheckSpec spec, ComponentStats* stats) : spec_(spec), stats_(stats) {}
  bool enabled() const { return spec_.enabled(); }
  // Starts the rounds over `groups` (every group in). Again after a crash: back to all in.
  void start(Context& ctx, std::vector<std::vector<NodeId>> groups);
  void on_timer(Context& ctx, uint64_t tag);
  // An answer to one of its probes (a message with `probe` set).
  void on_answer(const Message& m);
  // The owner crashed: its rounds stop (the engine drops its timers); time out so far is counted.
  void stop(double now);
  void finish(double now) { stop(now); }

  bool out(size_t group) const { return out_count_ > 0 && out_[group]; }
  size_t out_count() const { return out_count_; }
  size_t groups() const { return groups_.size(); }

 private:
  static constexpr int kGroupBits = 20;  // a probe's call id: round << kGroupBits | group
  void judge(Context& ctx, uint64_t round);
  void set_out(double t, size_t group, bool out);

  HealthCheckSpec spec_;
  ComponentStats* stats_;
  std::vector<std::vector<NodeId>> groups_;
  uint64_t round_ = 0;
  // Per group: the last round it answered in time, its streaks, whether it is out and since when.
  std::vector<uint64_t> answered_;
  std::vector<int64_t> missed_, passed_;
  std::vector<char> out_;
  std::vector<double> out_since_;
  size_t out_count_ = 0;
  bool running_ = false;
};

}  // namespace archsim
