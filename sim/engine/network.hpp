// The platform every engine builds from a topology, and what it reports of the links' use.
#pragma once

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
};

struct LinkUsage {
  std::string name;
  double bandwidth;     // bits per second
  double bytes = 0;     // sent in the measured window
};

}  // namespace archsim
