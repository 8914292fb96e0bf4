// The SimGrid engine: one S4U actor per component replica, each on its own host.
//
// Shape chosen for speed (measured): the actor keeps its timers in its own heap and waits with
// Comm::wait_any_for on its pending receives; its mailboxes have set_receiver so transfers start
// as soon as they are sent; sends are detached. A receive is matched with the oldest send to its
// mailbox, so with one mailbox a message from the next rack would wait behind one still crossing
// an ocean. Each host has one mailbox per region its messages come from: messages from one region
// share a route and its latency, so they complete in the order they were sent, and the actor
// keeps one receive per mailbox and takes whichever completes first. Every message is a real SimGrid transfer over the
// platform's links, so link failures and bandwidth sharing come from SimGrid itself. The network
// model is CM02 without TCP window and cross traffic, which makes a transfer take exactly
// latency + size / bandwidth (SimGrid's default LV08 inflates latencies about 13x).
//
// Faults: a crash or a node condition is applied by the node's own actor at its time; link faults
// by a controller actor on a host of its own, with Link::turn_off()/turn_on() (SimGrid fails the
// transfers in flight on the link: the receiver's pending receive throws NetworkFailureException
// and the detached send's clean function frees the message). A message whose route is down when
// it is sent is not put on the wire at all: SimGrid would fail it at once, the same loss.
// A slowed link does not use Link::set_latency(): in SimGrid 3.32, lowering a link's latency
// while transfers are in their latency phase loses them (measured: they never complete). The
// sender holds a message for the extra latency of its route instead, then puts it on the wire,
// which is the same delay for a message sent during the window (as in the local engine).
#include <simgrid/s4u.hpp>
#include <xbt/log.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <queue>
#include <cstdio>
#include <fmt/format.h>
#include <unistd.h>

#include "sim/engine/engine.hpp"
#include "sim/engine/flow_carrier.hpp"
#include "sim/engine/timer_heap.hpp"

namespace sg4 = simgrid::s4u;

namespace archsim {
namespace {

// Timers closer than this to the clock fire now: SimGrid's own time resolution is 1e-9 s.
constexpr double kEpsilon = 1e-10;

// The platform both SimGrid engines build from a NetworkPlan: SimGrid's engine with the network
// model that makes a lone transfer take exactly latency + size / bandwidth, one zone, a link per
// direction for every region link, a host per node with its NIC links, and (seal) a route between
// every pair of node hosts.
struct Platform {
  struct Host {
    sg4::Host* host = nullptr;
    sg4::Link* up = nullptr;
    sg4::Link* down = nullptr;
    int region = 0;
  };

  explicit Platform(const NetworkPlan& plan) : plan_(plan) {
    static int argc = 1;
    static char name[] = "archsim";
    static char* argv[] = {name, nullptr};
    xbt_log_control_set("root.thresh:critical");
    engine = new sg4::Engine(&argc, argv);
    sg4::Engine::set_config("network/model:CM02");
    sg4::Engine::set_config("network/TCP-gamma:0");
    sg4::Engine::set_config("network/crosstraffic:0");
    zone = sg4::create_full_zone("archsim");
    for (const auto& l : plan_.links) {
      forward.push_back(zone->create_link(l.name + ">", l.bandwidth / 8)->set_latency(l.latency)->seal());
      backward.push_back(zone->create_link(l.name + "<", l.bandwidth / 8)->set_latency(l.latency)->seal());
    }
  }

  void add_host(const std::string& name, int region) {
    Host h;
    h.host = zone->create_host(name, 1e9);
    h.host->seal();
    double lat = plan_.intra_region_rtt / 4;
    h.up = zone->create_link(name + ":up", plan_.host_bandwidth / 8)->set_latency(lat)->seal();
    h.down = zone->create_link(name + ":down", plan_.host_bandwidth / 8)->set_latency(lat)->seal();
    h.region = region;
    hosts.push_back(h);
  }

  // A host outside every route (a controller, the native loop). REQUIRES: before seal().
  sg4::Host* add_side_host(const std::string& name) {
    sg4::Host* h = zone->create_host(name, 1e9);
    h->seal();
    return h;
  }

  void seal() {
    for (size_t a = 0; a < hosts.size(); ++a)
      for (size_t b = 0; b < hosts.size(); ++b) {
        if (a == b) continue;
        std::vector<sg4::LinkInRoute> links{sg4::LinkInRoute(hosts[a].up)};
        for (auto [idx, fwd] : plan_.route[static_cast<size_t>(hosts[a].region)][static_cast<size_t>(hosts[b].region)])
          links.emplace_back(fwd ? forward[static_cast<size_t>(idx)] : backward[static_cast<size_t>(idx)]);
        links.emplace_back(hosts[b].down);
        zone->add_route(hosts[a].host->get_netpoint(), hosts[b].host->get_netpoint(), nullptr, nullptr, links, false);
      }
    zone->seal();
  }

  sg4::Engine* engine = nullptr;
  sg4::NetZone* zone = nullptr;
  std::vector<sg4::Link*> forward, backward;  // by region link
  std::vector<Host> hosts;                    // by node

 private:
  const NetworkPlan& plan_;
};

class SimGridEngine;
// The engine while run() runs. SimGrid calls the clean functions of the transfers still pending
// when it shuts down at exit, after the engine is gone; they must not reach it then.
SimGridEngine* running_engine = nullptr;

class HostActor : public Context {
 public:
  HostActor(SimGridEngine* engine, NodeId id, Node* node, std::vector<sg4::Mailbox*> mailboxes)
      : engine_(engine), id_(id), node_(node), mailboxes_(std::move(mailboxes)) {}

  double now() const override { return sg4::Engine::get_clock(); }
  NodeId self() const override { return id_; }
  void send(NodeId to, EnvelopePtr msg) override;
  TimerId start_timer(double delay, uint64_t tag) override { return timers_.push(now() + delay, tag); }
  void cancel_timer(TimerId id) override { timers_.cancel(id); }

  void operator()();
  // A change of one of this node's faults: at `time`, fault `fault` (index into the engine's
  // faults) starts or ends.
  struct Change {
    double time;
    size_t fault;
    bool start;
  };
  // REQUIRES: sorted by time, ends before starts at equal times; before the actor runs.
  void set_faults(std::vector<Change> faults) { faults_ = std::move(faults); }

 private:
  void apply_fault(const Change& c);
  void crash(bool crash);
  void put(NodeId to, Envelope* msg);  // starts the transfer
  void transmit(NodeId to, EnvelopePtr msg);  // send() without the down check

  SimGridEngine* engine_;
  NodeId id_;
  Node* node_;
  std::vector<sg4::Mailbox*> mailboxes_;  // by sending region
  TimerHeap timers_;
  std::vector<Envelope*> incoming_;        // by sending region
  std::vector<Change> faults_;
  size_t next_fault_ = 0;
  bool down_ = false;
  uint64_t* refused_ = nullptr;  // while crashed: the crash fault counting the requests refused
  // Messages held for a slowed link's extra latency: (time to put, sequence, to, message), a min-heap.
  struct Held {
    double time;
    uint64_t seq;
    NodeId to;
    Envelope* msg;
    bool operator>(const Held& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };
  std::priority_queue<Held, std::vector<Held>, std::greater<Held>> held_;
  uint64_t held_seq_ = 0;
};

// Sorts fault changes by time, an end before a start at the same time (back-to-back windows).
void sort_changes(std::vector<HostActor::Change>& v) {
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.time != b.time ? a.time < b.time : a.start < b.start;
  });
}

class SimGridEngine : public Engine {
 public:
  SimGridEngine(const NetworkPlan& plan, bool progress) : plan_(plan), progress_(progress), platform_(plan_) {
    region_bytes_.assign(plan_.links.size() * 2, 0.0);
    sg4::Engine::on_deadlock_cb([this]() { deadlock_ = true; });
  }

  NodeId add_node(const std::string& name, int region, Node* node) override {
    NodeId id = static_cast<NodeId>(hosts_.size());
    platform_.add_host(name, region);
    HostEntry h;
    h.region = region;
    h.node = node;
    for (size_t r = 0; r < plan_.regions.size(); ++r)
      h.mailboxes.push_back(sg4::Mailbox::by_name(fmt::format("{}#{}", name, r)));
    hosts_.push_back(h);
    nic_up_.push_back(0);
    nic_down_.push_back(0);
    return id;
  }

  void run(double end, double window_start) override {
    end_ = end;
    window_start_ = window_start;
    // The link faults' controller runs on a host of its own, outside every route.
    sg4::Host* controller = platform_.add_side_host("archsim:faults");
    platform_.seal();
    actors_.reserve(hosts_.size());
    for (size_t i = 0; i < hosts_.size(); ++i)
    {
      actors_.push_back(std::make_unique<HostActor>(this, static_cast<NodeId>(i), hosts_[i].node, hosts_[i].mailboxes));
      sort_changes(hosts_[i].faults);
      actors_.back()->set_faults(hosts_[i].faults);
    }
    sort_changes(link_changes_);
    if (!link_changes_.empty())
      sg4::Actor::create("archsim:faults", controller, [this]() { run_link_faults(); });
    for (size_t i = 0; i < hosts_.size(); ++i) {
      HostActor* actor = actors_[i].get();
      sg4::Host* host = platform_.hosts[i].host;
      sg4::Actor::create(host->get_name(), host, [actor]() { (*actor)(); });
    }
    wall_start_ = std::chrono::steady_clock::now();
    running_engine = this;
    platform_.engine->run();
    running_engine = nullptr;
    inflight_lost_to_ = nullptr;
    if (progress_shown_) std::fprintf(stderr, "\r%60s\r", "");
    if (deadlock_) throw std::runtime_error("the simulation deadlocked (an actor waited forever)");
  }

  double nic_bytes_up(NodeId n) const override { return nic_up_[n]; }
  double nic_bytes_down(NodeId n) const override { return nic_down_[n]; }
  std::vector<LinkUsage> region_link_usage() const override {
    std::vector<LinkUsage> out;
    for (size_t i = 0; i < plan_.links.size(); ++i) {
      const auto& l = plan_.links[i];
      out.push_back({l.name + " (forward)", l.bandwidth, region_bytes_[2 * i]});
      out.push_back({l.name + " (backward)", l.bandwidth, region_bytes_[2 * i + 1]});
    }
    return out;
  }
  uint64_t events() const override { return events_; }
  NetworkReport network_report() const override {
    NetworkReport r;
    r.mode = NetworkMode::Actors;
    r.flow_transfers = transfers_;
    r.links = 2 * hosts_.size() + 2 * plan_.links.size();
    return r;
  }
  void schedule_fault(const Fault& f) override {
    size_t i = faults_.size();
    faults_.push_back(f);
    bool on_link = f.kind == Fault::Kind::LinkDown || f.kind == Fault::Kind::LinkSlow;
    auto& changes = on_link ? link_changes_ : hosts_[f.node].faults;
    changes.push_back({f.at, i, true});
    if (f.until >= 0) changes.push_back({f.until, i, false});
  }
  const Fault& fault(size_t i) const { return faults_[i]; }

  // Called by actors.
  double end() const { return end_; }
  void count_event() {
    if ((++events_ & 0x3FFFF) == 0 && progress_) show_progress();
  }
  void account(NodeId from, NodeId to, double bytes) {
    ++transfers_;
    if (sg4::Engine::get_clock() < window_start_) return;
    nic_up_[from] += bytes;
    nic_down_[to] += bytes;
    for (auto [idx, fwd] : plan_.route[static_cast<size_t>(hosts_[from].region)][static_cast<size_t>(hosts_[to].region)])
      region_bytes_[2 * static_cast<size_t>(idx) + (fwd ? 0 : 1)] += bytes;
  }
  // Node `to`'s mailbox for messages from node `from`'s region.
  sg4::Mailbox* mailbox_of(NodeId to, NodeId from) const {
    return hosts_[to].mailboxes[static_cast<size_t>(hosts_[from].region)];
  }
  // Whether a message from `from` to `to` can go now: false when a link of its route is down
  // (the message is lost: counted here). `extra`: the added latency of the slowed links on its
  // route (counted here too).
  bool route_up(NodeId from, NodeId to, double* extra) {
    const auto& route = plan_.route[static_cast<size_t>(hosts_[from].region)][static_cast<size_t>(hosts_[to].region)];
    *extra = 0;
    for (auto [idx, fwd] : route)
      if (link_down_[static_cast<size_t>(idx)]) {
        if (uint64_t* c = link_lost_to_[static_cast<size_t>(idx)]) ++*c;
        return false;
      }
    for (auto [idx, fwd] : route)
      if (uint64_t* c = link_slowed_[static_cast<size_t>(idx)]) {
        ++*c;
        *extra += link_extra_[static_cast<size_t>(idx)];
      }
    return true;
  }
  // Whether a link of the route from `from` to `to` is down now; counts the message lost if so.
  bool route_down(NodeId from, NodeId to) {
    const auto& route = plan_.route[static_cast<size_t>(hosts_[from].region)][static_cast<size_t>(hosts_[to].region)];
    for (auto [idx, fwd] : route)
      if (link_down_[static_cast<size_t>(idx)]) {
        if (uint64_t* c = link_lost_to_[static_cast<size_t>(idx)]) ++*c;
        return true;
      }
    return false;
  }
  // A detached transfer failed. SimGrid fails the transfers on a link at the instant it turns the
  // link off; the others failing (the receivers' actors ending with the run) are not fault losses.
  void lost_in_flight() {
    if (inflight_lost_to_ && sg4::Engine::get_clock() <= last_off_at_ + kEpsilon) ++*inflight_lost_to_;
  }

 private:
  void show_progress() {
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
    if (wall < 2 || !isatty(STDERR_FILENO)) return;
    double t = sg4::Engine::get_clock();
    std::fprintf(stderr, "\r  simulated %.1f of %.1f s (%3.0f%%), %.1f s wall", t, end_, 100 * t / end_, wall);
    progress_shown_ = true;
  }

  struct HostEntry {
    int region = 0;
    Node* node = nullptr;
    std::vector<sg4::Mailbox*> mailboxes;  // by sending region
    std::vector<HostActor::Change> faults;  // this node's crashes and conditions
  };
  NetworkPlan plan_;
  bool progress_;
  bool progress_shown_ = false;
  Platform platform_;
  std::vector<HostEntry> hosts_;
  std::vector<std::unique_ptr<HostActor>> actors_;
  std::vector<double> nic_up_, nic_down_, region_bytes_;
  double end_ = 0, window_start_ = 0;
  uint64_t events_ = 0, transfers_ = 0;
  bool deadlock_ = false;
  std::chrono::steady_clock::time_point wall_start_;
  std::vector<Fault> faults_;
  std::vector<HostActor::Change> link_changes_;
  std::vector<int> link_down_ = std::vector<int>(plan_.links.size(), 0);  // faults holding each region link down
  std::vector<uint64_t*> link_lost_to_ = std::vector<uint64_t*>(plan_.links.size(), nullptr);
  std::vector<uint64_t*> link_slowed_ = std::vector<uint64_t*>(plan_.links.size(), nullptr);
  std::vector<double> link_extra_ = std::vector<double>(plan_.links.size(), 0.0);  // seconds a slowed link adds
  uint64_t* inflight_lost_to_ = nullptr;  // the link fault that last turned a link off
  double last_off_at_ = -1;               // and when

  void run_link_faults() {
    for (const auto& c : link_changes_) {
      if (c.time > end_) break;
      double wait = c.time - sg4::Engine::get_clock();
      if (wait > 0) sg4::this_actor::sleep_for(wait);
      const Fault& f = faults_[c.fault];
      for (int l : f.links) {
        auto i = static_cast<size_t>(l);
        sg4::Link* forward = platform_.forward[i];
        sg4::Link* backward = platform_.backward[i];
        if (f.kind == Fault::Kind::LinkDown) {
          if (c.start) {
            if (link_down_[i]++ == 0) {
              link_lost_to_[i] = f.affected;
              inflight_lost_to_ = f.affected;
              last_off_at_ = sg4::Engine::get_clock();
              forward->turn_off();
              backward->turn_off();
            }
          } else if (--link_down_[i] == 0) {
            link_lost_to_[i] = nullptr;
            forward->turn_on();
            backward->turn_on();
          }
        } else {
          link_extra_[i] = c.start ? plan_.links[i].latency * (f.factor - 1) + f.latency : 0;
          link_slowed_[i] = c.start ? f.affected : nullptr;
        }
      }
    }
  }
};

void HostActor::apply_fault(const Change& c) {
  const Engine::Fault& f = engine_->fault(c.fault);
  if (f.kind == Engine::Fault::Kind::Condition) {
    node_->on_condition(*this, f.condition, c.start);
    return;
  }
  refused_ = c.start ? f.affected : nullptr;
  crash(c.start);
}

void HostActor::crash(bool crash) {
  if (crash == down_) return;
  if (crash) {
    node_->on_crash(*this);  // may still answer the requests it held, as failed
    timers_ = TimerHeap();   // the crashed incarnation's timers die with it
  } else {
    node_->on_recover(*this);
  }
  down_ = crash;
}

void HostActor::send(NodeId to, EnvelopePtr msg) {
  if (down_) return;  // a crashed host sends nothing
  transmit(to, std::move(msg));
}

void HostActor::transmit(NodeId to, EnvelopePtr msg) {
  msg->from = id_;
  msg->sent_at = now();
  double extra = 0;
  if (!engine_->route_up(id_, to, &extra)) return;  // lost on a down link; the sender learns by its timeout
  if (extra > 0) {
    held_.push({now() + extra, held_seq_++, to, msg.release()});
    return;
  }
  put(to, msg.release());
}

void HostActor::put(NodeId to, Envelope* raw) {
  double bytes = raw->bytes();
  engine_->account(id_, to, bytes);
  // A zero-byte transfer can complete before its latency has elapsed when other transfers share
  // a link (measured with SimGrid 3.32): send at least one byte, 0.8 ns at 10 Gbps.
  uint64_t wire_bytes = bytes < 1 ? 1 : static_cast<uint64_t>(bytes);
  engine_->mailbox_of(to, id_)
      ->put_init(raw, wire_bytes)
      ->detach([](void* p) {  // called when the transfer failed, or at exit for those never delivered
        if (running_engine) running_engine->lost_in_flight();
        delete static_cast<Envelope*>(p);
      });
}

void HostActor::operator()() {
  incoming_.assign(mailboxes_.size(), nullptr);
  std::vector<sg4::CommPtr> pending;
  for (size_t r = 0; r < mailboxes_.size(); ++r) {
    mailboxes_[r]->set_receiver(sg4::Actor::self());
    pending.push_back(mailboxes_[r]->get_async<Envelope>(&incoming_[r]));
  }
  node_->on_start(*this);
  const double end = engine_->end();
  TimerHeap::Entry next{};
  for (;;) {
    double t = now();
    if (next_fault_ < faults_.size() && faults_[next_fault_].time <= t + kEpsilon) {
      apply_fault(faults_[next_fault_++]);
      continue;
    }
    if (!held_.empty() && held_.top().time <= t + kEpsilon) {
      Held h = held_.top();
      held_.pop();
      if (engine_->route_down(id_, h.to)) delete h.msg;  // a link went down while it was held: lost in flight
      else put(h.to, h.msg);
      continue;
    }
    if (timers_.peek(&next) && next.time <= t + kEpsilon) {
      timers_.pop();
      engine_->count_event();
      node_->on_timer(*this, next.tag);
      continue;
    }
    if (t >= end - kEpsilon) break;
    double until = timers_.peek(&next) ? std::min(next.time, end) : end;
    if (next_fault_ < faults_.size()) until = std::min(until, std::max(faults_[next_fault_].time, t));
    if (!held_.empty()) until = std::min(until, std::max(held_.top().time, t));
    ssize_t got;
    try {
      got = sg4::Comm::wait_any_for(pending, until - t);
    } catch (const simgrid::NetworkFailureException&) {
      // A transfer matched with one of our receives failed on a down link: the message is lost
      // (the sender's clean function counted and freed it). Post that receive again.
      for (size_t r = 0; r < pending.size(); ++r)
        if (pending[r]->get_state() == sg4::Activity::State::FAILED) {
          incoming_[r] = nullptr;
          pending[r] = mailboxes_[r]->get_async<Envelope>(&incoming_[r]);
        }
      continue;
    }
    if (got >= 0) {
      size_t r = static_cast<size_t>(got);
      EnvelopePtr msg(incoming_[r]);
      incoming_[r] = nullptr;
      pending[r] = mailboxes_[r]->get_async<Envelope>(&incoming_[r]);
      engine_->count_event();
      if (down_) {
        if (!msg->is_response) {  // connection refused: the caller learns at once
          if (refused_) ++*refused_;
          msg->is_response = true;
          msg->status = Status::Failed;
          NodeId to = msg->from;
          transmit(to, std::move(msg));
        }
        continue;
      }
      node_->on_message(*this, std::move(msg));
    }
  }
  node_->on_end(*this);
  for (; !held_.empty(); held_.pop()) delete held_.top().msg;  // still held at the end: never sent
  for (size_t r = 0; r < mailboxes_.size(); ++r) {
    pending[r]->cancel();
    mailboxes_[r]->set_receiver(nullptr);
  }
}

// SimGrid's flow model carrying the native engine's contended transfers (sim/engine/flow_carrier.hpp):
// the same platform as the engine above, host-to-host transfers (Comm::sendto_async) without
// mailboxes or actors on the hosts, and the native loop as the one actor.
class SimGridFlows final : public FlowCarrier {
 public:
  explicit SimGridFlows(const NetworkPlan& plan) : plan_(plan), platform_(plan_) {}

  void add_host(const std::string& name, int region) override { platform_.add_host(name, region); }

  void run(const std::function<void()>& loop) override {
    sg4::Host* core = platform_.add_side_host("archsim:core");
    platform_.seal();
    sg4::Actor::create("archsim:core", core, [this, &loop]() {
      loop();
      for (auto& c : comms_) c->cancel();  // still on the links at the end of the run
      for (; !future_.empty(); future_.pop()) future_.top().comm->cancel();
      comms_.clear();
      tokens_.clear();
    });
    platform_.engine->run();
  }

  void start(NodeId from, NodeId to, double bytes, double now, double earliest, uint64_t token) override {
    double wait = now - sg4::Engine::get_clock();
    if (wait > 0) sg4::this_actor::sleep_for(wait);
    // At least one byte: a zero-byte transfer can complete before its latency when others share
    // a link (SimGrid 3.32).
    uint64_t wire = bytes < 1 ? 1 : static_cast<uint64_t>(bytes);
    future_.push({earliest, seq_++, sg4::Comm::sendto_async(platform_.hosts[from].host, platform_.hosts[to].host, wire),
                  token});
  }

  // Only the transfers that could have completed by `t` (their time alone on the route has
  // passed) are waited on: with thousands in flight on long links most are still in their
  // latency, and SimGrid's wait_any costs as many as it is given.
  // Transfers that complete at the same instant come back in the order they were started.
  bool completion(double t, uint64_t* token, double* at) override {
    if (!ready_.empty()) {
      *token = ready_.front().second;
      *at = ready_at_;
      ready_.pop_front();
      return true;
    }
    bool more = false;
    while (!future_.empty() && future_.top().earliest <= t + kEpsilon) {
      const Future& f = future_.top();
      comms_.push_back(f.comm);
      tokens_.push_back({f.seq, f.token});
      future_.pop();
      more = true;
    }
    if (comms_.empty()) return false;
    if (!more && t <= checked_until_) return false;  // SimGrid already ran to t with these, and none completed
    double wait = t - sg4::Engine::get_clock();
    ssize_t i = wait > 0 ? sg4::Comm::wait_any_for(comms_, wait) : sg4::Comm::test_any(comms_);
    if (i < 0) {
      checked_until_ = t;
      return false;
    }
    ready_at_ = sg4::Engine::get_clock();
    for (; i >= 0; i = sg4::Comm::test_any(comms_)) {  // every transfer done at this instant
      auto k = static_cast<size_t>(i);
      ready_.push_back(tokens_[k]);
      comms_[k] = comms_.back();
      comms_.pop_back();
      tokens_[k] = tokens_.back();
      tokens_.pop_back();
    }
    std::sort(ready_.begin(), ready_.end());
    return completion(t, token, at);
  }

  size_t in_flight() const override { return comms_.size() + future_.size() + ready_.size(); }

 private:
  NetworkPlan plan_;
  Platform platform_;
  // Transfers that cannot have completed yet, by their earliest completion (then start order).
  struct Future {
    double earliest;
    uint64_t seq;
    sg4::CommPtr comm;
    uint64_t token;
    bool operator>(const Future& o) const { return earliest != o.earliest ? earliest > o.earliest : seq > o.seq; }
  };
  std::priority_queue<Future, std::vector<Future>, std::greater<Future>> future_;
  uint64_t seq_ = 0;
  // Transfers that may complete any time now, and their (start order, token), index for index.
  std::vector<sg4::CommPtr> comms_;
  std::vector<std::pair<uint64_t, uint64_t>> tokens_;
  // Completed at ready_at_ and not yet handed back, in start order.
  std::deque<std::pair<uint64_t, uint64_t>> ready_;
  double ready_at_ = 0;
  double checked_until_ = -1;  // SimGrid ran to here with comms_ and none completed
};

}  // namespace

std::unique_ptr<Engine> make_simgrid_engine(const NetworkPlan& plan, bool progress) {
  return std::make_unique<SimGridEngine>(plan, progress);
}

std::unique_ptr<FlowCarrier> make_simgrid_flows(const NetworkPlan& plan) { return std::make_unique<SimGridFlows>(plan); }

}  // namespace archsim
