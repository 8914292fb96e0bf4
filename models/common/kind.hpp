// What a component kind is to the rest of archsim: one object per kind, listed once in the
// registry (models/kinds.cpp), that the loader, the validator, the scenario builder, the analytic
// view and the reports ask instead of testing which kind a component is.
//
// A kind lives in its own folder under models/: its model (the engine nodes), its parameters, this
// interface's implementation (<kind>_kind.cpp) and its specification tests. Adding a kind is a new
// folder, one line in the registry and one in CMakeLists.txt.
//
// Everything here is plain C++ over the topology's data (sim/topology/topology.hpp): no YAML, no
// engine internals, no report formats. What a kind needs from the scenario while it builds is the
// BuildContext below, which the scenario builder implements.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/common/params.hpp"
#include "models/common/routing.hpp"
#include "sim/support/metrics.hpp"
#include "sim/support/queueing_formulas.hpp"
#include "sim/support/random.hpp"
#include "sim/topology/topology.hpp"

namespace archsim {

class Node;  // sim/engine/engine.hpp: what add_replicas hands to the engine

// What a kind is and may be, as the checks, faults, pictures and reports need to know it.
struct KindTraits {
  const char* plural = "";       // "services": in messages that list the kinds with a trait
  const char* dot_shape = "box"; // its node in topology.dot
  bool client = false;           // sends requests of its own (`arrival:`, `requests:`); cannot be called
  bool own_workload = false;     // makes its own work without any client (a feed): never "unreachable"
  bool server = true;            // one row of the component table (ComponentStats)
  bool single_node = false;      // one engine node whatever `replicas:` says (clients, load balancers)
  bool by_key = false;           // the request's key picks the replica (caches, databases)
  bool can_crash = false;        // `crash:` faults
  bool can_slow = false;         // `slow:` faults on the component
  bool has_disk = false;         // `disk_full:` faults; a rate limit's counters there are writes
  bool accepts_enqueue = false;  // the target of `{enqueue: it}`, and of nothing else
  bool counter_store = false;    // may hold a central rate limit's counters
  bool directory = false;        // may be the directory of a directory-sharded component
  bool forwards = false;         // passes each request on unchanged (a write ledger looks through it)
  bool guards_calls = false;     // its `calls:` take `call_policy:` (timeouts, retries, idempotency keys)
  bool keeps_history = false;    // its client operations can be written as a history (`run --history`)
  bool global = false;           // runs outside any region (DNS, anycast): a region_down fault leaves it up
  const char* pool = "workers";  // what bounds its concurrent requests, in the reports
  const char* part = "replica";  // what one of its nodes is called in the critical path
};

// One arrow out of a component: a call, a backend, a forward target, a dead-letter topic or a
// rate limit's counter store. It feeds the reference checks, the cycle check, the DOT picture and
// the analytic view's load propagation.
struct Reference {
  std::string target;
  Location loc;
  const char* role = "call";  // what the key is called in messages: "target", "backend", "call", ...
  std::string label;          // the DOT edge label ("miss", "enqueue", a request type)
  double share = 1;           // of the requests the component receives, the share sent this way (analytic view)
  bool async = false;         // the caller does not wait (enqueues, dead letters): closes no cycle
  bool store = false;         // a rate limit's counter store
  bool load = true;           // carries the requests the component receives (the analytic view follows it)
  // A `calls:` entry: the request type it is for ("*" for every other type) and the call itself.
  std::string type;
  const CallSpec* call = nullptr;
};

// What a kind may ask of the scenario while it builds its nodes.
class BuildContext {
 public:
  virtual ~BuildContext() = default;
  virtual const Topology& topology() const = 0;
  // The engine node ids of `name`'s replicas (handed out in file order before anything is built).
  virtual const std::vector<NodeId>& replicas(const std::string& name) const = 0;
  // The replicas of `name` a caller in `region` reaches, and how one is chosen per request.
  virtual CallTarget target(const std::string& name, const std::string& region) = 0;
  virtual ResolvedCall resolve(const CallSpec& call, const std::string& region) = 0;
  // `c`'s calls per global request type; with `caller`, guarded calls count under its statistics.
  virtual std::vector<std::vector<ResolvedCall>> calls_by_type(const Component& c, ComponentStats* caller) = 0;
  // The component table's row of `c`, its common fields filled (name, kind, replicas, workers, cores).
  virtual ComponentStats& server_stats(const Component& c) = 0;
  // Builds replica i of `c` with `make` for every replica and hands each to the engine (stations
  // also get their replica index and the write ledger their callers need).
  virtual void add_replicas(const Component& c, ComponentStats& st,
                            const std::function<std::unique_ptr<Node>(size_t i, Rng rng)>& make) = 0;
  // A database with `failover:`: the primary view its nodes move and its callers read.
  virtual std::shared_ptr<PrimaryView> primary_view(const Component& c) = 0;
  // The consistent-hash ring of a cache cluster, shared by all its callers.
  virtual std::shared_ptr<const HashRing> ring(const Component& c) = 0;
  // Kinds whose runs share state the builder owns (request types, follower graphs, consistency
  // oracles and histories): the builder wires them.
  virtual void add_client(const Component& c) = 0;
  virtual void add_feed(const Component& c) = 0;
  virtual void add_store(const Component& c) = 0;
};

// The analytic view of one component (sim/analysis/estimate.hpp): given the rate of every request
// type arriving at it, what it does with it.
struct AnalyticInput {
  const Topology* topology = nullptr;
  std::map<std::string, double> by_type;  // requests per second arriving, by type
  double lambda = 0;                      // their sum
  std::function<const RequestType*(const std::string&)> type;  // a request type's description
  // Caches a request type's reads passed through before reaching this component (their misses
  // are what arrives), by type; absent: none.
  std::map<std::string, std::vector<std::shared_ptr<const CheView>>> in_front;
};
struct AnalyticOutput {
  struct Resource {
    std::string name;   // "cpu", "io", "consumers", ...
    double demand = 0;  // mean seconds of it per request
    int64_t per_replica = 0;
    bool queues = true;  // false: over its limit work is refused, not queued (no Erlang C wait)
    int64_t shared = 0;  // > 0: servers of the whole component, shared by its replicas (not per replica)
  };
  std::vector<Resource> resources;
  std::optional<double> hit_ratio;  // caches
  std::string hit_ratio_method;
  double read_pass = 1;  // the share of reads it passes on to its references (1 - hit ratio)
  std::shared_ptr<const CheView> holds;  // caches: which keys it holds in steady state (for those behind it)
  std::vector<std::string> notes;
};

// A kind's own section of the run summary: values with their names, written to summary.json, the
// terminal table and the CSV from this one list.
struct SectionValue {
  std::string key;    // JSON key and CSV column (snake_case)
  std::string label;  // terminal text before the value
  double value = 0;
  const char* unit = "";  // "", "ms", "%", "B", "/s"
};

// Events a component's nodes cause on their own over a run, whatever its load (heartbeats,
// flushes, anti-entropy rounds, health checks): what the up-front cost guard adds to the
// requests' messages.
struct BackgroundEvents {
  std::string what;  // "heartbeats every 100 ms", for the guard's message
  double events = 0;  // timers and messages over the whole run
};

class Kind {
 public:
  virtual ~Kind() = default;
  virtual const char* name() const = 0;     // the `kind:` value
  virtual const char* summary() const = 0;  // one line, for `archsim schema` and the docs
  virtual const KindTraits& traits() const = 0;
  // Its keys, declared once (models/common/params.hpp): the loader reads a component through this
  // table, and `archsim schema` prints it into docs/topology.md.
  virtual const ParamTable& params() const = 0;
  // The defaults its component starts from before its keys are read, where they differ from
  // Component's (a database: 8 cores, 100 connections).
  virtual void defaults(Component& c) const;
  // Its arrows out. The default: its `calls:`.
  virtual void references(const Component& c, std::vector<Reference>& out) const;
  // Checks that need the whole topology (after references and cycles), failing with a
  // ConfigError that names file:line:col; warnings are appended as complete lines.
  virtual void check(const Topology& t, const Component& c, std::vector<std::string>& warnings) const;
  // A single call to it that the caller must complete itself (a cache_aside cache: the caller
  // reads this backend on a miss and fills the cache). Null for every other component.
  virtual const std::string* aside_backend(const Component& c) const;
  // How a caller in `region` reaches it, beyond its replicas and `by_key`: shard groups, rings,
  // regional replicas.
  virtual void reach(const Component& c, const std::string& region, CallTarget& ct, BuildContext& b) const;
  // How many engine nodes it has (hosts, each with the network's host bandwidth). The default:
  // one for single-node kinds, else its replicas.
  virtual int64_t nodes(const Component& c) const;
  // The region node `i` of it runs in. The default: its `region:`.
  virtual const std::string& node_region(const Component& c, size_t i) const;
  virtual void build(const Component& c, BuildContext& b) const = 0;
  virtual void analytic(const Component& c, const AnalyticInput& in, AnalyticOutput& out) const;
  // Its section of the run summary (empty: none).
  virtual std::vector<SectionValue> section(const Component& c, const ComponentStats& s, double window) const;
  // Bytes its state takes in memory beyond the engine's per-host share, for the up-front cost guard.
  virtual double memory_bytes(const Component& c) const;
  // Its background events over `t.run.duration` (`requests`: every client's arrivals over the
  // run, an upper bound of the writes a flush can carry). The default: its health checks.
  virtual void background_events(const Topology& t, const Component& c, double requests,
                                 std::vector<BackgroundEvents>& out) const;
  // A crash of node `replica` from `at`: when the node comes back if not at the fault's end
  // (a cold standby's primary returns when the operator has restored it).
  virtual std::optional<double> crash_until(const Component& c, size_t replica, double at) const;
};

// The station part of a component's nodes (workers, queue, cores, the disk for kinds with one).
StationParams station_params(const Component& c);

// The registry: every kind, in the order the docs list them.
const std::vector<const Kind*>& kinds();
// The kind named `name`; null when there is none.
const Kind* find_kind(const std::string& name);
// "client, load_balancer, ...": for messages.
std::string kind_names();
// "services, caches and databases": the plurals of the kinds with `trait`.
std::string kinds_with(bool KindTraits::*trait);

}  // namespace archsim
