// The in-process engine: a plain priority-queue event loop over the same NetworkPlan, without
// SimGrid. A message takes the route's latency plus its bytes over the slowest link; links do not
// contend (no bandwidth sharing). It exists so that models can be unit-tested in-process (SimGrid
// allows one Engine per process) and to show how much the SimGrid layer costs.
#include <algorithm>
#include <queue>
#include <unordered_set>

#include "sim/engine.hpp"

namespace archsim {
namespace {

class LocalEngine : public Engine {
 public:
  explicit LocalEngine(const NetworkPlan& plan) : plan_(plan) {}

  NodeId add_node(const std::string& name, int region, Node* node) override {
    NodeId id = static_cast<NodeId>(nodes_.size());
    nodes_.push_back({node, region, this, id});
    nic_up_.push_back(0);
    nic_down_.push_back(0);
    return id;
  }

  void run(double end, double window_start) override {
    end_ = end;
    window_start_ = window_start;
    region_bytes_.assign(plan_.links.size() * 2, 0.0);
    for (auto& n : nodes_) n.node->on_start(n);
    while (!queue_.empty()) {
      Event e = queue_.top();
      if (e.time > end_) break;
      queue_.pop();
      now_ = e.time;
      ++events_;
      NodeCtx& n = nodes_[e.node];
      if (e.msg) {
        n.node->on_message(n, MessagePtr(e.msg));
      } else {
        auto it = cancelled_.find(e.timer);
        if (it != cancelled_.end()) {
          cancelled_.erase(it);
          continue;
        }
        n.node->on_timer(n, e.tag);
      }
    }
    now_ = end_;
    for (auto& n : nodes_) n.node->on_end(n);
    while (!queue_.empty()) {
      delete queue_.top().msg;
      queue_.pop();
    }
  }

  double nic_bytes_up(NodeId n) const override { return nic_up_[n]; }
  double nic_bytes_down(NodeId n) const override { return nic_down_[n]; }
  std::vector<LinkUsage> region_link_usage() const override {
    std::vector<LinkUsage> out;
    for (size_t i = 0; i < plan_.links.size(); ++i) {
      out.push_back({plan_.links[i].name + " (forward)", plan_.links[i].bandwidth, region_bytes_[2 * i]});
      out.push_back({plan_.links[i].name + " (backward)", plan_.links[i].bandwidth, region_bytes_[2 * i + 1]});
    }
    return out;
  }
  uint64_t events() const override { return events_; }

 private:
  struct NodeCtx : Context {
    NodeCtx(Node* n, int r, LocalEngine* e, NodeId i) : node(n), region(r), engine(e), id(i) {}
    Node* node;
    int region;
    LocalEngine* engine;
    NodeId id;
    double now() const override { return engine->now_; }
    NodeId self() const override { return id; }
    void send(NodeId to, MessagePtr msg) override { engine->deliver(id, to, std::move(msg)); }
    TimerId start_timer(double delay, uint64_t tag) override {
      TimerId t = engine->next_timer_++;
      engine->push({engine->now_ + delay, 0, id, t, tag, nullptr});
      return t;
    }
    void cancel_timer(TimerId t) override { engine->cancelled_.insert(t); }
  };
  struct Event {
    double time;
    uint64_t seq;
    NodeId node;
    TimerId timer;
    uint64_t tag;
    Message* msg;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const { return a.time != b.time ? a.time > b.time : a.seq > b.seq; }
  };

  void push(Event e) {
    e.seq = seq_++;
    queue_.push(e);
  }

  void deliver(NodeId from, NodeId to, MessagePtr msg) {
    msg->from = from;
    msg->sent_at = now_;
    double bytes = msg->bytes();
    const auto& route = plan_.route[static_cast<size_t>(nodes_[from].region)][static_cast<size_t>(nodes_[to].region)];
    double latency = plan_.intra_region_rtt / 2;
    double bw = plan_.host_bandwidth;
    for (auto [idx, fwd] : route) {
      latency += plan_.links[static_cast<size_t>(idx)].latency;
      bw = std::min(bw, plan_.links[static_cast<size_t>(idx)].bandwidth);
      if (now_ >= window_start_) region_bytes_[2 * static_cast<size_t>(idx) + (fwd ? 0 : 1)] += bytes;
    }
    if (now_ >= window_start_) {
      nic_up_[from] += bytes;
      nic_down_[to] += bytes;
    }
    push({now_ + latency + bytes * 8 / bw, 0, to, 0, 0, msg.release()});
  }

  NetworkPlan plan_;
  std::vector<NodeCtx> nodes_;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  std::unordered_set<TimerId> cancelled_;
  std::vector<double> nic_up_, nic_down_, region_bytes_;
  double now_ = 0, end_ = 0, window_start_ = 0;
  uint64_t seq_ = 0, events_ = 0;
  TimerId next_timer_ = 1;
};

}  // namespace

std::unique_ptr<Engine> make_local_engine(const NetworkPlan& plan) { return std::make_unique<LocalEngine>(plan); }

}  // namespace archsim
