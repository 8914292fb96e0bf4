// SimGrid's flow model as a carrier of the transfers that contend, for the native engine
// (sim/engine/local_engine.cpp) in `--network auto`. Only sim/engine/simgrid_engine.cpp, which
// implements it, includes SimGrid.
//
// The carrier builds the whole platform (a host per node with its NIC links, the region links,
// every route) and runs the native engine's event loop as the simulation's one actor, so that
// SimGrid's clock and the native clock advance in lockstep: the loop starts a transfer at its
// own time, and before it handles its next event at time t it asks for the transfers that
// complete at or before t.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sim/engine/ids.hpp"
#include "sim/engine/network.hpp"

namespace archsim {

class FlowCarrier {
 public:
  virtual ~FlowCarrier() = default;
  // Adds node `n`'s host (ids are given in order, from 0).
  virtual void add_host(const std::string& name, int region) = 0;
  // Builds the routes and runs `loop` inside the simulation; returns when `loop` returns.
  virtual void run(const std::function<void()>& loop) = 0;
  // Starts a transfer of `bytes` from `from` to `to` at `now` (>= every earlier call's time),
  // identified by `token`. It cannot complete before `earliest` (its time alone on the route:
  // latency + bytes / bandwidth), which spares asking SimGrid before then.
  virtual void start(NodeId from, NodeId to, double bytes, double now, double earliest, uint64_t token) = 0;
  // The next transfer that completes at or before `t`, with its completion time; false when none
  // does (the carrier's clock is then `t`). REQUIRES: t >= the last start's time.
  virtual bool completion(double t, uint64_t* token, double* at) = 0;
  virtual size_t in_flight() const = 0;
};

std::unique_ptr<FlowCarrier> make_simgrid_flows(const NetworkPlan& plan);

}  // namespace archsim
