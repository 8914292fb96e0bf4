// A database's copies, connections and failover as the topology sets them (docs/topology.md,
// "Databases").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/support/distribution.hpp"
#include "sim/support/location.hpp"

namespace archsim {

// A database's copies and how it handles connections (docs/topology.md, "Databases").
enum class ReadsFrom { Primary, Replicas, Any };
enum class ReplicationMode { Async, Sync };
// What happens when a shard's primary crashes (docs/topology.md, "Failover"). None: the shard has
// no primary until the crashed node restarts. Hot: a read replica is promoted automatically.
// Manual: a cold standby an operator restores; the primary is back `restore_time` after the crash.
enum class FailoverMode { None, Hot, Manual };
const char* to_string(FailoverMode m);
const char* to_string(ReadsFrom r);
const char* to_string(ReplicationMode m);

struct DatabaseSpec {
  std::string preset;                   // the preset the values started from, "" for none
  int64_t read_replicas = 0;            // copies per shard besides the primary
  ReadsFrom reads_from = ReadsFrom::Primary;
  ReplicationMode replication = ReplicationMode::Async;
  std::optional<Distribution> apply;    // a replica's time to apply one write (default: the write's cpu; the fsync is the primary's)
  bool refuse_over_limit = false;       // beyond max_connections: refuse (PostgreSQL) instead of waiting
  double connection_cpu = 0;            // CPU seconds added to each request per connection active on the node
  double connection_memory = 0;         // bytes per open connection (reported, e.g. ~10MB per PostgreSQL backend)
  bool pooler = false;                  // a pgbouncer-style pooler in front of each node
  std::string pooler_kind = "pgbouncer";
  int64_t server_connections = 100;     // pooler: connections it keeps to the database
  int64_t max_client_connections = 100000;  // pooler: client connections it accepts (beyond: refused)
  FailoverMode failover = FailoverMode::None;
  // Hot standby: seconds from the crash until the replicas' failure detector gives up on the
  // primary (a shorter one fails over on a network blip), then until the chosen replica takes
  // writes (WAL replay, fencing, the endpoint update).
  double detect_after = 10;
  double promote_time = 5;
  // Cold standby: seconds from the crash until an operator has the primary back from disk/backup.
  double restore_time = 4 * 3600.0;
  Location loc;
};

}  // namespace archsim
