// The native engine: a priority-queue event loop over the NetworkPlan, without SimGrid's actors.
// On its own (`--network latency`) a message takes the route's latency plus its bytes over the
// slowest link and links do not contend. With a FlowCarrier the transfers go through SimGrid's
// flow model instead, in lockstep with this loop (sim/engine/flow_carrier.hpp): every transfer
// (`--network flow`), or in `--network auto` those whose route crosses a contended link. A link
// contends when the user marks it; when the analytic view predicts a host's NIC offered more than
// kContended (NetworkPlan::predicted_nic: carried from the start); once its offered utilization
// measured over a window of kWindow seconds exceeds kContended (from then on, for the rest of
// the run); or when a transfer finds so much data ahead of it on a link (a burst: a fan-out's
// requests leaving one NIC together, their answers arriving together) that the wait to serialize
// it would be at least kLargeTransfer of its latency; and a transfer whose own serialization is
// that large goes through SimGrid whatever its links carry.
//
// Faults behave as in the SimGrid engine: a message whose route crosses a region link that is
// down when it is sent, or that goes down while it is in flight, is lost; a slowed link's latency
// applies to the messages sent while it is slow.
#include <algorithm>
#include <tuple>

#include <chrono>
#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>

#include "sim/engine/engine.hpp"
#include "sim/engine/flow_carrier.hpp"

namespace archsim {

const char* to_string(NetworkMode m) {
  switch (m) {
    case NetworkMode::Auto: return "auto";
    case NetworkMode::Flow: return "flow";
    case NetworkMode::Latency: return "latency";
    case NetworkMode::Actors: return "actors";
  }
  return "?";
}

namespace {

// Offered utilization above which a link's transfers go through SimGrid's flow model. With fair
// sharing a transfer's serialization stretches by about 1 / (1 - utilization); at 20% that is 25%
// of a serialization time that is itself small against the latency for the transfers that stay
// direct (see kLargeTransfer), so the latencies stay within a fraction of a percent.
constexpr double kContended = kContendedUtilization;
// The window over which a link's offered utilization is measured.
constexpr double kWindow = 0.01;
// A transfer whose serialization (bytes over the slowest link), or the serialization of the data
// ahead of it on a link, is at least this share of its route's latency goes through SimGrid:
// sharing would change its latency noticeably.
constexpr double kLargeTransfer = 0.1;

// Events this close after the end still run: SimGrid's engine (`flow`) runs what falls within its
// time resolution of the end, and a constant arrival process's last request lands there.
constexpr double kEndEpsilon = 1e-10;

class LocalEngine : public Engine {
 public:
  LocalEngine(const NetworkPlan& plan, NetworkMode mode, bool progress)
      : plan_(plan), mode_(mode), progress_(progress) {
    if (mode_ == NetworkMode::Auto || mode_ == NetworkMode::Flow) carrier_ = make_simgrid_flows(plan_);
  }

  NodeId add_node(const std::string& name, int region, Node* node) override {
    NodeId id = static_cast<NodeId>(nodes_.size());
    nodes_.push_back({node, region, this, id});
    names_.push_back(name);
    if (carrier_) carrier_->add_host(name, region);
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
    for (auto [at, start, i] : changes) {
      Event e;
      e.time = at;
      e.node = faults_[i].node;
      e.tag = start ? 1u : 0u;
      e.fault = static_cast<int>(i) + 1;
      push(e);
    }
    mark_contended();
    wall_start_ = std::chrono::steady_clock::now();
    if (carrier_) carrier_->run([this] { loop(); });
    else loop();
    if (progress_shown_) std::fprintf(stderr, "\r%80s\r", "");
  }

  void loop() {
    for (auto& n : nodes_) n.node->on_start(n);
    for (;;) {
      double next = heap_.empty() ? end_ : std::min(heap_.top().time, end_);
      if (flows_in_flight_ > 0) {
        uint64_t token = 0;
        double at = 0;
        if (carrier_->completion(next, &token, &at)) {  // SimGrid delivered a transfer first
          Flow& f = flows_[token];
          push(message_event(at, f.to, f.msg));
          f.msg = nullptr;
          free_flows_.push_back(token);
          --flows_in_flight_;
          continue;
        }
      }
      if (heap_.empty() || heap_.top().time > end_ + kEndEpsilon) break;
      uint32_t slot = heap_.top().slot;
      heap_.pop();
      Event e = pool_[slot];
      release(slot);
      now_ = e.time;
      if ((++events_ & 0xFF) == 0) {
        if ((events_ & 0x3FFFF) == 0 && progress_) show_progress();
        if (wall_limit_ > 0 && over_wall_limit()) break;
      }
      NodeCtx& n = nodes_[e.node];
      if (e.fault != 0) {
        apply_fault(faults_[static_cast<size_t>(e.fault - 1)], e.tag == 1);
        continue;
      }
      if (e.flow) {  // held for a slowed link's extra latency: onto SimGrid's links now
        start_flow(e.flow_from, e.node, EnvelopePtr(e.msg));
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
        if (e.epoch != epoch_[e.node] || e.cancelled) continue;  // cancelled, or of a crashed incarnation
        n.node->on_timer(n, e.tag);
      }
    }
    now_ = end_;
    for (auto& n : nodes_) n.node->on_end(n);
    for (; !heap_.empty(); heap_.pop()) delete pool_[heap_.top().slot].msg;
    for (auto& f : flows_) delete f.msg;  // still on SimGrid's links at the end
    flows_.clear();
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
  NetworkReport network_report() const override {
    NetworkReport r = report_;
    r.mode = mode_;
    r.links = 2 * nodes_.size() + 2 * plan_.links.size();
    return r;
  }
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
      Event e;
      e.time = engine->now_ + delay;
      e.node = id;
      e.tag = tag;
      e.epoch = engine->epoch_[id];
      uint32_t slot = engine->push(e);
      return (static_cast<TimerId>(engine->pool_[slot].gen) << 32) | slot;
    }
    void cancel_timer(TimerId t) override {
      auto slot = static_cast<uint32_t>(t & 0xFFFFFFFFu);
      auto gen = static_cast<uint32_t>(t >> 32);
      if (slot < engine->pool_.size() && engine->pool_[slot].gen == gen) engine->pool_[slot].cancelled = true;
    }
  };
  // What happens at an event: a message delivered, a timer, a fault change, a held transfer put on
  // SimGrid's links. Kept in pool_ by slot; the heap orders (time, sequence, slot).
  struct Event {
    double time = 0;
    NodeId node = 0;
    uint32_t gen = 1;    // the slot's generation: a TimerId names the slot and its generation
    uint64_t tag = 0;
    Envelope* msg = nullptr;
    uint32_t epoch = 0;  // timers: the incarnation of the node that started it
    int fault = 0;       // a fault change: index into faults_ + 1; `tag` 1 = it starts, 0 = it ends
    bool cancelled = false;
    bool flow = false;   // `msg` from `flow_from` to `node` goes onto SimGrid's links now
    NodeId flow_from = 0;
  };
  struct Key {
    double time;
    uint64_t seq;
    uint32_t slot;
  };
  // The pending events' keys, earliest (then first scheduled) on top: a binary heap whose pop
  // moves the hole down to a leaf along the earlier child, choosing it without a branch (which
  // child is earlier is a coin toss the processor cannot predict, and the loop spends its time
  // here), then settles the last key back up from there. Keys are unique, so the order is the
  // same as any other heap's.
  class KeyHeap {
   public:
    bool empty() const { return v_.empty(); }
    const Key& top() const { return v_.front(); }
    void push(Key k) {
      v_.push_back(k);
      up(v_.size() - 1, k);
    }
    void pop() {
      Key last = v_.back();
      v_.pop_back();
      size_t n = v_.size();
      if (n == 0) return;
      size_t hole = 0;
      for (size_t child = 1; child < n; child = 2 * hole + 1) {
        if (child + 1 < n) child += static_cast<size_t>(before(v_[child + 1], v_[child]));
        v_[hole] = v_[child];
        hole = child;
      }
      up(hole, last);
    }

   private:
    static bool before(const Key& a, const Key& b) {
      return (a.time < b.time) | ((a.time == b.time) & (a.seq < b.seq));
    }
    void up(size_t i, const Key& k) {
      while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(k, v_[parent])) break;
        v_[i] = v_[parent];
        i = parent;
      }
      v_[i] = k;
    }
    std::vector<Key> v_;
  };

  static Event message_event(double time, NodeId to, Envelope* msg) {
    Event e;
    e.time = time;
    e.node = to;
    e.msg = msg;
    return e;
  }

  // Schedules `e`; returns its slot.
  uint32_t push(Event e) {
    uint32_t slot;
    if (free_slots_.empty()) {
      slot = static_cast<uint32_t>(pool_.size());
      pool_.push_back(e);
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
      e.gen = pool_[slot].gen;
      pool_[slot] = e;
    }
    heap_.push({e.time, seq_++, slot});
    return slot;
  }
  void release(uint32_t slot) {
    ++pool_[slot].gen;  // a TimerId of the event that was here no longer matches
    free_slots_.push_back(slot);
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
    double latency = plan_.intra_region_rtt / 2, extra = 0;
    double bw = plan_.host_bandwidth;
    bool contended = carrier_ && (mode_ == NetworkMode::Flow || flow_up_[from] || flow_down_[to]);
    for (auto [idx, fwd] : route) latency += link_latency_[static_cast<size_t>(idx)];
    for (auto [idx, fwd] : route) {
      auto i = static_cast<size_t>(idx);
      extra += link_latency_[i] - plan_.links[i].latency;
      if (uint64_t* c = link_slowed_[i]) ++*c;
      bw = std::min(bw, plan_.links[i].bandwidth);
      size_t dir = 2 * i + (fwd ? 0 : 1);
      if (now_ >= window_start_) region_bytes_[dir] += bytes;
      if (carrier_) {
        win_region_[dir] += bytes;
        contended = contended || flow_region_[dir] ||
                    backlog(busy_region_[dir], flow_region_[dir], bytes, plan_.links[i].bandwidth, latency, [&] {
                      return plan_.links[i].name + (dir % 2 == 0 ? " (forward)" : " (backward)");
                    });
      }
    }
    if (now_ >= window_start_) {
      nic_up_[from] += bytes;
      nic_down_[to] += bytes;
    }
    double serialization = bytes * 8 / bw;
    if (carrier_) {
      win_up_[from] += bytes;
      win_down_[to] += bytes;
      contended = backlog(busy_up_[from], flow_up_[from], bytes, plan_.host_bandwidth, latency,
                          [&] { return names_[from] + " NIC up"; }) ||
                  contended;
      contended = backlog(busy_down_[to], flow_down_[to], bytes, plan_.host_bandwidth, latency,
                          [&] { return names_[to] + " NIC down"; }) ||
                  contended;
      if (now_ >= win_end_) close_window();
      if (!contended && serialization >= kLargeTransfer * latency) {
        contended = true;
        if (!large_seen_) {
          large_seen_ = true;
          report_.carried.push_back({fmt::format("transfers whose serialization is {:.0f}% or more of their latency",
                                                 100 * kLargeTransfer),
                                     "large transfers", now_, 0});
        }
      }
    }
    if (contended) {
      ++report_.flow_transfers;
      if (extra > 0) {
        Event e = message_event(now_ + extra, to, msg.release());
        e.flow = true;
        e.flow_from = from;
        push(e);
      }
      else start_flow(from, to, std::move(msg));
      return;
    }
    ++report_.direct_transfers;
    push(message_event(now_ + latency + serialization, to, msg.release()));
  }

  // Hands `msg` to SimGrid's flow model; it comes back as a delivery when its transfer completes.
  void start_flow(NodeId from, NodeId to, EnvelopePtr msg) {
    uint64_t token;
    if (free_flows_.empty()) {
      token = flows_.size();
      flows_.push_back({});
    } else {
      token = free_flows_.back();
      free_flows_.pop_back();
    }
    double bytes = msg->bytes();
    flows_[token] = {msg.release(), to};
    ++flows_in_flight_;
    const auto& route = route_of(from, to);
    double latency = plan_.intra_region_rtt / 2, bw = plan_.host_bandwidth;
    for (auto [idx, fwd] : route) {
      latency += plan_.links[static_cast<size_t>(idx)].latency;
      bw = std::min(bw, plan_.links[static_cast<size_t>(idx)].bandwidth);
    }
    carrier_->start(from, to, bytes, now_, now_ + latency + std::max(bytes, 1.0) * 8 / bw, token);
  }

  // A transfer of `bytes` onto a link whose earlier transfers would keep it serializing until
  // `busy` (a FIFO's view of the data ahead): when that wait is a significant part of `latency`
  // the link is a burst's bottleneck and SimGrid carries it from now on. Returns whether it does.
  // `name()` names the link, for the report.
  template <typename Name>
  bool backlog(double& busy, uint8_t& flag, double bytes, double bandwidth, double latency, Name name) {
    if (flag) return true;
    double ahead = busy > now_ ? busy - now_ : 0;
    busy = std::max(busy, now_) + bytes * 8 / bandwidth;
    if (ahead < kLargeTransfer * latency) return false;
    flag = 1;
    report_.carried.push_back({name(), fmt::format("bursts: {:.0f} us of data ahead", ahead * 1e6), now_, 0});
    return true;
  }

  // The links the user marked: carried by SimGrid from the start.
  void mark_contended() {
    if (!carrier_) return;
    flow_up_.assign(nodes_.size(), 0);
    flow_down_.assign(nodes_.size(), 0);
    win_up_.assign(nodes_.size(), 0);
    win_down_.assign(nodes_.size(), 0);
    flow_region_.assign(plan_.links.size() * 2, 0);
    win_region_.assign(plan_.links.size() * 2, 0);
    busy_up_.assign(nodes_.size(), 0);
    busy_down_.assign(nodes_.size(), 0);
    busy_region_.assign(plan_.links.size() * 2, 0);
    win_end_ = kWindow;
    for (size_t i = 0; i < plan_.links.size() && i < plan_.link_contended.size(); ++i)
      if (plan_.link_contended[i]) {
        flow_region_[2 * i] = flow_region_[2 * i + 1] = 1;
        report_.carried.push_back({plan_.links[i].name, "marked", 0, 0});
      }
    for (size_t n = 0; n < nodes_.size(); ++n) {
      std::string component = names_[n].substr(0, names_[n].find('/'));
      for (const auto& c : plan_.contended_components)
        if (c == component && !flow_up_[n]) {
          flow_up_[n] = flow_down_[n] = 1;
          report_.carried.push_back({names_[n] + " NIC", "marked", 0, 0});
        }
      // Predicted busy by the analytic view: carried from the start, both directions (the
      // prediction names the busier one; the other costs only speed).
      // The first window's measurement then has the last word (the analytic view cannot see
      // some things, e.g. a hot set's hit ratio): below the threshold, it is released.
      for (const auto& [c, u] : plan_.predicted_nic)
        if (c == component && u > kContended && !flow_up_[n]) {
          flow_up_[n] = flow_down_[n] = 1;
          predicted_.emplace_back(n, report_.carried.size());
          report_.carried.push_back({names_[n] + " NIC", fmt::format("analytic view: offered {:.0f}%", 100 * u), 0, u});
        }
    }
  }

  // The end of a measurement window: links whose offered utilization exceeded kContended are
  // carried by SimGrid from now on.
  void close_window() {
    double span = now_ - (win_end_ - kWindow);  // the window, or longer when nothing was sent for a while
    auto trip = [&](double bytes, double bw, uint8_t& flag, const std::string& name) {
      double u = bytes * 8 / (bw * span);
      if (flag || u <= kContended) return;
      flag = 1;
      report_.carried.push_back({name, fmt::format("offered {:.0f}%", 100 * u), now_, u});
    };
    for (auto [n, entry] : predicted_) {
      double u = std::max(win_up_[n], win_down_[n]) * 8 / (plan_.host_bandwidth * span);
      if (u > kContended) continue;
      flow_up_[n] = flow_down_[n] = 0;
      auto& c = report_.carried[entry];
      c.until = now_;
      c.why += fmt::format(", measured {:.0f}%: released", 100 * u);
    }
    predicted_.clear();  // decided in the first window
    for (size_t n = 0; n < nodes_.size(); ++n) {
      if (win_up_[n] > 0) trip(win_up_[n], plan_.host_bandwidth, flow_up_[n], names_[n] + " NIC up");
      if (win_down_[n] > 0) trip(win_down_[n], plan_.host_bandwidth, flow_down_[n], names_[n] + " NIC down");
      win_up_[n] = win_down_[n] = 0;
    }
    for (size_t d = 0; d < win_region_.size(); ++d) {
      if (win_region_[d] > 0)
        trip(win_region_[d], plan_.links[d / 2].bandwidth, flow_region_[d],
             plan_.links[d / 2].name + (d % 2 ? " (backward)" : " (forward)"));
      win_region_[d] = 0;
    }
    win_end_ = now_ + kWindow;
  }

  // The wall-time guard (Engine::set_wall_limit), once the run has had a fair sample of its pace:
  // at least a quarter of the limit, or 10 s.
  bool over_wall_limit() {
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
    if (wall < std::min(10.0, wall_limit_ / 4) || now_ <= 0) return false;
    double projected = wall / now_ * end_;
    if (projected <= wall_limit_) return false;
    stopped_ = fmt::format("after {:.0f} s of wall time it had simulated {:.3g} s of {:.3g} s: at that pace the run "
                           "would take about {:.0f} minutes",
                           wall, now_, end_, projected / 60);
    if (carrier_ && carrier_->in_flight() > 0) {
      std::string links;
      for (size_t i = 0; i < report_.carried.size() && i < 3; ++i)
        links += (links.empty() ? "" : ", ") + report_.carried[i].link;
      stopped_ += fmt::format(
          ", most of it in SimGrid's flow model, which re-shares a link among all its {} transfers in flight whenever "
          "one starts or ends ({}{}): an overloaded network. `--network latency` ignores contention and runs this "
          "in a fraction of the time",
          carrier_->in_flight(), links, report_.carried.size() > 3 ? ", ..." : "");
    }
    return true;
  }

  // On a terminal, after 2 s of wall time: how far the run is and, once a simulated second has
  // passed (past the start-up), about how long it has left at the pace since then.
  void show_progress() {
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
    if (now_ >= 1 && pace_from_ < 0) {
      pace_from_ = now_;
      pace_wall_ = wall;
    }
    if (wall < 2 || !isatty(STDERR_FILENO)) return;
    std::string left;
    if (pace_from_ >= 0 && now_ > pace_from_) {
      double eta = (wall - pace_wall_) / (now_ - pace_from_) * (end_ - now_);
      left = eta >= 90 ? fmt::format(", about {:.0f} min left", eta / 60) : fmt::format(", about {:.0f} s left", eta);
    }
    std::fprintf(stderr, "\r  simulated %.1f of %.1f s (%3.0f%%), %.1f s wall%s   ", now_, end_, 100 * now_ / end_, wall,
                 left.c_str());
    progress_shown_ = true;
  }

  NetworkPlan plan_;
  NetworkMode mode_;
  bool progress_, progress_shown_ = false;
  double pace_from_ = -1, pace_wall_ = 0;  // the simulated time and wall time the pace is measured from
  std::chrono::steady_clock::time_point wall_start_;
  std::unique_ptr<FlowCarrier> carrier_;  // Auto only
  // Transfers on SimGrid's links, by token; free tokens are reused.
  struct Flow {
    Envelope* msg = nullptr;
    NodeId to = 0;
  };
  std::vector<Flow> flows_;
  std::vector<uint64_t> free_flows_;
  size_t flows_in_flight_ = 0;
  // Auto: which links SimGrid carries (NIC up and down by node, region links by direction), and
  // the bytes offered to each in the current window.
  std::vector<uint8_t> flow_up_, flow_down_, flow_region_;
  std::vector<double> win_up_, win_down_, win_region_;
  std::vector<double> busy_up_, busy_down_, busy_region_;  // until when each link serializes what it was given
  double win_end_ = 0;
  bool large_seen_ = false;
  std::vector<std::pair<size_t, size_t>> predicted_;  // nodes carried on the analytic view's word, their report entry
  NetworkReport report_;
  std::vector<std::string> names_;
  std::vector<NodeCtx> nodes_;
  KeyHeap heap_;
  std::vector<Event> pool_;
  std::vector<uint32_t> free_slots_;
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
};

}  // namespace

std::unique_ptr<Engine> make_native_engine(const NetworkPlan& plan, NetworkMode mode, bool progress) {
  return std::make_unique<LocalEngine>(plan, mode, progress);
}

std::unique_ptr<Engine> make_local_engine(const NetworkPlan& plan) {
  return make_native_engine(plan, NetworkMode::Latency, false);
}

std::unique_ptr<Engine> make_engine(const NetworkPlan& plan, NetworkMode mode, bool progress) {
  if (mode == NetworkMode::Actors) return make_simgrid_engine(plan, progress);
  return make_native_engine(plan, mode, progress);
}

}  // namespace archsim
