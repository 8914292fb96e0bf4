// `archsim reshard FILE --component db --to N`: what changing a component's shard count moves,
// for every placement strategy, measured by placing the workload's key space (sim/support/sharding.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sim/support/sharding.hpp"
#include "sim/topology/topology.hpp"

namespace archsim {

// The key space is the largest `keys.count` among the clients' request types; the current shard
// count is the component's `shards` (or `replicas`). value_bytes <= 0: 1 KiB.
// Throws ConfigError (naming the file) when the component does not exist or cannot be sharded.
ReshardReport reshard_component(const Topology& t, const std::string& component, int64_t to, double value_bytes);
std::string reshard_text(const ReshardReport& r);
nlohmann::ordered_json reshard_json(const ReshardReport& r);

}  // namespace archsim
