// The seam between the models and the simulation engine underneath.
//
// Models see a Context: the clock, sending a message to another node, timers. The engine runs
// one Node per component replica and delivers its messages and timers; only sim/engine/ knows
// whether that is SimGrid (every hop a real SimGrid transfer over the platform's links) or the
// in-process event loop. Messages are values owned by whoever holds them; the engine sees only
// their Envelope, so this header does not change when a model's protocol does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/engine/ids.hpp"
#include "sim/engine/network.hpp"

namespace archsim {

// How a request ended. Failed: the dependency was unreachable (its connection was refused or broke);
// Timeout: a caller's per-call timeout fired below; CircuitOpen: a caller's breaker failed it fast.
// The summary names them as models/common/resilience.hpp's reasons.
enum class Status : uint8_t { Ok, Rejected, Failed, Timeout, CircuitOpen };

// What the engine knows of a message: who sent it and when, how many bytes it carries, and
// whether it is an answer. Everything else a message says belongs to the models
// (models/common/message.hpp derives from this); the engine moves it without looking.
struct Envelope {
  virtual ~Envelope() = default;
  bool is_response = false;
  Status status = Status::Ok;  // the engine sets Failed on a request a crashed node refuses
  NodeId from = 0;             // set by the engine when sent
  double sent_at = 0;          // set by the engine when sent
  double request_bytes = 0;    // size of the request on every hop
  double response_bytes = 0;   // size of the response on every hop
  double bytes() const { return is_response ? response_bytes : request_bytes; }
};
using EnvelopePtr = std::unique_ptr<Envelope>;

class Context {
 public:
  virtual ~Context() = default;
  virtual double now() const = 0;
  virtual NodeId self() const = 0;
  // Sends `msg` to `to`; it arrives after the network delay of its bytes.
  virtual void send(NodeId to, EnvelopePtr msg) = 0;
  // Calls the node's on_timer(tag) after `delay` seconds unless cancelled. REQUIRES: delay >= 0.
  virtual TimerId start_timer(double delay, uint64_t tag) = 0;
  virtual void cancel_timer(TimerId id) = 0;
};

// A gray failure or a resource running out on one node (sim/topology/faults.hpp `slow`, `disk_full`).
// `affected`, when set, is where the node counts the requests the condition changed (the
// summary's `faults` list reports it); it outlives the run.
struct NodeCondition {
  enum class Kind : uint8_t { Slow, DiskFull, Spike };
  Kind kind = Kind::Slow;
  double factor = 1;   // Slow: cpu, io and delay times are multiplied by this; Spike: a client's rate
  double latency = 0;  // Slow: seconds added to every request served
  uint64_t* affected = nullptr;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual void on_start(Context& ctx) {}
  virtual void on_message(Context& ctx, EnvelopePtr msg) = 0;
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
  virtual NetworkReport network_report() const = 0;
  // The wall-time guard: once a run's wall time, projected to its end at its pace so far, passes
  // `seconds` (0: never), run() stops early and stopped() says why and at what pace. The native
  // engine keeps it; the SimGrid actor engine (`--engine simgrid`) does not.
  void set_wall_limit(double seconds) { wall_limit_ = seconds; }
  const std::string& stopped() const { return stopped_; }
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

 protected:
  double wall_limit_ = 0;
  std::string stopped_;
};

std::unique_ptr<Engine> make_simgrid_engine(const NetworkPlan& plan, bool progress);
// The native event core: `Latency` on its own, `Flow` with SimGrid's flow model for every
// transfer, `Auto` for the transfers that contend (sim/engine/flow_carrier.hpp).
std::unique_ptr<Engine> make_native_engine(const NetworkPlan& plan, NetworkMode mode, bool progress);
// `Actors`: make_simgrid_engine; else make_native_engine.
std::unique_ptr<Engine> make_engine(const NetworkPlan& plan, NetworkMode mode, bool progress);
// The native engine without contention, for the models' unit tests.
std::unique_ptr<Engine> make_local_engine(const NetworkPlan& plan);

}  // namespace archsim
