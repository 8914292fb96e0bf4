// The platform every engine builds from a topology, and what it reports of the links' use.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace archsim {

// The network every engine builds: hosts in regions, each host with its own NIC (one link per
// direction), regions joined by links. A route between two hosts is: the sender's NIC up-link,
// the region links along the shortest path (one per direction), the receiver's NIC down-link.
// Latencies are split so that a host-to-host round trip equals the configured rtt exactly.
struct NetworkPlan {
  double intra_region_rtt = 500e-6;
  double host_bandwidth = 10e9;  // bits per second
  struct RegionLink {
    std::string name;     // "us-east<->eu-west"
    double latency = 0;   // one-way seconds of the region link itself
    double bandwidth = 0; // bits per second, each direction
  };
  std::vector<std::string> regions;
  std::vector<RegionLink> links;
  // route[a][b]: the region links (index, forward?) from region a to region b.
  std::vector<std::vector<std::vector<std::pair<int, bool>>>> route;
  // Marked by the user as contended (`network.contended`, a link's `contended: true`): in
  // `--network auto` every transfer over them goes through SimGrid's flow model from the start.
  std::vector<bool> link_contended;             // by region link (empty: none)
  std::vector<std::string> contended_components;  // the NICs of these components' hosts
  // The analytic view's offered utilization of one host's NIC, by component (the busier
  // direction; sim/analysis/estimate.hpp): above the contention threshold, auto carries those
  // NICs by SimGrid from the start instead of from the first window that measures it.
  std::vector<std::pair<std::string, double>> predicted_nic;
};

// How the network is simulated (`--network`, README "How the model works").
enum class NetworkMode : uint8_t {
  Auto,     // the native event core; SimGrid's flow model carries the transfers over contended links
  Flow,     // the native event core; SimGrid's flow model carries every transfer (the reference)
  Latency,  // no contention anywhere: every transfer takes latency + bytes / bandwidth
  Actors,   // the previous engine: one SimGrid actor per replica, every transfer through SimGrid
};
const char* to_string(NetworkMode m);

// Offered utilization above which `--network auto` has a link's transfers carried by SimGrid's
// flow model (sim/engine/local_engine.cpp).
constexpr double kContendedUtilization = 0.2;

// What the engine did with the network: which links SimGrid's flow model carried, and why.
struct NetworkReport {
  NetworkMode mode = NetworkMode::Flow;
  uint64_t flow_transfers = 0;    // through SimGrid's flow model
  uint64_t direct_transfers = 0;  // latency + bytes / bandwidth on the native core
  size_t links = 0;               // NIC directions and region link directions in the platform
  struct Carried {
    std::string link;         // "app/3 NIC up", "us-east<->eu-west (forward)"
    std::string why;          // "marked", "offered 91%", "large transfers"
    double since = 0;         // simulated seconds from which it was carried
    double utilization = 0;   // offered, over the window that tripped it (0 when marked)
    // Predicted by the analytic view, then measured below the threshold in the first window:
    // carried until then only (-1: to the end of the run).
    double until = -1;
  };
  std::vector<Carried> carried;
};

struct LinkUsage {
  std::string name;
  double bandwidth;     // bits per second
  double bytes = 0;     // sent in the measured window
};

}  // namespace archsim
