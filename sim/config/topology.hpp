// A topology: what exists. The loaded, checked form of a topology YAML file (schema v1).
//
// Plain data with defaults; the loader fills it and the scenario turns it into engine nodes.
// Every field that came from the file remembers its location so that semantic checks (dangling
// references, cycles) can name file:line:col.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/common/resilience.hpp"
#include "sim/support/distribution.hpp"
#include "sim/config/faults.hpp"
#include "sim/support/key_distribution.hpp"
#include "sim/support/latency_table.hpp"
#include "sim/support/sharding.hpp"
#include "sim/config/yaml_source.hpp"

namespace archsim {

enum class ComponentKind { Client, LoadBalancer, Service, Cache, Database, RateLimiter, Queue, Feed, ReplicatedStore };
const char* to_string(ComponentKind k);

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
  // `timeout`, `retries`, `circuit_breaker`, `fallback`, `idempotency`. Single calls only.
  CallPolicy policy;
};

// Caches (docs/topology.md): which key leaves when a new one needs room, and how writes meet the backend.
enum class CacheEviction { Lru, Lfu, Fifo };
enum class WritePolicy { ReadThrough, CacheAside, WriteThrough, WriteBehind };
const char* to_string(WritePolicy p);

enum class LbPolicy { RoundRobin, Random, LeastConnections, PowerOfTwo };
const char* to_string(LbPolicy p);

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

// A rate limit: `kind: rate_limiter`, or a load balancer's `rate_limit:` (docs/topology.md).
struct RateLimitSpec {
  enum class Algorithm { TokenBucket, SlidingWindowLog, FixedWindow };
  enum class Per { Global, Key, Client };
  enum class State { Local, Central };
  Algorithm algorithm = Algorithm::TokenBucket;
  double capacity = 0;        // token bucket: tokens, the largest burst
  double refill = 0;          // token bucket: tokens per second, the sustained rate
  int64_t limit = 0;          // windows: requests admitted per window
  double window = 0;          // windows: seconds
  Per per = Per::Global;      // one limit for all, per request key, or per client component
  State state = State::Local; // local: counters per limiter replica; central: in `store`
  std::string store;          // central: the component holding the counters (e.g. a Redis cache)
  Location store_loc;
  bool fail_open = true;      // central: when the store fails or times out, admit (else reject)
  double store_timeout = 0.05;  // seconds a decision waits for the store
  double burst_window = 0;    // seconds of the largest-burst measurement; 0 = `window` (token bucket: 1 s)
  Location loc;
};
const char* to_string(RateLimitSpec::Algorithm a);

// A Kafka-like topic with a consumer group (`kind: queue`).
struct QueueSpec {
  int64_t partitions = 1;
  int64_t consumers = 1;             // consumer group size; a partition belongs to one consumer
  bool ordered = true;               // ordering: partition (true) or none (competing consumers)
  Distribution service_time;         // per message, per attempt, holding its consumer
  double failure_probability = 0;    // an attempt fails (and is retried) with this probability
  int64_t max_attempts = 3;          // then the message goes to the dead-letter queue
  Distribution retry_backoff = Distribution::constant(0.1);  // before the 2nd attempt
  double backoff_multiplier = 2;     // each later backoff is this much longer
  Distribution ack_delay;            // enqueue to acknowledgement (replication before the ack)
  int64_t max_backlog = -1;          // messages; -1 = unbounded; full -> the enqueue is rejected
  std::string dead_letter_to;        // a queue receiving the dead-lettered messages; "" = count and drop
  Location dead_letter_loc;
};
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

// A feed (models/feed/feed.hpp): a follower graph and how posts reach timelines.
struct FeedSpec {
  enum class Strategy { Push, Pull, Hybrid };
  // The follower graph: generated, or read from `edges_file` (CSV `follower,followee`).
  int64_t users = 10000;
  double mean_followees = 200;
  double exponent = 2.1;
  struct Celebrity {
    int64_t followers = 0;
    std::vector<double> posts_at;  // seconds: posts this account makes at these times
  };
  std::vector<Celebrity> celebrities;
  std::string edges_file;
  Strategy strategy = Strategy::Push;
  int64_t celebrity_threshold = 10000;
  int64_t timeline_len = 800;
  double entry_bytes = 16;
  double posts_per_user_per_day = 2;
  double reads_per_user_per_day = 200;
  int64_t fanout_workers = 8;
  int64_t fanout_batch = 1000;
  double timeline_write = 20e-6;
  Distribution timeline_read = Distribution::constant(1e-3);
  Distribution post_fetch = Distribution::constant(2e-3);
  int64_t pull_parallelism = 50;
  bool activity_by_degree = false;  // `activity: by_degree` (else uniform): see models/feed/feed.hpp
};

// A replicated key-value store (`kind: replicated_store`, models/replicated_store/replicated_store.hpp).
struct StoreSpec {
  enum class Consistency { Cp, Ap };
  Consistency consistency = Consistency::Cp;
  std::vector<std::string> placement;  // the region of each replica
  std::vector<Location> placement_locs;
  Distribution op_time = Distribution::constant(100e-6);
  double value_bytes = 100;
  // cp
  double election_timeout = 1.0;
  double heartbeat_interval = 0.1;
  bool minority_rejects = true;
  bool lease_reads = true;
  bool pre_vote = true;
  // ap
  int64_t n = 0, r = 1, w = 1;
  Location quorum_loc;
  bool sloppy = true;
  bool siblings = false;
  std::vector<double> clock_skew;
  Location clock_skew_loc;
  double request_timeout = 0.5;
  bool read_repair = true;
  bool hinted_handoff = true;
  double hint_retry = 1.0;
  int64_t max_hints = 100000;
  double anti_entropy_interval = 10;
  Location ap_only_loc, cp_only_loc;  // the first ap-only (cp-only) key given, for the mode check
  std::string ap_only_key, cp_only_key;
};

struct Component {
  std::string name;
  ComponentKind kind = ComponentKind::Service;
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
  std::string lb_targets;
  Location lb_targets_loc;

  // cache
  int64_t capacity = 0;  // entries
  Distribution hit;      // service time of a hit
  std::string backend;
  Location backend_loc;
  double capacity_bytes = 0;    // > 0: capacity counted in bytes instead of entries
  double value_size = 0;        // bytes of a cached value; 0 = the request type's response size
  CacheEviction eviction = CacheEviction::Lru;
  double ttl = 0;               // seconds; 0 = entries never expire
  WritePolicy write_policy = WritePolicy::ReadThrough;
  double flush_interval = 1;    // write_behind: seconds between flushes of the acknowledged writes
  bool coalesce_misses = false; // one backend read per key in flight; later misses wait for it
  int64_t vnodes = 150;         // replicas > 1: points per replica on the consistent-hash ring
  Location write_policy_loc, coalesce_loc;

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
};

struct RegionLink {
  std::string a, b;
  double rtt = 0;         // seconds, host to host
  double bandwidth = 0;   // bits per second
  Location loc;
};

struct NetworkSpec {
  double intra_region_rtt = 500e-6;  // host to host within a region
  double host_bandwidth = 10e9;      // each host's NIC, bits per second, each direction
  std::vector<RegionLink> links;
};

struct RunSpec {
  double duration = 60;  // total simulated seconds
  double warmup = 0;     // seconds excluded from the measurement at the start
  uint64_t seed = 1;
};

struct Topology {
  std::string name;
  std::string file;  // where it was loaded from
  std::vector<std::string> regions;
  NetworkSpec network;
  LatencyTable latency;
  std::vector<Component> components;  // file order
  RunSpec run;
  std::vector<Fault> faults;  // `faults:`, in file order

  const Component* find(const std::string& name) const;
  int index_of(const std::string& name) const;
};

}  // namespace archsim
