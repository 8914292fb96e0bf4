// The network part of a run's report: the mode, and the links SimGrid's flow model carried.
#include <fmt/format.h>

#include <map>

#include "sim/report/report.hpp"

namespace archsim {

namespace {

// The JSON keeps this many carried links; the rest are counted.
constexpr size_t kListed = 50;

// "app" for "app/3 NIC up": the links of one component's replicas are told together.
std::string owner(const std::string& link) {
  auto nic = link.find(" NIC");
  if (nic == std::string::npos) return link;
  return link.substr(0, link.find('/')) + link.substr(nic);
}

}  // namespace

nlohmann::ordered_json network_json(const NetworkReport& n) {
  nlohmann::ordered_json j;
  j["mode"] = to_string(n.mode);
  j["flow_transfers"] = n.flow_transfers;
  j["direct_transfers"] = n.direct_transfers;
  j["links"] = n.links;
  nlohmann::ordered_json carried = nlohmann::ordered_json::array();
  for (size_t i = 0; i < n.carried.size() && i < kListed; ++i) {
    const auto& c = n.carried[i];
    carried.push_back({{"link", c.link}, {"why", c.why}, {"since_s", c.since}, {"utilization", c.utilization}});
    if (c.until >= 0) carried.back()["until_s"] = c.until;
  }
  j["carried"] = carried;
  j["carried_count"] = n.carried.size();
  return j;
}

std::string network_terminal(const NetworkReport& n) {
  if (n.mode == NetworkMode::Flow)
    return fmt::format("network: SimGrid's flow model carried every transfer ({}; --network flow)\n", n.flow_transfers);
  if (n.mode == NetworkMode::Latency)
    return "network: latency + bytes / bandwidth on every link, no contention (--network latency)\n";
  if (n.carried.empty())
    return fmt::format("network: every link uncontended ({} transfers at latency + bytes / bandwidth); SimGrid's flow "
                       "model carried none\n",
                       n.direct_transfers);
  // One entry per component's NICs (with how many of its replicas) and per region link.
  std::map<std::string, std::pair<size_t, std::string>> groups;
  std::vector<std::string> order;
  for (const auto& c : n.carried) {
    std::string key = owner(c.link);
    auto [it, fresh] = groups.try_emplace(key, 0, c.why);
    if (fresh) order.push_back(key);
    ++it->second.first;
  }
  std::string parts;
  for (const auto& key : order) {
    const auto& [count, why] = groups[key];
    parts += fmt::format("{}{}{} ({})", parts.empty() ? "" : ", ", key, count > 1 ? fmt::format(" x{}", count) : "", why);
  }
  uint64_t total = n.flow_transfers + n.direct_transfers;
  return fmt::format("network: SimGrid's flow model carried {}; {} of {} links uncontended; {:.1f}% of transfers "
                     "through SimGrid\n",
                     parts, n.links - std::min(n.links, n.carried.size()), n.links,
                     total ? 100.0 * static_cast<double>(n.flow_transfers) / static_cast<double>(total) : 0.0);
}

}  // namespace archsim
