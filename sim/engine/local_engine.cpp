// The in-process engine: a plain priority-queue event loop over the same NetworkPlan, without
// SimGrid. A message takes the route's latency plus its bytes over the slowest link; links do not
// contend (no bandwidth sharing). It exists so that models can be unit-tested in-process (SimGrid
// allows one Engine per process) and to show how much the SimGrid layer costs.
//
// Faults behave as in the SimGrid engine: a message whose route crosses a region link that is
// down when it is sent, or that goes down while it is in flight, is lost; a slowed link's latency
// applies to the messages sent while it is slow.
#include <algorithm>
#include <queue>
#include <tuple>
#include <unordered_set>

#include "sim/engine/engine.hpp"

namespace archsim {
namespace {

class LocalEngine : public Engine {
 public:
  explicit LocalEngine(const NetworkPlan& plan) : plan_(plan) {}

  NodeId add_node(const std::string& name, int region, Node* node) override {
    NodeId id = static_cast<NodeId>(nodes_.size());
    nodes_.push_back({node, region, this, id});
    down_.push_back(false);
    epoch_.push_back(0);
    nic_up_.push_back(0);
    nic_down_.push_back(0);
    return id;
  }

  void run(double end, double window_start) override {
    end_ = end;
    window_start_ = window_start;
    region_bytes_.assign(plan_.links.size() * 2, 0.0);
    link_latency_.clear();
    for (const auto& l : plan_.links) link_latency_.push_back(l.latency);
    link_down_.assign(plan_.links.size(), 0);
    link_down_since_.assign(plan_.links.size(), {});
    link_lost_to_.assign(plan_.links.size(), nullptr);
    link_slowed_.assign(plan_.links.size(), nullptr);
    refused_.assign(nodes_.size(), nullptr);
    // Fault changes in time order, an end before a start at the same time (back-to-back windows).
    std::vector<std::tuple<double, bool, size_t>> changes;
    for (size_t i = 0; i < faults_.size(); ++i) {
      changes.emplace_back(faults_[i].at, true, i);
      if (faults_[i].until >= 0) changes.emplace_back(faults_[i].until, false, i);
    }
    std::stable_sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) {
      return std::get<0>(a) != std::get<0>(b) ? std::get<0>(a) < std::get<0>(b) : std::get<1>(a) < std::get<1>(b);
    });
    for (auto [at, start, i] : changes) push({at, 0, faults_[i].node, 0, start ? 1u : 0u, nullptr, 0, static_cast<int>(i) + 1});
    for (auto& n : nodes_) n.node->on_start(n);
    while (!queue_.empty()) {
      Event e = queue_.top();
      if (e.time > end_) break;
      queue_.pop();
      now_ = e.time;
      ++events_;
      NodeCtx& n = nodes_[e.node];
      if (e.fault != 0) {
        apply_fault(faults_[static_cast<size_t>(e.fault - 1)], e.tag == 1);
        continue;
      }
      if (e.msg) {
        if (lost_in_flight(*e.msg, e.node)) {
          delete e.msg;
          continue;
        }
        if (down_[e.node]) {
          EnvelopePtr m(e.msg);
          if (!m->is_response) {  // connection refused: the caller learns at once
            if (refused_[e.node]) ++*refused_[e.node];
            m->is_response = true;
            m->status = Status::Failed;
            NodeId to = m->from;
            deliver(e.node, to, std::move(m));
          }
          continue;
        }
        n.node->on_message(n, EnvelopePtr(e.msg));
      } else {
        if (e.epoch != epoch_[e.node]) continue;  // a timer of a crashed incarnation
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
  void schedule_fault(const Fault& f) override { faults_.push_back(f); }

 private:
  struct NodeCtx : Context {
    NodeCtx(Node* n, int r, LocalEngine* e, NodeId i) : node(n), region(r), engine(e), id(i) {}
    Node* node;
    int region;
    LocalEngine* engine;
    NodeId id;
    double now() const override { return engine->now_; }
    NodeId self() const override { return id; }
    void send(NodeId to, EnvelopePtr msg) override {
      if (engine->down_[id]) return;  // a crashed host sends nothing
      engine->deliver(id, to, std::move(msg));
    }
    TimerId start_timer(double delay, uint64_t tag) override {
      TimerId t = engine->next_timer_++;
      engine->push({engine->now_ + delay, 0, id, t, tag, nullptr, engine->epoch_[id], 0});
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
    Envelope* msg;
    uint32_t epoch = 0;  // timers: the incarnation of the node that started it
    int fault = 0;       // a fault change: index into faults_ + 1; `tag` 1 = it starts, 0 = it ends
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const { return a.time != b.time ? a.time > b.time : a.seq > b.seq; }
  };

  void push(Event e) {
    e.seq = seq_++;
    queue_.push(e);
  }

  void apply_fault(const Fault& f, bool start) {
    switch (f.kind) {
      case Fault::Kind::Crash:
        crash(nodes_[f.node], start);
        refused_[f.node] = start ? f.affected : nullptr;
        return;
      case Fault::Kind::Condition:
        nodes_[f.node].node->on_condition(nodes_[f.node], f.condition, start);
        return;
      case Fault::Kind::LinkDown:
        for (int l : f.links) {
          auto i = static_cast<size_t>(l);
          if (start) {
            if (link_down_[i]++ == 0) link_lost_to_[i] = f.affected;
            link_down_since_[i].emplace_back(now_, f.affected);
          } else if (--link_down_[i] == 0) {
            link_lost_to_[i] = nullptr;
          }
        }
        return;
      case Fault::Kind::LinkSlow:
        for (int l : f.links) {
          auto i = static_cast<size_t>(l);
          link_latency_[i] = start ? plan_.links[i].latency * f.factor + f.latency : plan_.links[i].latency;
          link_slowed_[i] = start ? f.affected : nullptr;
        }
        return;
    }
  }

  void crash(NodeCtx& n, bool crash) {
    if (crash == bool(down_[n.id])) return;
    if (crash) {
      n.node->on_crash(n);
      down_[n.id] = true;
      ++epoch_[n.id];
    } else {
      down_[n.id] = false;
      n.node->on_recover(n);
    }
  }

  // A message arriving now at `to` was lost when a link of its route went down after it was sent.
  bool lost_in_flight(const Envelope& m, NodeId to) {
    for (auto [idx, fwd] : route_of(m.from, to))
      for (auto [since, counter] : link_down_since_[static_cast<size_t>(idx)])
        if (since > m.sent_at && since <= now_) {
          if (counter) ++*counter;
          return true;
        }
    return false;
  }

  const std::vector<std::pair<int, bool>>& route_of(NodeId from, NodeId to) const {
    return plan_.route[static_cast<size_t>(nodes_[from].region)][static_cast<size_t>(nodes_[to].region)];
  }

  void deliver(NodeId from, NodeId to, EnvelopePtr msg) {
    msg->from = from;
    msg->sent_at = now_;  // as engine.hpp promises (the replication lag and read-your-writes use it)
    double bytes = msg->bytes();
    const auto& route = route_of(from, to);
    for (auto [idx, fwd] : route)
      if (link_down_[static_cast<size_t>(idx)]) {  // lost on the down link; the sender learns by its timeout
        if (uint64_t* c = link_lost_to_[static_cast<size_t>(idx)]) ++*c;
        return;
      }
    double latency = plan_.intra_region_rtt / 2;
    double bw = plan_.host_bandwidth;
    for (auto [idx, fwd] : route) {
      latency += link_latency_[static_cast<size_t>(idx)];
      if (uint64_t* c = link_slowed_[static_cast<size_t>(idx)]) ++*c;
      bw = std::min(bw, plan_.links[static_cast<size_t>(idx)].bandwidth);
      if (now_ >= window_start_) region_bytes_[2 * static_cast<size_t>(idx) + (fwd ? 0 : 1)] += bytes;
    }
    if (now_ >= window_start_) {
      nic_up_[from] += bytes;
      nic_down_[to] += bytes;
    }
    push({now_ + latency + bytes * 8 / bw, 0, to, 0, 0, msg.release(), 0, 0});
  }

  NetworkPlan plan_;
  std::vector<NodeCtx> nodes_;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  std::unordered_set<TimerId> cancelled_;
  std::vector<bool> down_;
  std::vector<Fault> faults_;
  std::vector<uint64_t*> refused_;      // per node: the crash fault counting its refusals
  std::vector<double> link_latency_;    // per region link: its one-way latency now
  std::vector<int> link_down_;          // per region link: the faults holding it down
  // Per region link: when it went down, and the fault counting what it lost (bounded by the faults).
  std::vector<std::vector<std::pair<double, uint64_t*>>> link_down_since_;
  std::vector<uint64_t*> link_lost_to_, link_slowed_;
  std::vector<uint32_t> epoch_;
  std::vector<double> nic_up_, nic_down_, region_bytes_;
  double now_ = 0, end_ = 0, window_start_ = 0;
  uint64_t seq_ = 0, events_ = 0;
  TimerId next_timer_ = 1;
};

}  // namespace

std::unique_ptr<Engine> make_local_engine(const NetworkPlan& plan) { return std::make_unique<LocalEngine>(plan); }

}  // namespace archsim
