#include "sim/analysis/cost.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>

#include "models/common/kind.hpp"
#include "sim/analysis/estimate.hpp"

namespace archsim {

CostEstimate estimate_cost(const Topology& t, NetworkMode mode) {
  CostEstimate e;
  // Messages per request: the client's request and answer, then each call's pair (over every
  // component: an upper bound when request types take different paths); with retries, each
  // call's attempts at their limit.
  double calls = 1, retried = 0;
  for (const auto& c : t.components) {
    e.hosts += static_cast<size_t>(c.kind->nodes(c));
    for (const auto& [type, list] : c.calls)
      for (const auto& call : list) {
        double n = call.shape == CallSpec::Shape::Fanout ? static_cast<double>(std::max<int64_t>(call.fanout, 1))
                                                         : static_cast<double>(call.targets.size());
        calls += n;
        retried += n * static_cast<double>(std::max<int64_t>(call.policy.max_retries, 0));
      }
    e.memory_bytes += c.kind->memory_bytes(c);
  }
  double per_request = 2.0 * (calls + 1);
  for (const auto& c : t.components) {
    if (!c.kind->traits().client) continue;
    double n = 0;
    switch (c.arrival.process) {
      case ArrivalSpec::Process::Poisson:
      case ArrivalSpec::Process::Constant:
        n = c.arrival.rate * t.run.duration;
        break;
      case ArrivalSpec::Process::Closed: {
        // A user's cycle is at least its think time and a round trip to its target (a refusal
        // comes back that fast).
        double cycle = c.arrival.think_time.mean() + std::max(t.network.intra_region_rtt, 1e-6);
        n = static_cast<double>(c.arrival.users) * t.run.duration / cycle;
        e.memory_bytes += 64.0 * static_cast<double>(c.arrival.users);
        break;
      }
      case ArrivalSpec::Process::Trace:
        break;
    }
    e.requests += n;
    e.sources.push_back({c.name + ": arrivals", n * per_request});
    if (retried > 0) e.sources.push_back({c.name + ": retries, if every attempt fails", n * 2.0 * retried});
  }
  std::vector<BackgroundEvents> background;
  for (const auto& c : t.components) {
    background.clear();
    c.kind->background_events(t, c, e.requests, background);
    for (const auto& b : background) e.sources.push_back({c.name + ": " + b.what, b.events});
  }
  std::stable_sort(e.sources.begin(), e.sources.end(), [](const auto& a, const auto& b) { return a.events > b.events; });
  for (const auto& s : e.sources) e.events += s.events;
  e.wall_seconds = e.events * 2e-6;
  if (mode == NetworkMode::Auto || mode == NetworkMode::Flow) {
    // A carried transfer costs about 3 us, plus 0.2 us for every transfer in flight on its links
    // (SimGrid re-shares them whenever one starts or ends). Counted for the NICs the analytic view
    // predicts overloaded (offered u >= 1), whose backlog grows all run long: in flight, those in
    // their latency and half the backlog of the end. Below, the transfers in flight stay few, and
    // the engine releases a NIC it measures uncontended (the wall-time guard watches the rest).
    AnalyticModel m = analyze_topology(t);
    std::map<std::string, double> rate;
    for (const auto& cl : m.components) rate[cl.name] = cl.lambda;
    for (const auto& c : t.components)
      if (c.kind->traits().client && (c.arrival.process == ArrivalSpec::Process::Poisson ||
                                      c.arrival.process == ArrivalSpec::Process::Constant))
        rate[c.name] = c.arrival.rate;
    double worst = 0;
    for (const auto& [name, u] : predicted_nic_utilization(t, m)) {
      const Component* c = t.find(name);
      if (!c || u < 1) continue;
      double nodes = static_cast<double>(std::max<int64_t>(c->replicas, 1));
      double per_node = 2 * rate[name] / nodes;  // transfers per second: requests in, answers out
      double in_flight = per_node * t.network.intra_region_rtt / 2 + per_node / 2 * (1 - 1 / u) * t.run.duration / 2;
      double seconds = nodes * per_node * t.run.duration * (3e-6 + 0.2e-6 * in_flight);
      e.network_seconds += seconds;
      if (seconds > worst) {
        worst = seconds;
        e.network_why = fmt::format("{} NIC offered {:.0f}% of its bandwidth, about {:.2g} transfers in flight", name,
                                    100 * u, in_flight);
      }
    }
    e.wall_seconds += e.network_seconds;
  }
  double h = static_cast<double>(e.hosts);
  e.memory_bytes += h * h * 200.0 + h * 20e3 + 64e6;  // routes, per-host state, the engine itself
  return e;
}

std::string CostEstimate::largest(size_t n) const {
  std::string out;
  if (network_seconds > 0.5 * wall_seconds)
    out = fmt::format("most of it in SimGrid's flow model ({}; `--network latency` ignores contention), then ",
                      network_why);
  for (size_t i = 0; i < sources.size() && i < n; ++i) {
    if (sources[i].events <= 0) break;
    out += fmt::format("{}{:.2g} events from {}", i == 0 ? "" : ", ", sources[i].events, sources[i].what);
  }
  return out;
}

}  // namespace archsim
