// A topology: what exists. The loaded, checked form of a topology YAML file (schema v1).
//
// Plain data with defaults, below everything that uses it: configuration (sim/config/) fills it,
// each component's kind (models/common/kind.hpp) reads its part, the scenario turns it into
// engine nodes, the analysis and the reports describe it.
// Every field that came from the file remembers its location so that semantic checks (dangling
// references, cycles) can name file:line:col.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/cache/cache_spec.hpp"
#include "models/common/resilience.hpp"
#include "models/database/database_spec.hpp"
#include "models/feed/feed_spec.hpp"
#include "models/global_load_balancer/global_lb_spec.hpp"
#include "models/load_balancer/lb_policy.hpp"
#include "models/queue/queue_spec.hpp"
#include "models/rate_limiter/rate_limit_spec.hpp"
#include "models/replicated_store/store_spec.hpp"
#include "sim/support/distribution.hpp"
#include "sim/topology/faults.hpp"
#include "sim/support/key_distribution.hpp"
#include "sim/support/latency_table.hpp"
#include "sim/support/sharding.hpp"
#include "sim/support/location.hpp"

namespace archsim {

// What one component may have: beyond these a design is refused at load time.
constexpr int64_t kMaxReplicas = 100000;
constexpr int64_t kMaxCores = 1024;
constexpr int64_t kMaxWorkers = 10000000;

class Kind;        // models/common/kind.hpp: what a kind is, from the registry
struct ParamBlock;  // models/common/params.hpp: a kind's own declared parameters

enum class Op { Read, Write };

struct RequestType {
  std::string name;
  double weight = 1;
  Op op = Op::Read;  // what a database does with it; `write` by default for a type named "write"
  KeyDistribution keys = KeyDistribution::uniform(1000000);
  double request_bytes = 1024;   // bytes of each request message on every hop
  double response_bytes = 1024;  // bytes of each response message on every hop
  Location loc;
};

struct ArrivalSpec {
  enum class Process { Poisson, Constant, Closed, Trace };
  Process process = Process::Poisson;
  double rate = 0;                        // requests per second (poisson, constant)
  int64_t users = 0;                      // closed loop: concurrent users, each waits for its answer
  Distribution think_time;                // closed loop: pause between an answer and the next request
  std::string trace_file;                 // trace: CSV of `t_s[,type[,key]]`, path relative to the topology
  Location loc;
};

// One entry of a `calls:` list: a single call, a parallel group, or a fan-out to many replicas.
struct CallSpec {
  enum class Shape { Single, Parallel, Fanout };
  Shape shape = Shape::Single;
  std::vector<std::string> targets;  // one for Single and Fanout
  int64_t fanout = 0;                // Fanout: number of replicas called; -1 = all
  int64_t wait_for = 0;              // Fanout: answers the caller waits for (partial results); 0 = all
  double hedge_after = 0;            // seconds before a backup request; 0 with hedge_quantile = 0: no hedging
  double hedge_quantile = 0;         // > 0: the backup goes after this quantile of the observed answer times
  bool tied = false;                 // tied requests: two copies at once, the first to start cancels the other
  std::vector<Location> target_locs;
  Location loc;
  bool enqueue = false;  // `{enqueue: topic}`: a Single call to a queue, answered when the enqueue is acknowledged
  // Failure handling (docs/topology.md): the component's `call_policy:` overridden by the call's own
  // `timeout`, `retries`, `circuit_breaker`, `fallback`, `idempotency`, `failover`. Single calls only.
  CallPolicy policy;
};

struct OpProfile {
  Distribution io;   // on the replica's disk
  Distribution cpu;  // on the replica's cores
};

// What a component costs to run (`cost:` in the topology; docs/estimates.md). USD; a month is
// 730 hours and a GB is 1e9 bytes, as cloud bills count them.
struct Cost {
  bool given = false;
  std::string preset;             // the preset the values started from, "" for none
  double per_replica_month = 0;   // USD per replica per month (instances, managed services)
  double per_gb_month = 0;        // USD per GB stored per month (object storage, disks)
  double stored_gb = 0;           // GB stored: the simulator does not track stored bytes, so it is given
  double per_gb_egress = 0;       // USD per GB of responses the component sends
  Location loc;
};

struct Component {
  std::string name;
  const Kind* kind = nullptr;  // never null once loaded
  std::string region;
  Location loc;

  // Every server-side component is a station: replicas with cores, a worker pool and a queue.
  int64_t replicas = 1;
  int64_t cores = 1;      // CPU cores per replica; more requests than cores share them (processor sharing)
  int64_t workers = -1;   // concurrent requests per replica (-1 = unbounded); a worker is held to the end
  int64_t queue = -1;     // waiting requests per replica (-1 = unbounded); full → rejected
  Distribution cpu;       // CPU demand per request
  Distribution delay;     // time holding a worker without CPU (e.g. an external API)
  std::map<std::string, std::vector<CallSpec>> calls;  // by request type; "*" applies to every type
  CallPolicy call_policy;  // `call_policy:`: the default failure handling of its single calls

  // client
  ArrivalSpec arrival;
  std::vector<RequestType> requests;
  std::string target;
  Location target_loc;
  double timeout = 0;  // seconds; 0 = none

  // load_balancer
  LbPolicy policy = LbPolicy::RoundRobin;
  HealthCheckSpec health_check;  // load balancers
  Location health_check_loc;
  std::string lb_targets;
  Location lb_targets_loc;

  CacheSpec cache;  // cache

  // database
  OpProfile read_profile, write_profile;
  int64_t io_parallelism = 8;  // concurrent I/Os the disk serves at full speed; more share it

  Cost cost;  // any kind

  // rate_limiter (its `target` is the field above), and a load balancer's `rate_limit:`
  std::optional<RateLimitSpec> rate_limit;
  // queue (its consumers' downstream calls are `calls` above)
  QueueSpec queue_spec;
  // database and cache: `shards: N` with `sharding:` (0 = not given; `replicas` then stays the
  // legacy hash-mod spread). For a database, replicas = shards x (1 + read_replicas) nodes.
  int64_t shards = 0;
  ShardingSpec sharding;
  Location sharding_loc;
  DatabaseSpec db;  // database only
  FeedSpec feed;  // feed
  StoreSpec store;  // replicated_store
  GlobalLbSpec global_lb;  // global_load_balancer
  // Kinds that declare their parameters (Kind::params()): the values read, as that kind's Params.
  std::shared_ptr<const ParamBlock> params;
  template <typename P>
  const P& params_as() const { return static_cast<const P&>(*params); }
};

struct RegionLink {
  std::string a, b;
  double rtt = 0;         // seconds, host to host
  double bandwidth = 0;   // bits per second
  bool contended = false; // `contended: true`: `--network auto` carries it by SimGrid's flow model
  Location loc;
};

struct NetworkSpec {
  double intra_region_rtt = 500e-6;  // host to host within a region
  double host_bandwidth = 10e9;      // each host's NIC, bits per second, each direction
  std::vector<RegionLink> links;
  // Components whose hosts' NICs contend (`--network auto` carries them by SimGrid's flow model).
  std::vector<std::string> contended;
  std::vector<Location> contended_locs;
};

struct RunSpec {
  double duration = 60;  // total simulated seconds
  double warmup = 0;     // seconds excluded from the measurement at the start
  uint64_t seed = 1;
  Location duration_loc;  // where run.duration was given (or the run: block, or nothing)
};

struct Topology {
  std::string name;
  std::string file;  // where it was loaded from
  // The other sources of its values, named by Location::file k > 0 as origins[k - 1]: the files it
  // extends (`extends:`) and the `--set` overrides ("--set path=value").
  std::vector<std::string> origins;
  // When the file extends another: the merged document (before any --set), as YAML, so that a run
  // folder's copy of the topology stands alone. Empty otherwise (the file itself is the copy).
  std::string merged_yaml;
  std::vector<std::string> regions;
  NetworkSpec network;
  LatencyTable latency;
  std::vector<Component> components;  // file order
  RunSpec run;
  std::vector<Fault> faults;  // `faults:`, in file order

  const Component* find(const std::string& name) const;
  int index_of(const std::string& name) const;
  // "file:line:col" (the file alone when `loc` is unknown), and a ConfigError that starts with it.
  std::string where(Location loc) const;
  [[noreturn]] void fail(Location loc, const std::string& message) const;
  // The round trip between two regions as the network routes it (the lowest sum of link round
  // trips; 0 within a region, the intra-region round trip excluded); infinity when no path joins them.
  double region_rtt(const std::string& a, const std::string& b) const;
};

}  // namespace archsim
