// What a balancer does with each request it passes on (load balancers, global load balancers):
// it holds the caller's handle while the request is away, counts it in the component's row, and
// on the answer adds its own share of the critical path (the hop in, its own delay, the target's
// answer hop) and returns the answer to the caller. A crash breaks every held connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "models/common/message.hpp"
#include "sim/support/id_map.hpp"
#include "sim/support/metrics.hpp"

namespace archsim {

class Proxy {
 public:
  struct Held {
    MessagePtr request;  // until sent on
    NodeId caller = 0;
    uint64_t caller_call = 0;
    double arrived = 0;
    double network_in = 0;  // the request's hop to the balancer
    double forwarded = 0;   // when it left for the target
    bool measured = false;
    size_t target = 0;  // the owner's index of where it went
  };

  explicit Proxy(ComponentStats* stats) : stats_(stats) {}
  // A request arrives: held under the id returned, until `send`.
  uint64_t accept(Context& ctx, MessagePtr msg);
  Held& held(uint64_t id) { return *held_.find(id); }
  // Sends held request `id` on to `to` (the owner's target index `target`).
  void send(Context& ctx, uint64_t id, NodeId to, size_t target);
  // An answer from a target: returned to its caller; the target index it went to, or none when
  // the request is no longer held (answered after a crash).
  std::optional<size_t> reply(Context& ctx, MessagePtr msg);
  // The owner crashed: every held request's caller hears a failure at once (in arrival order).
  void fail_all(Context& ctx);

 private:
  ComponentStats* stats_;
  IdMap<Held> held_;
  uint64_t next_id_ = 1;
};

}  // namespace archsim
