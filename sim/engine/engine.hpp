// The seam between the models and the simulation engine underneath.
//
// Models see a Context: the clock, sending a message to another node, timers. The engine runs
// one Node per component replica and delivers its messages and timers; only sim/ knows whether
// that is SimGrid (every hop a real SimGrid transfer over the platform's links) or the in-process
// event loop used by unit tests. Messages are values owned by whoever holds them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace archsim {

using NodeId = uint32_t;
using TimerId = uint64_t;

// How a request ended. Failed: the dependency was unreachable (its connection was refused or broke);
// Timeout: a caller's per-call timeout fired below; CircuitOpen: a caller's breaker failed it fast.
// The summary names them as models/common/resilience.hpp's reasons.
enum class Status : uint8_t { Ok, Rejected, Failed, Timeout, CircuitOpen };

// Where a request's time went, one piece of its critical path: `seconds` spent at node `node`
// for `cause` (sim/support/critical_path.hpp names the causes). A response carries the pieces of the
// subtree that answered it, so the client can add them up when the request completes.
struct PathEntry {
  NodeId node = 0;
  uint8_t cause = 0;
  double seconds = 0;
};

// A model's own contents for messages between the replicas of one component (a replication
// protocol), opaque to the engine. Shared, so that a message stays copyable.
struct MessageBody {
  virtual ~MessageBody() = default;
};

struct Message {
  bool is_response = false;
  Status status = Status::Ok;
  bool is_write = false;
  uint16_t type = 0;          // request type index
  uint64_t request_id = 0;    // end-to-end id given by the client
  uint64_t call_id = 0;       // the caller's handle, echoed in the response
  uint64_t key = 0;           // the key the request touches
  NodeId origin = 0;          // the client node the request started from (rate limits `per: client`)
  NodeId from = 0;            // set by the engine when sent
  double sent_at = 0;         // set by the engine when sent
  double request_bytes = 0;   // size of the request on every hop
  double response_bytes = 0;  // size of the response on every hop
  uint64_t version = 0;       // a replicated write: the version the primary gave it (databases)
  uint8_t cache_op = 0;       // to a cache: 0 = the request itself, kCacheFill = a cache-aside fill
  bool cache_miss = false;    // from a cache_aside cache: the key was not there; the caller reads the backend
  std::vector<PathEntry> path;  // responses: the critical path of the answering subtree
  // Tied requests: a request sent to two replicas at once carries `tied` and the other replica in
  // `tie_peer`; the copy that gets a worker first sends the other a `cancel` (whose `tie_peer`
  // then names the caller, and `call_id` the caller's handle), which drops it if it still waits.
  bool tied = false;
  bool cancel = false;
  NodeId tie_peer = 0;
  std::shared_ptr<const MessageBody> body;  // protocol messages only; null for requests and their answers
  // A call made under a failure-handling policy (models/common/resilience.hpp): `op` names the logical
  // call (the same on every retry of it, 0 = none), so the receiver can tell a write it applied
  // before; `idempotent`: the write carries an idempotency key, looked up before applying it.
  uint32_t op = 0;
  bool idempotent = false;
  double bytes() const { return is_response ? response_bytes : request_bytes; }
};
using MessagePtr = std::unique_ptr<Message>;
inline constexpr uint8_t kCacheFill = 1;

class Context {
 public:
  virtual ~Context() = default;
  virtual double now() const = 0;
  virtual NodeId self() const = 0;
  // Sends `msg` to `to`; it arrives after the network delay of its bytes.
  virtual void send(NodeId to, MessagePtr msg) = 0;
  // Calls the node's on_timer(tag) after `delay` seconds unless cancelled. REQUIRES: delay >= 0.
  virtual TimerId start_timer(double delay, uint64_t tag) = 0;
  virtual void cancel_timer(TimerId id) = 0;
};

// A gray failure or a resource running out on one node (sim/config/faults.hpp `slow`, `disk_full`).
// `affected`, when set, is where the node counts the requests the condition changed (the
// summary's `faults` list reports it); it outlives the run.
struct NodeCondition {
  enum class Kind : uint8_t { Slow, DiskFull };
  Kind kind = Kind::Slow;
  double factor = 1;   // Slow: cpu, io and delay times are multiplied by this
  double latency = 0;  // Slow: seconds added to every request served
  uint64_t* affected = nullptr;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual void on_start(Context& ctx) {}
  virtual void on_message(Context& ctx, MessagePtr msg) = 0;
  virtual void on_timer(Context& ctx, uint64_t tag) = 0;
  // Called once at the end of the run, at the end time.
  virtual void on_end(Context& ctx) {}
  // The node's process died: everything in memory is lost. It may answer the requests it held
  // with Status::Failed (their connections broke), and nothing else. Until on_recover, the engine
  // drops the node's timers, the responses sent to it and anything it sends; a request sent to it
  // comes back at once as Status::Failed (connection refused).
  virtual void on_crash(Context& ctx) {}
  // The host is back, empty; timers may be started again.
  virtual void on_recover(Context& ctx) {}
  // A condition (NodeCondition above) starts (`active`) or ends. Nothing fails; the node serves
  // differently while it holds. Nodes that do not model a condition ignore it.
  virtual void on_condition(Context& ctx, const NodeCondition& c, bool active) {}
};

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

class Engine {
 public:
  virtual ~Engine() = default;
  // Adds a host in `region` running `node`. REQUIRES: before run(); node outlives the run.
  virtual NodeId add_node(const std::string& name, int region, Node* node) = 0;
  // Runs until `end` (simulated seconds); traffic is counted from `window_start`.
  virtual void run(double end, double window_start) = 0;
  // Bytes through each NIC (per node, "up" and "down") and region link during the window.
  virtual double nic_bytes_up(NodeId n) const = 0;
  virtual double nic_bytes_down(NodeId n) const = 0;
  virtual std::vector<LinkUsage> region_link_usage() const = 0;
  virtual uint64_t events() const = 0;
  // One fault window, from `at` to `until` (< 0: the end of the run). REQUIRES: before run().
  //   Crash:     node `node` crashes, and recovers at `until` (Node::on_crash / on_recover).
  //   Condition: `condition` holds on node `node` (Node::on_condition).
  //   LinkDown:  the region links `links` (indices into NetworkPlan::links, both directions) are
  //              down: a message whose route crosses one, sent during the window or in flight
  //              when it starts, is lost. A link held down by two faults is up when neither holds it.
  //   LinkSlow:  those links' one-way latency is multiplied by `factor` plus `latency` seconds,
  //              for messages sent during the window.
  // `affected`, when set, counts what the fault did: requests refused by the crashed node,
  // messages lost on the down links, messages sent over the slowed links.
  struct Fault {
    enum class Kind : uint8_t { Crash, Condition, LinkDown, LinkSlow };
    Kind kind = Kind::Crash;
    double at = 0;
    double until = -1;
    NodeId node = 0;
    NodeCondition condition;
    std::vector<int> links;
    double factor = 1;
    double latency = 0;
    uint64_t* affected = nullptr;
  };
  virtual void schedule_fault(const Fault& f) = 0;
  // Crashes node `n` at `at` and brings it back at `recover_at` (< 0: never). REQUIRES: before run().
  void schedule_crash(NodeId n, double at, double recover_at) {
    Fault f;
    f.kind = Fault::Kind::Crash;
    f.node = n;
    f.at = at;
    f.until = recover_at;
    schedule_fault(f);
  }
};

std::unique_ptr<Engine> make_simgrid_engine(const NetworkPlan& plan, bool progress);
std::unique_ptr<Engine> make_local_engine(const NetworkPlan& plan);

}  // namespace archsim
