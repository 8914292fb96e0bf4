// The up-front cost guard's estimate of a run (`archsim run` refuses one past its limit;
// `archsim validate` prints it): events by source, wall time and memory.
#pragma once

#include <string>
#include <vector>

#include "sim/engine/network.hpp"
#include "sim/topology/topology.hpp"

namespace archsim {

// What a run will cost, estimated before it starts, so an absurd configuration is refused up
// front instead of dying out of memory hours later.
// Every event source counts: arrivals, retries at their worst (every attempt of every call
// failing), and the components' background events (heartbeats, flushes, anti-entropy, health
// checks).
struct CostEstimate {
  double requests = 0;      // simulated requests over the whole run (closed loops: at most one per
                            // user per think time plus a round trip)
  double events = 0;        // engine events: the requests' messages, their retries, background events
  double wall_seconds = 0;  // at about 2 us of wall time per event, plus network_seconds
  // `--network auto` and `flow`: the cost of the transfers SimGrid's flow model carries over the
  // NICs the analytic view predicts overloaded, whose backlog of transfers in flight grows all run.
  double network_seconds = 0;
  std::string network_why;  // "users NIC offered 160%, about 2e+05 transfers in flight"
  double memory_bytes = 0;  // hosts, routes, cache entries
  size_t hosts = 0;
  struct Source {
    std::string what;  // "users: arrivals", "db: heartbeats every 100 ms"
    double events = 0;
  };
  std::vector<Source> sources;  // largest first
  // "2.1e+09 events from cache: write-behind flushes every 1ns, 4e+06 events from users: arrivals": the
  // largest sources, for the guard's message.
  std::string largest(size_t n = 3) const;
};
CostEstimate estimate_cost(const Topology& t, NetworkMode mode = NetworkMode::Auto);

}  // namespace archsim
