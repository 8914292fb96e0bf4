#include "models/replicated_store/replicated_store.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace archsim {
namespace {

using Outcome = ConsistencyOracle::Outcome;

// Protocol messages between the replicas of one store.
struct Version {
  uint64_t value = 0;
  double ts = 0;                 // LWW timestamp: the coordinator's clock, skew included
  std::vector<uint32_t> vv;      // siblings: version vector, one counter per replica
};
struct Item {
  uint64_t key = 0;
  uint64_t seq = 0;              // anti-entropy: the sender's update number for the key
  std::vector<Version> versions;
};
// Which logical call a write belongs to (a retry of it carries the same), and whether it carries
// an idempotency key: request id and call number; call 0: not a guarded call.
struct WriteId {
  uint64_t request_id = 0;
  uint32_t call = 0;
  bool idempotent = false;
};
struct LogEntry {
  uint64_t term = 0, key = 0, value = 0;  // value 0: a leader's no-op
  int coord = -1;                         // the replica whose client asked for it
  uint64_t op = 0;                        // that replica's operation id
  WriteId who;                            // kept with the write, so every replica applies it once
  double at = 0;                          // when the leader appended it (ages the key table alike everywhere)
};

struct StoreMsg : MessageBody {
  enum Kind : uint8_t {
    Forward, ForwardReply,            // cp: a follower's client operation, through the leader
    Append, AppendReply, Vote, VoteReply, Snapshot, PreVote, PreVoteReply,
    ApWrite, ApWriteAck, ApRead, ApReadReply, ApRepair, ApSync, ApSyncAck,
  };
  Kind kind = Forward;
  uint64_t term = 0;
  uint64_t op = 0;
  bool write = false;
  uint64_t key = 0, value = 0;
  Outcome outcome = Outcome::Ok;
  uint64_t prev_index = 0, prev_term = 0, commit = 0, round = 0, match = 0;
  bool success = false;
  std::vector<LogEntry> entries;
  uint64_t last_index = 0, last_term = 0;
  std::vector<std::pair<uint64_t, uint64_t>> kv;  // snapshot
  std::vector<Item> items;                        // ap
  WriteId who;                                    // cp forward: the client write's call
  std::shared_ptr<const WriteLedger> keys;        // cp snapshot: the idempotency keys applied
};

constexpr int kTagShift = 56;
constexpr uint64_t kPayload = (uint64_t(1) << kTagShift) - 1;
enum TimerKind : uint64_t { kOpReady = 1, kKeyLookup, kElection, kHeartbeat, kCheckQuorum, kForwardTimeout, kRequestTimeout, kHints, kAntiEntropy, kLogSync };
uint64_t tag(TimerKind k, uint64_t payload) { return (static_cast<uint64_t>(k) << kTagShift) | (payload & kPayload); }

constexpr double kHeaderBytes = 64;  // a protocol message without its data

// The part every mode shares: client operations arrive, are executed on the cores of the replica
// that executes them (`op_time` each, first come first served), and are answered once.
class StoreReplica : public ModelNode {
 public:
  StoreReplica(const ReplicatedStoreParams& p, int index, StoreShared sh, Rng rng)
      : p_(p), idx_(index), sh_(sh), rng_(rng), n_(static_cast<int>(p.replicas.size())) {
    for (int i = 0; i < n_; ++i) index_of_[p_.replicas[static_cast<size_t>(i)]] = i;
  }

  void on_message(Context& ctx, MessagePtr msg) override {
    if (!msg->body) {
      if (msg->is_response) return;  // not ours: requests go to stores, not from them
      uint64_t id = next_local_++;
      Pending& op = pending_[id];
      op.write = msg->is_write;
      op.key = msg->key;
      op.value = op.write ? sh_.oracle->new_value() : 0;
      op.oracle = sh_.oracle->invoke(ctx.now(), idx_, op.write, op.key, op.value);
      if (op.write && msg->op != 0 && sh_.ledger)
        op.who = WriteId{msg->request_id, msg->op, msg->idempotent};
      // Where its time goes here (sim/support/critical_path.hpp): the hop in, then the protocol.
      if (ctx.now() > msg->sent_at) msg->path.push_back({ctx.self(), cause::kNetwork, ctx.now() - msg->sent_at});
      op.msg = std::move(msg);
      op.arrived = ctx.now();
      op.measured = in_window(op.arrived);
      if (op.measured) ++sh_.comp->arrivals;
      sh_.comp->in_system.add(op.arrived, 1);
      if (executes_here()) {
        Work w;
        w.local = id;
        execute(ctx, w);
      } else {
        start_op(ctx, id);
      }
      return;
    }
    auto body = std::static_pointer_cast<const StoreMsg>(msg->body);
    int from = peer_index(msg->from);
    if (msg->is_response) {  // our protocol message came back: the peer's host is down
      on_bounce(ctx, from, *body);
      return;
    }
    on_protocol(ctx, from, *body);
  }

  void on_timer(Context& ctx, uint64_t t) override {
    auto kind = static_cast<TimerKind>(t >> kTagShift);
    uint64_t payload = t & kPayload;
    if (kind == kOpReady) {
      on_executed(ctx, payload);
      return;
    }
    if (kind == kKeyLookup) {
      if (pending_.count(payload)) start_op(ctx, payload);
      return;
    }
    on_mode_timer(ctx, kind, payload);
  }

  void on_crash(Context& ctx) override {
    // Clients' connections break: what they asked may or may not have happened.
    std::vector<uint64_t> ids;
    for (const auto& [id, op] : pending_) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (uint64_t id : ids) finish(ctx, id, op_outcome_on_break(id), 0, false);
    // What the cores were doing and what waited for them is gone.
    sh_.comp->busy_cores.add(ctx.now(), -static_cast<double>(busy_));
    sh_.comp->replica_busy_cores[static_cast<size_t>(idx_)].add(ctx.now(), -static_cast<double>(busy_));
    sh_.comp->queue_len.add(ctx.now(), -static_cast<double>(waiting_.size()));
    busy_ = 0;
    waiting_.clear();
    work_.clear();
    forget_volatile();
  }

 protected:
  struct Pending {
    MessagePtr msg;
    bool write = false;
    uint64_t key = 0, value = 0, oracle = 0;
    WriteId who;
    bool reserved = false;  // ap: holds its idempotency key in the shared table
    TimerId timer = 0;
    bool timer_set = false;
    double arrived = 0;
    bool measured = false;
  };

  // An operation for the cores: a client operation of this replica (`local`), or one a follower
  // forwarded to this leader (`from` >= 0, what it asked beside it).
  struct Work {
    uint64_t local = 0;
    int from = -1;
    uint64_t op = 0, key = 0, value = 0;
    bool write = false;
    WriteId who;
  };

  // True when this replica executes its clients' operations itself (ap: always; cp: the leader).
  virtual bool executes_here() const = 0;
  // A forwarded operation had its `op_time` (cp).
  virtual void on_forward_executed(Context&, const Work&) {}

  // Queues `w` for a core; it holds one for `op_time`.
  void execute(Context& ctx, const Work& w) {
    uint64_t wid = next_work_++;
    work_[wid] = Slot{w, p_.op_time.sample(rng_), ctx.now()};
    if (busy_ < p_.cores) {
      begin(ctx, wid);
      return;
    }
    waiting_.push_back(wid);
    sh_.comp->queue_len.add(ctx.now(), 1);
  }

  void begin(Context& ctx, uint64_t wid) {
    const Slot& slot = work_.at(wid);
    if (in_window(slot.queued_at)) {
      sh_.comp->wait_sum += ctx.now() - slot.queued_at;
      ++sh_.comp->wait_count;
    }
    ++busy_;
    sh_.comp->busy_cores.add(ctx.now(), 1);
    sh_.comp->replica_busy_cores[static_cast<size_t>(idx_)].add(ctx.now(), 1);
    ctx.start_timer(slot.service, tag(kOpReady, wid));
  }

  void on_executed(Context& ctx, uint64_t wid) {
    auto it = work_.find(wid);
    if (it == work_.end()) return;  // lost in a crash
    Work w = it->second.work;
    work_.erase(it);
    --busy_;
    sh_.comp->busy_cores.add(ctx.now(), -1);
    sh_.comp->replica_busy_cores[static_cast<size_t>(idx_)].add(ctx.now(), -1);
    if (!waiting_.empty()) {
      uint64_t next = waiting_.front();
      waiting_.pop_front();
      sh_.comp->queue_len.add(ctx.now(), -1);
      begin(ctx, next);
    }
    if (w.from >= 0) {
      on_forward_executed(ctx, w);
      return;
    }
    auto p = pending_.find(w.local);
    if (p == pending_.end()) return;
    if (p->second.who.idempotent && coordinator_keys_ && sh_.key_lookup > 0) {
      ctx.start_timer(sh_.key_lookup, tag(kKeyLookup, w.local));  // the shared key table's read
      return;
    }
    start_op(ctx, w.local);
  }

  bool in_window(double t) const { return t >= sh_.stats->window_start && t < sh_.stats->window_end; }

  // A write of a tracked call took effect: counts it, and again when its call had taken effect before.
  void count_applied(double now, const WriteId& w) {
    bool again = sh_.ledger->applied(now, {w.request_id, w.call});
    if (!in_window(now)) return;
    ++sh_.stats->writes_applied;
    if (again) ++sh_.stats->duplicate_applies;
  }
  void count_replay(double now) {
    if (in_window(now)) ++sh_.stats->idempotent_replays;
  }

  virtual void start_op(Context& ctx, uint64_t id) = 0;
  virtual void on_protocol(Context& ctx, int from, const StoreMsg& m) = 0;
  virtual void on_bounce(Context& ctx, int from, const StoreMsg& m) = 0;
  virtual void on_mode_timer(Context& ctx, TimerKind kind, uint64_t payload) = 0;
  virtual void forget_volatile() = 0;
  virtual Outcome op_outcome_on_break(uint64_t id) { return pending_.at(id).write ? Outcome::Unknown : Outcome::Fail; }

  int peer_index(NodeId n) const {
    auto it = index_of_.find(n);
    if (it == index_of_.end()) throw std::logic_error("replicated store: a protocol message from outside the store");
    return it->second;
  }
  int majority() const { return n_ / 2 + 1; }

  void send(Context& ctx, int to, std::shared_ptr<StoreMsg> m, double data_bytes) {
    auto msg = std::make_unique<Message>();
    msg->key = m->key;
    msg->request_bytes = kHeaderBytes + data_bytes;
    msg->response_bytes = kHeaderBytes;
    msg->body = std::move(m);
    ctx.send(p_.replicas[static_cast<size_t>(to)], std::move(msg));
  }

  // Answers client operation `id` (a failure when `outcome` is not Ok) and forgets it.
  void finish(Context& ctx, uint64_t id, Outcome outcome, uint64_t value, bool siblings) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Pending op = std::move(it->second);
    pending_.erase(it);
    if (op.timer_set) ctx.cancel_timer(op.timer);
    if (coordinator_keys_ && op.who.call != 0 && outcome != Outcome::Replayed) {
      if (outcome == Outcome::Ok) count_applied(ctx.now(), op.who);
      else if (op.reserved && outcome == Outcome::Fail) sh_.ledger->release({op.who.request_id, op.who.call});
    }
    sh_.oracle->complete(ctx.now(), op.oracle, outcome, value, siblings);
    bool ok = outcome == Outcome::Ok || outcome == Outcome::Replayed;
    if (op.measured) {
      if (ok) {
        ++sh_.comp->completed;
        sh_.comp->residence.record(ctx.now() - op.arrived);
      } else {
        ++sh_.comp->failed;
      }
    }
    sh_.comp->in_system.add(ctx.now(), -1);
    sh_.comp->series.record(ctx.now(), ctx.now() - op.arrived, ok);
    if (!op.msg) return;  // dropped without an answer (`minority: timeout`)
    if (ctx.now() > op.arrived) op.msg->path.push_back({ctx.self(), cause::kReplication, ctx.now() - op.arrived});
    op.msg->is_response = true;
    op.msg->status = outcome == Outcome::Ok || outcome == Outcome::Replayed ? Status::Ok : Status::Failed;
    op.msg->version = value;
    NodeId to = op.msg->from;
    ctx.send(to, std::move(op.msg));
  }

  const ReplicatedStoreParams& p_;
  int idx_;
  StoreShared sh_;
  Rng rng_;
  int n_;
  std::unordered_map<NodeId, int> index_of_;
  std::unordered_map<uint64_t, Pending> pending_;
  uint64_t next_local_ = 1;
  bool coordinator_keys_ = false;  // ap: the coordinator checks and counts tracked writes

 private:
  struct Slot {
    Work work;
    double service = 0;
    double queued_at = 0;
  };
  std::unordered_map<uint64_t, Slot> work_;  // on a core or waiting for one
  std::deque<uint64_t> waiting_;
  int64_t busy_ = 0;
  uint64_t next_work_ = 1;
};

// ---------------------------------------------------------------------------------------------
// cp: Raft-style leader and majority.
class CpReplica : public StoreReplica {
 public:
  using StoreReplica::StoreReplica;

  void on_start(Context& ctx) override {
    keys_ = WriteLedger(sh_.key_ttl, 0);
    next_.assign(static_cast<size_t>(n_), 1);
    match_.assign(static_cast<size_t>(n_), 0);
    acked_round_.assign(static_cast<size_t>(n_), 0);
    last_contact_.assign(static_cast<size_t>(n_), -1e300);
    if (!p_.cold_start) {
      // Elected before the run: every replica voted for the leader in term 1.
      int leader = 0;
      for (int i = 0; i < n_; ++i)
        if (!p_.leader.empty() && p_.placement[static_cast<size_t>(i)] == p_.leader) {
          leader = i;
          break;
        }
      term_ = 1;
      voted_for_ = leader;
      if (leader == idx_) {
        become_leader(ctx);
        return;
      }
      leader_ = leader;
      last_leader_contact_ = ctx.now();
    }
    reset_election_timer(ctx);
  }
  void on_recover(Context& ctx) override { reset_election_timer(ctx); }

 private:
  enum class Role { Follower, Candidate, Leader };
  static constexpr size_t kRounds = 64;
  static constexpr uint64_t kKeepEntries = 1024;  // applied entries kept for lagging followers

  // --- log ---
  uint64_t last_index() const { return snap_index_ + log_.size(); }
  uint64_t term_at(uint64_t i) const {
    if (i == 0) return 0;
    if (i <= snap_index_) return i == snap_index_ ? snap_term_ : 0;
    return log_[static_cast<size_t>(i - snap_index_ - 1)].term;
  }
  const LogEntry& entry(uint64_t i) const { return log_[static_cast<size_t>(i - snap_index_ - 1)]; }

  void forget_volatile() override {
    // Term, vote, log and the applied state are on disk; the rest is memory. With a log disk,
    // entries not yet synced (and not applied) are lost.
    if (p_.log_sync > 0) {
      uint64_t keep = std::max({durable_, applied_, snap_index_});
      if (keep < last_index()) log_.erase(log_.begin() + static_cast<std::ptrdiff_t>(keep - snap_index_), log_.end());
      durable_ = last_index();
      syncing_ = false;
      ++sync_gen_;
      acks_.clear();
    }
    role_ = Role::Follower;
    leader_ = -1;
    read_waiters_.clear();
    election_timer_set_ = hb_set_ = cq_set_ = false;
  }

  void reset_election_timer(Context& ctx) {
    if (election_timer_set_) ctx.cancel_timer(election_timer_);
    double T = p_.election_timeout;
    election_timer_ = ctx.start_timer(T + T * rng_.uniform(), tag(kElection, 0));
    election_timer_set_ = true;
  }

  void become_follower(Context& ctx, uint64_t term) {
    bool was_leader = role_ == Role::Leader;
    pre_voting_ = false;
    if (term > term_) {
      term_ = term;
      voted_for_ = -1;
    }
    role_ = Role::Follower;
    if (was_leader) {
      leader_ = -1;
      // Operations waiting on this leader: reads did nothing; writes may still commit under the next.
      for (auto& w : read_waiters_) complete_op(ctx, w.coord, w.op, Outcome::Fail, 0);
      read_waiters_.clear();
      for (uint64_t i = commit_ + 1; i <= last_index(); ++i) {
        const LogEntry& e = entry(i);
        if (e.value != 0) complete_op(ctx, e.coord, e.op, Outcome::Unknown, 0);
      }
      if (hb_set_) ctx.cancel_timer(hb_timer_);
      if (cq_set_) ctx.cancel_timer(cq_timer_);
      hb_set_ = cq_set_ = false;
      reset_election_timer(ctx);
    }
  }

  // Completes an operation coordinated by replica `coord` (this one, or a follower through a reply).
  void complete_op(Context& ctx, int coord, uint64_t op, Outcome outcome, uint64_t value) {
    if (coord == idx_) {
      finish(ctx, op, outcome, value, false);
      return;
    }
    if (coord < 0) return;
    auto m = std::make_shared<StoreMsg>();
    m->kind = StoreMsg::ForwardReply;
    m->op = op;
    m->outcome = outcome;
    m->value = value;
    send(ctx, coord, m, 16);
  }

  bool executes_here() const override { return role_ == Role::Leader; }

  void on_forward_executed(Context& ctx, const Work& w) override {
    if (role_ != Role::Leader) {
      complete_op(ctx, w.from, w.op, Outcome::Fail, 0);  // deposed while it waited: nothing done
      return;
    }
    leader_op(ctx, w.from, w.op, w.write, w.key, w.value, w.who);
  }

  void start_op(Context& ctx, uint64_t id) override {
    Pending& op = pending_.at(id);
    if (role_ == Role::Leader) {
      leader_op(ctx, idx_, id, op.write, op.key, op.value, op.who);
      return;
    }
    if (leader_ >= 0 && ctx.now() - last_leader_contact_ < p_.election_timeout) {
      auto m = std::make_shared<StoreMsg>();
      m->kind = StoreMsg::Forward;
      m->op = id;
      m->write = op.write;
      m->key = op.key;
      m->value = op.value;
      m->who = op.who;
      send(ctx, leader_, m, op.write ? p_.value_bytes : 0);
      ++sh_.stats->forwarded;
      op.timer = ctx.start_timer(2 * p_.election_timeout, tag(kForwardTimeout, id));
      op.timer_set = true;
      return;
    }
    // No leader reachable: this replica is on the minority side, or an election is under way.
    if (!p_.minority_rejects) op.msg.reset();
    finish(ctx, id, Outcome::Fail, 0, false);
  }

  void leader_op(Context& ctx, int coord, uint64_t op, bool write, uint64_t key, uint64_t value, const WriteId& who) {
    if (write) {
      if (who.idempotent && keys_.holds_applied(ctx.now(), {who.request_id, who.call})) {
        // A retry of a write this leader has applied: answered at once from its key table.
        count_replay(ctx.now());
        complete_op(ctx, coord, op, Outcome::Replayed, 0);
        return;
      }
      log_.push_back(LogEntry{term_, key, value, coord, op, who, ctx.now()});
      logged(ctx);
      if (n_ == 1) advance_commit(ctx);
      for (int p = 0; p < n_; ++p)
        if (p != idx_) send_append(ctx, p);
      return;
    }
    if (can_read_now(ctx.now())) {
      complete_op(ctx, coord, op, Outcome::Ok, value_of(key));
      return;
    }
    // Read index: answer once a heartbeat round sent after the read has reached a majority.
    read_waiters_.push_back(ReadWaiter{coord, op, key, start_round(ctx)});
  }

  bool can_read_now(double now) const {
    if (commit_ < term_first_index_) return false;  // nothing of this term committed yet
    if (n_ == 1) return true;
    return p_.lease_reads && now < lease_until_;
  }

  uint64_t value_of(uint64_t key) const {
    auto it = kv_.find(key);
    return it == kv_.end() ? 0 : it->second;
  }

  void become_leader(Context& ctx) {
    role_ = Role::Leader;
    leader_ = idx_;
    ++sh_.stats->elections;
    sh_.stats->leaders.push_back(StoreStats::LeaderChange{ctx.now(), idx_, term_});
    if (election_timer_set_) ctx.cancel_timer(election_timer_);
    election_timer_set_ = false;
    for (int p = 0; p < n_; ++p) {
      next_[static_cast<size_t>(p)] = last_index() + 1;
      match_[static_cast<size_t>(p)] = 0;
      acked_round_[static_cast<size_t>(p)] = 0;
      last_contact_[static_cast<size_t>(p)] = ctx.now();
    }
    round_ = 0;
    lease_until_ = 0;
    log_.push_back(LogEntry{term_, 0, 0, -1, 0, {}, 0});  // a no-op commits the earlier terms' entries
    logged(ctx);
    term_first_index_ = last_index();
    if (n_ == 1) advance_commit(ctx);
    heartbeat(ctx);
    cq_timer_ = ctx.start_timer(p_.election_timeout, tag(kCheckQuorum, 0));
    cq_set_ = true;
  }

  uint64_t start_round(Context& ctx) {
    ++round_;
    round_sent_[round_ % kRounds] = ctx.now();
    for (int p = 0; p < n_; ++p)
      if (p != idx_) {
        next_[static_cast<size_t>(p)] = match_[static_cast<size_t>(p)] + 1;  // resend what was not acknowledged
        send_append(ctx, p);
      }
    if (n_ == 1) confirm_rounds(ctx);
    return round_;
  }

  void heartbeat(Context& ctx) {
    start_round(ctx);
    hb_timer_ = ctx.start_timer(p_.heartbeat_interval, tag(kHeartbeat, 0));
    hb_set_ = true;
  }

  void send_append(Context& ctx, int p) {
    size_t pi = static_cast<size_t>(p);
    if (next_[pi] <= snap_index_) {  // what it needs was compacted: send the state instead
      auto m = std::make_shared<StoreMsg>();
      m->kind = StoreMsg::Snapshot;
      m->term = term_;
      m->prev_index = applied_;
      m->prev_term = term_at(applied_);
      m->kv.assign(kv_.begin(), kv_.end());
      std::sort(m->kv.begin(), m->kv.end());
      if (sh_.ledger) m->keys = std::make_shared<const WriteLedger>(keys_);
      m->round = round_;
      double bytes = static_cast<double>(m->kv.size()) * (16 + p_.value_bytes);
      send(ctx, p, m, bytes);
      ++sh_.stats->snapshots_sent;
      next_[pi] = applied_ + 1;
      return;
    }
    auto m = std::make_shared<StoreMsg>();
    m->kind = StoreMsg::Append;
    m->term = term_;
    m->prev_index = next_[pi] - 1;
    m->prev_term = term_at(m->prev_index);
    m->commit = commit_;
    m->round = round_;
    uint64_t last = std::min(last_index(), m->prev_index + static_cast<uint64_t>(p_.max_batch));
    for (uint64_t i = next_[pi]; i <= last; ++i) m->entries.push_back(entry(i));
    double bytes = static_cast<double>(m->entries.size()) * (32 + p_.value_bytes);
    next_[pi] = last + 1;
    send(ctx, p, m, bytes);
  }

  void advance_commit(Context& ctx) {
    std::vector<uint64_t> m(match_);
    m[static_cast<size_t>(idx_)] = durable_index();  // the leader counts what its own log disk holds
    std::sort(m.begin(), m.end(), std::greater<>());
    uint64_t n = m[static_cast<size_t>(majority() - 1)];
    if (n > commit_ && term_at(n) == term_) {
      commit_ = n;
      apply(ctx);
    }
  }

  void apply(Context& ctx) {
    while (applied_ < commit_) {
      ++applied_;
      const LogEntry& e = entry(applied_);
      if (sh_.applied) sh_.applied->applied(idx_, applied_, e.term, e.value);
      if (e.value == 0) continue;
      if (e.who.call != 0 && apply_tracked(ctx, e)) {
        // A retry of a write already applied: its idempotency key says so; the state stays.
        if (role_ == Role::Leader && e.term == term_) complete_op(ctx, e.coord, e.op, Outcome::Replayed, 0);
        continue;
      }
      uint64_t old = value_of(e.key);
      kv_[e.key] = e.value;
      if (old != 0) sh_.oracle->discard(ctx.now(), old, e.value);
      sh_.oracle->hold(ctx.now(), idx_, e.key, e.value, e.value);
      if (role_ == Role::Leader && e.term == term_) complete_op(ctx, e.coord, e.op, Outcome::Ok, 0);
    }
    compact();
  }

  // A write of a tracked call reaches the state machine at index applied_: true when its
  // idempotency key was applied before (the write is skipped). The first replica to apply an
  // index counts it.
  bool apply_tracked(Context& ctx, const LogEntry& e) {
    bool replay = e.who.idempotent && keys_.applied(e.at, {e.who.request_id, e.who.call});
    if (applied_ <= *sh_.counted_upto) return replay;
    *sh_.counted_upto = applied_;
    if (replay) count_replay(ctx.now());
    else count_applied(ctx.now(), e.who);
    return replay;
  }

  void compact() {
    if (applied_ - snap_index_ <= 2 * kKeepEntries) return;
    uint64_t upto = applied_ - kKeepEntries;
    snap_term_ = term_at(upto);
    log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(upto - snap_index_));
    snap_index_ = upto;
  }

  uint64_t confirmed_round() const {
    std::vector<uint64_t> r(acked_round_);
    r[static_cast<size_t>(idx_)] = round_;
    std::sort(r.begin(), r.end(), std::greater<>());
    return r[static_cast<size_t>(majority() - 1)];
  }

  void confirm_rounds(Context& ctx) {
    uint64_t c = confirmed_round();
    if (c == 0) return;
    // Until the election timeout after that round was sent, no follower votes for anyone else.
    lease_until_ = std::max(lease_until_, round_sent_[c % kRounds] + p_.election_timeout);
    if (commit_ < term_first_index_) return;
    while (!read_waiters_.empty() && read_waiters_.front().round <= c) {
      ReadWaiter w = read_waiters_.front();
      read_waiters_.pop_front();
      complete_op(ctx, w.coord, w.op, Outcome::Ok, value_of(w.key));
    }
  }

  void on_protocol(Context& ctx, int from, const StoreMsg& m) override {
    switch (m.kind) {
      case StoreMsg::Forward: {
        if (role_ != Role::Leader) {
          complete_op(ctx, from, m.op, Outcome::Fail, 0);  // not the leader any more: nothing done
          return;
        }
        Work w;
        w.from = from;
        w.op = m.op;
        w.write = m.write;
        w.key = m.key;
        w.value = m.value;
        w.who = m.who;
        execute(ctx, w);
        return;
      }
      case StoreMsg::ForwardReply:
        finish(ctx, m.op, m.outcome, m.value, false);
        return;
      case StoreMsg::Append:
      case StoreMsg::Snapshot:
        on_append(ctx, from, m);
        return;
      case StoreMsg::AppendReply:
        on_append_reply(ctx, from, m);
        return;
      case StoreMsg::Vote:
        on_vote(ctx, from, m);
        return;
      case StoreMsg::PreVote: {
        // Would this replica vote for `from` in the next term? It answers without changing state.
        auto r = std::make_shared<StoreMsg>();
        r->kind = StoreMsg::PreVoteReply;
        r->term = m.term;
        bool heard = leader_ >= 0 && ctx.now() - last_leader_contact_ < p_.election_timeout;
        bool up_to_date = m.last_term > term_at(last_index()) ||
                          (m.last_term == term_at(last_index()) && m.last_index >= last_index());
        r->success = m.term > term_ && !heard && role_ != Role::Leader && up_to_date;
        send(ctx, from, r, 0);
        return;
      }
      case StoreMsg::PreVoteReply:
        if (!pre_voting_ || m.term != term_ + 1 || !m.success) return;
        pre_votes_.insert(from);
        if (static_cast<int>(pre_votes_.size()) >= majority()) start_election(ctx);
        return;
      case StoreMsg::VoteReply:
        if (m.term > term_) {
          become_follower(ctx, m.term);
          return;
        }
        if (role_ == Role::Candidate && m.term == term_ && m.success) {
          votes_.insert(from);
          if (static_cast<int>(votes_.size()) >= majority()) become_leader(ctx);
        }
        return;
      default:
        throw std::logic_error("replicated store (cp): an ap message");
    }
  }

  void reply_append(Context& ctx, int to, bool ok, uint64_t match, uint64_t round) {
    auto r = std::make_shared<StoreMsg>();
    r->kind = StoreMsg::AppendReply;
    r->term = term_;
    r->success = ok;
    r->match = match;
    r->round = round;
    send(ctx, to, r, 0);
  }

  void on_append(Context& ctx, int from, const StoreMsg& m) {
    if (m.term < term_) {
      reply_append(ctx, from, false, last_index(), 0);
      return;
    }
    if (m.term > term_ || role_ != Role::Follower) become_follower(ctx, m.term);
    leader_ = from;
    last_leader_contact_ = ctx.now();
    reset_election_timer(ctx);
    if (m.kind == StoreMsg::Snapshot) {
      if (m.prev_index > applied_) {
        for (const auto& [k, v] : kv_) {
          (void)v;
          if (!std::binary_search(m.kv.begin(), m.kv.end(), std::make_pair(k, uint64_t(0)),
                                  [](const auto& a, const auto& b) { return a.first < b.first; }))
            sh_.oracle->hold(ctx.now(), idx_, k, 0, 0);
        }
        for (const auto& [k, v] : m.kv) {
          uint64_t old = value_of(k);
          if (old != v) {
            if (old != 0) sh_.oracle->discard(ctx.now(), old, v);
            sh_.oracle->hold(ctx.now(), idx_, k, v, v);
          }
        }
        kv_.clear();
        kv_.insert(m.kv.begin(), m.kv.end());
        if (m.keys) keys_ = *m.keys;
        if (m.prev_index <= last_index() && term_at(m.prev_index) == m.prev_term && m.prev_index > snap_index_) {
          log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(m.prev_index - snap_index_));
        } else {
          log_.clear();
        }
        snap_index_ = m.prev_index;
        snap_term_ = m.prev_term;
        commit_ = std::max(commit_, m.prev_index);
        applied_ = m.prev_index;
        durable_ = std::max(durable_, m.prev_index);
      }
      reply_append(ctx, from, true, std::max(applied_, snap_index_), m.round);
      return;
    }
    if (m.prev_index > last_index()) {
      reply_append(ctx, from, false, last_index(), m.round);
      return;
    }
    if (m.prev_index > snap_index_ && term_at(m.prev_index) != m.prev_term) {
      reply_append(ctx, from, false, std::min(m.prev_index - 1, commit_), m.round);
      return;
    }
    uint64_t i = m.prev_index;
    for (const LogEntry& e : m.entries) {
      ++i;
      if (i <= snap_index_) continue;
      if (i <= last_index()) {
        if (term_at(i) == e.term) continue;
        // A conflicting suffix: entries the old leader never committed.
        log_.erase(log_.begin() + static_cast<std::ptrdiff_t>(i - snap_index_ - 1), log_.end());
        durable_ = std::min(durable_, i - 1);
        sync_target_ = std::min(sync_target_, i - 1);
      }
      log_.push_back(e);
    }
    uint64_t match = m.prev_index + m.entries.size();
    uint64_t c = std::min(m.commit, match);
    if (c > commit_) {
      commit_ = c;
      apply(ctx);
    }
    if (p_.log_sync > 0 && match > durable_) {
      // Acknowledged once its log disk holds the entries (group commit: with the next sync).
      acks_.push_back(Ack{from, match, m.round});
      logged(ctx);
      return;
    }
    reply_append(ctx, from, true, match, m.round);
  }

  // --- the log disk (`log_sync`, `log_bandwidth`): one sync at a time writes every entry
  // appended since the last, so writes arriving during a sync share the next (group commit).
  uint64_t durable_index() const { return p_.log_sync > 0 ? durable_ : last_index(); }

  void logged(Context& ctx) {
    if (p_.log_sync <= 0 || syncing_ || durable_ >= last_index()) return;
    syncing_ = true;
    sync_target_ = last_index();
    double bytes = static_cast<double>(sync_target_ - durable_) * (32 + p_.value_bytes);
    double transfer = bytes * 8 / p_.log_bandwidth;
    if (in_window(ctx.now())) {
      size_t i = static_cast<size_t>(idx_);
      ++sh_.stats->log_syncs[i];
      sh_.stats->log_transfer_s[i] += transfer;
    }
    ctx.start_timer(p_.log_sync + transfer, tag(kLogSync, sync_gen_));
  }

  void on_synced(Context& ctx, uint64_t gen) {
    if (gen != (sync_gen_ & kPayload) || !syncing_) return;  // a sync lost in a crash
    syncing_ = false;
    durable_ = std::max(durable_, std::min(sync_target_, last_index()));
    if (role_ == Role::Leader) advance_commit(ctx);
    while (!acks_.empty() && acks_.front().match <= durable_) {
      Ack a = acks_.front();
      acks_.pop_front();
      reply_append(ctx, a.to, true, a.match, a.round);
    }
    logged(ctx);
  }

  void on_append_reply(Context& ctx, int from, const StoreMsg& m) {
    if (m.term > term_) {
      become_follower(ctx, m.term);
      return;
    }
    if (role_ != Role::Leader || m.term != term_) return;
    size_t p = static_cast<size_t>(from);
    last_contact_[p] = ctx.now();
    if (m.round > acked_round_[p] && m.round <= round_) acked_round_[p] = m.round;
    if (m.success) {
      match_[p] = std::max(match_[p], std::min(m.match, last_index()));
      if (next_[p] <= match_[p]) next_[p] = match_[p] + 1;
      advance_commit(ctx);
    } else {
      next_[p] = std::max<uint64_t>(1, std::min(next_[p] - 1, m.match + 1));
      send_append(ctx, from);
    }
    confirm_rounds(ctx);
  }

  void on_vote(Context& ctx, int from, const StoreMsg& m) {
    auto r = std::make_shared<StoreMsg>();
    r->kind = StoreMsg::VoteReply;
    // A follower that heard from a leader within the minimum election timeout ignores candidates:
    // this is what makes the leader's read lease safe.
    bool sticky = leader_ >= 0 && leader_ != idx_ && ctx.now() - last_leader_contact_ < p_.election_timeout;
    if (m.term < term_ || (sticky && role_ == Role::Follower) || role_ == Role::Leader) {
      r->term = term_;
      r->success = false;
      send(ctx, from, r, 0);
      return;
    }
    if (m.term > term_) become_follower(ctx, m.term);
    bool up_to_date = m.last_term > term_at(last_index()) ||
                      (m.last_term == term_at(last_index()) && m.last_index >= last_index());
    bool grant = (voted_for_ < 0 || voted_for_ == from) && up_to_date;
    if (grant) {
      voted_for_ = from;
      reset_election_timer(ctx);
    }
    r->term = term_;
    r->success = grant;
    send(ctx, from, r, 0);
  }

  void start_election(Context& ctx) {
    pre_voting_ = false;
    role_ = Role::Candidate;
    ++term_;
    voted_for_ = idx_;
    leader_ = -1;
    votes_.clear();
    votes_.insert(idx_);
    reset_election_timer(ctx);
    if (static_cast<int>(votes_.size()) >= majority()) {
      become_leader(ctx);
      return;
    }
    for (int p = 0; p < n_; ++p) {
      if (p == idx_) continue;
      auto m = std::make_shared<StoreMsg>();
      m->kind = StoreMsg::Vote;
      m->term = term_;
      m->last_index = last_index();
      m->last_term = term_at(last_index());
      send(ctx, p, m, 0);
    }
  }

  void on_bounce(Context& ctx, int from, const StoreMsg& m) override {
    // The peer's host is down. A forwarded operation never reached the leader: nothing happened.
    if (m.kind == StoreMsg::Forward) finish(ctx, m.op, Outcome::Fail, 0, false);
    (void)from;
  }

  void on_mode_timer(Context& ctx, TimerKind kind, uint64_t payload) override {
    switch (kind) {
      case kElection: {
        election_timer_set_ = false;
        if (role_ == Role::Leader) return;
        reset_election_timer(ctx);
        if (!p_.pre_vote) {
          start_election(ctx);
          return;
        }
        // Pre-vote: ask first, without raising the term, so that a replica cut off from the
        // majority does not come back with a term that deposes a healthy leader.
        pre_voting_ = true;
        pre_votes_.clear();
        pre_votes_.insert(idx_);
        if (static_cast<int>(pre_votes_.size()) >= majority()) {
          start_election(ctx);
          return;
        }
        for (int p = 0; p < n_; ++p) {
          if (p == idx_) continue;
          auto m = std::make_shared<StoreMsg>();
          m->kind = StoreMsg::PreVote;
          m->term = term_ + 1;
          m->last_index = last_index();
          m->last_term = term_at(last_index());
          send(ctx, p, m, 0);
        }
        return;
      }
      case kLogSync:
        on_synced(ctx, payload);
        return;
      case kHeartbeat:
        hb_set_ = false;
        if (role_ == Role::Leader) heartbeat(ctx);
        return;
      case kCheckQuorum: {
        cq_set_ = false;
        if (role_ != Role::Leader) return;
        int heard = 1;
        for (int p = 0; p < n_; ++p)
          if (p != idx_ && last_contact_[static_cast<size_t>(p)] >= ctx.now() - p_.election_timeout) ++heard;
        if (heard < majority()) {
          become_follower(ctx, term_);
          return;
        }
        cq_timer_ = ctx.start_timer(p_.election_timeout, tag(kCheckQuorum, 0));
        cq_set_ = true;
        return;
      }
      case kForwardTimeout:
        if (auto it = pending_.find(payload); it != pending_.end()) {
          it->second.timer_set = false;
          finish(ctx, payload, it->second.write ? Outcome::Unknown : Outcome::Fail, 0, false);
        }
        return;
      default:
        return;
    }
  }

  struct ReadWaiter {
    int coord = -1;
    uint64_t op = 0, key = 0, round = 0;
  };

  Role role_ = Role::Follower;
  uint64_t term_ = 0;
  int voted_for_ = -1;
  int leader_ = -1;
  double last_leader_contact_ = -1e300;
  std::deque<LogEntry> log_;
  uint64_t snap_index_ = 0, snap_term_ = 0;
  uint64_t commit_ = 0, applied_ = 0, term_first_index_ = 0;
  uint64_t durable_ = 0, sync_target_ = 0, sync_gen_ = 0;  // the log disk
  bool syncing_ = false;
  struct Ack {
    int to = -1;
    uint64_t match = 0, round = 0;
  };
  std::deque<Ack> acks_;  // appends acknowledged once synced
  std::unordered_map<uint64_t, uint64_t> kv_;
  WriteLedger keys_ = WriteLedger(0, 0);  // idempotency keys applied (part of the replicated state)
  std::unordered_set<int> votes_, pre_votes_;
  bool pre_voting_ = false;
  std::vector<uint64_t> next_, match_, acked_round_;
  std::vector<double> last_contact_;
  uint64_t round_ = 0;
  double round_sent_[kRounds] = {};
  double lease_until_ = 0;
  std::deque<ReadWaiter> read_waiters_;
  TimerId election_timer_ = 0, hb_timer_ = 0, cq_timer_ = 0;
  bool election_timer_set_ = false, hb_set_ = false, cq_set_ = false;
};

// ---------------------------------------------------------------------------------------------
// ap: Dynamo-style coordinators, (sloppy) quorums, LWW or siblings, hints, repair, anti-entropy.
class ApReplica : public StoreReplica {
 public:
  ApReplica(const ReplicatedStoreParams& p, int index, StoreShared sh, Rng rng) : StoreReplica(p, index, sh, rng) {
    coordinator_keys_ = sh_.ledger != nullptr;
    nhome_ = p_.n > 0 ? static_cast<int>(p_.n) : n_;
    dirty_.resize(static_cast<size_t>(n_));
    hints_.resize(static_cast<size_t>(n_));
  }

  void on_start(Context& ctx) override { start_periodic(ctx, true); }
  bool executes_here() const override { return true; }
  void on_recover(Context& ctx) override { start_periodic(ctx, false); }

 private:
  using Cell = std::vector<Version>;

  struct Coord {
    bool write = false;
    uint64_t key = 0;
    int acks = 0, replies = 0, expect = 0;  // expect: answers that can come (self included)
    std::vector<int> home;
    std::vector<char> answered;   // per replica
    std::vector<uint64_t> states; // reads: what each replica answered (for read repair)
    Cell merged;                  // reads: the newest versions seen
    Version version;              // writes: what is being written
    bool done = false;            // the client has its answer
  };

  void start_periodic(Context& ctx, bool first) {
    if (p_.hinted_handoff) ctx.start_timer(p_.hint_retry, tag(kHints, 0));
    if (p_.anti_entropy_interval > 0) {
      // Replicas start their exchanges at different phases of the interval.
      double phase = first ? p_.anti_entropy_interval * (static_cast<double>(idx_) + 1) / n_ : p_.anti_entropy_interval;
      ctx.start_timer(phase, tag(kAntiEntropy, 0));
    }
  }

  void forget_volatile() override {
    coords_.clear();
    // Writes not yet synced are lost with the process; a sync in progress never completes.
    log_waiting_.clear();
    log_syncing_.clear();
    log_busy_ = false;
    ++log_gen_;
  }

  // --- the log disk (`log_sync`, `log_bandwidth`): a replica applies a write and acknowledges it
  // (to its coordinator, or counts it when it coordinates) once a sync holds it; one sync at a
  // time writes every write that arrived since the last (group commit). Hinted and anti-entropy
  // deliveries are background repair: applied without the log.
  struct LogWrite {
    uint64_t key = 0;
    Cell cell;
    int source = -1;  // the replica it came from (-1: this one coordinates it)
    int ack_to = -1;  // who hears the acknowledgement (-1: this replica's own coordination `op`)
    uint64_t op = 0;
  };
  void log_append(Context& ctx, LogWrite w) {
    log_waiting_.push_back(std::move(w));
    log_start(ctx);
  }
  void log_start(Context& ctx) {
    if (log_busy_ || log_waiting_.empty()) return;
    log_syncing_.swap(log_waiting_);
    log_busy_ = true;
    double bytes = static_cast<double>(log_syncing_.size()) * (32 + p_.value_bytes);
    double transfer = bytes * 8 / p_.log_bandwidth;
    if (in_window(ctx.now())) {
      size_t i = static_cast<size_t>(idx_);
      ++sh_.stats->log_syncs[i];
      sh_.stats->log_transfer_s[i] += transfer;
    }
    ctx.start_timer(p_.log_sync + transfer, tag(kLogSync, ++log_gen_ & kPayload));
  }
  void log_synced(Context& ctx, uint64_t gen) {
    if (gen != (log_gen_ & kPayload) || !log_busy_) return;  // a sync lost in a crash
    log_busy_ = false;
    std::vector<LogWrite> done;
    done.swap(log_syncing_);
    for (auto& w : done) {
      apply_local(ctx, w.key, w.cell, w.source);
      if (w.ack_to >= 0) {
        auto r = std::make_shared<StoreMsg>();
        r->kind = StoreMsg::ApWriteAck;
        r->op = w.op;
        r->key = w.key;
        send(ctx, w.ack_to, r, 0);
        continue;
      }
      auto it = coords_.find(w.op);
      if (it == coords_.end()) continue;  // timed out meanwhile: applied, nobody waits
      Coord& c = it->second;
      c.answered[static_cast<size_t>(idx_)] = 1;
      ++c.acks;
      check_done(ctx, w.op, c);
    }
    log_start(ctx);
  }

  std::vector<int> home_of(uint64_t key) const {
    std::vector<int> h;
    int start = nhome_ == n_ ? 0 : static_cast<int>(mix64(key) % static_cast<uint64_t>(n_));
    for (int i = 0; i < nhome_; ++i) h.push_back((start + i) % n_);
    return h;
  }

  static uint64_t cell_state(const Cell& c) {
    if (c.empty()) return 0;
    if (c.size() == 1) return c[0].value;
    std::vector<uint64_t> v;
    for (const auto& x : c) v.push_back(x.value);
    std::sort(v.begin(), v.end());
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (uint64_t x : v) h = mix64(h ^ x);
    return h | 1;
  }
  static const Version* newest(const Cell& c) {
    const Version* best = nullptr;
    for (const auto& v : c)
      if (!best || v.ts > best->ts || (v.ts == best->ts && v.value > best->value)) best = &v;
    return best;
  }
  static bool dominates(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
    bool strictly = false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] < b[i]) return false;
      if (a[i] > b[i]) strictly = true;
    }
    return strictly;
  }

  // Merges `incoming` into a cell; true when the cell changed. Reports what was superseded.
  bool merge(Context& ctx, Cell& cell, const Cell& incoming) {
    bool changed = false;
    for (const Version& in : incoming) {
      if (!p_.siblings) {
        if (cell.empty()) {
          cell.push_back(in);
          changed = true;
          continue;
        }
        Version& held = cell[0];
        if (in.value == held.value) continue;
        bool newer = in.ts > held.ts || (in.ts == held.ts && in.value > held.value);
        if (newer) {
          sh_.oracle->discard(ctx.now(), held.value, in.value);
          held = in;
          changed = true;
        } else {
          sh_.oracle->discard(ctx.now(), in.value, held.value);
        }
        continue;
      }
      bool known = false, dominated = false;
      for (const auto& v : cell) {
        if (v.value == in.value) known = true;
        else if (dominates(v.vv, in.vv)) dominated = true;
      }
      if (known) continue;
      if (dominated) {
        for (const auto& v : cell)
          if (dominates(v.vv, in.vv)) {
            sh_.oracle->discard(ctx.now(), in.value, v.value);
            break;
          }
        continue;
      }
      Cell kept;
      for (auto& v : cell) {
        if (dominates(in.vv, v.vv)) sh_.oracle->discard(ctx.now(), v.value, in.value);
        else kept.push_back(std::move(v));
      }
      kept.push_back(in);
      cell = std::move(kept);
      changed = true;
    }
    return changed;
  }

  // Applies versions of `key` here; marks the key for anti-entropy with every peer but `source`.
  void apply_local(Context& ctx, uint64_t key, const Cell& incoming, int source) {
    Cell& cell = store_[key];
    if (!merge(ctx, cell, incoming)) return;
    const Version* v = newest(cell);
    sh_.oracle->hold(ctx.now(), idx_, key, v ? v->value : 0, cell_state(cell));
    uint64_t seq = ++update_seq_;
    for (int p = 0; p < n_; ++p)
      if (p != idx_ && p != source) dirty_[static_cast<size_t>(p)][key] = seq;
  }

  void start_op(Context& ctx, uint64_t id) override {
    Pending& op = pending_.at(id);
    if (op.who.idempotent) {
      if (sh_.ledger->seen_or_reserve(ctx.now(), {op.who.request_id, op.who.call})) {
        // Applied before, or being applied by an earlier attempt: answered without writing again.
        count_replay(ctx.now());
        finish(ctx, id, Outcome::Replayed, 0, false);
        return;
      }
      op.reserved = true;
    }
    Coord c;
    c.write = op.write;
    c.key = op.key;
    c.home = home_of(op.key);
    c.answered.assign(static_cast<size_t>(n_), 0);
    c.states.assign(static_cast<size_t>(n_), 0);
    bool self_home = std::find(c.home.begin(), c.home.end(), idx_) != c.home.end();
    if (op.write) {
      Version v;
      v.value = op.value;
      v.ts = ctx.now() + (static_cast<size_t>(idx_) < p_.clock_skew.size() ? p_.clock_skew[static_cast<size_t>(idx_)] : 0);
      if (p_.siblings) {
        v.vv.assign(static_cast<size_t>(n_), 0);
        for (const auto& s : store_[op.key])
          for (size_t i = 0; i < v.vv.size(); ++i) v.vv[i] = std::max(v.vv[i], s.vv[i]);
        ++v.vv[static_cast<size_t>(idx_)];
      }
      c.version = v;
      if (self_home) {
        if (p_.log_sync > 0) {
          log_append(ctx, {op.key, Cell{v}, -1, -1, id});  // counted once its sync holds it
        } else {
          apply_local(ctx, op.key, Cell{v}, -1);
          c.answered[static_cast<size_t>(idx_)] = 1;
          ++c.acks;
        }
      }
      for (int h : c.home)
        if (h != idx_) {
          auto m = std::make_shared<StoreMsg>();
          m->kind = StoreMsg::ApWrite;
          m->op = id;
          m->key = op.key;
          m->items.push_back(Item{op.key, 0, Cell{v}});
          send(ctx, h, m, p_.value_bytes + 16);
        }
    } else {
      if (self_home) {
        const Cell& mine = store_[op.key];
        c.merged = mine;
        c.states[static_cast<size_t>(idx_)] = cell_state(mine);
        c.answered[static_cast<size_t>(idx_)] = 1;
        ++c.replies;
      }
      if (p_.read_repair || c.replies < p_.r)
        for (int h : c.home)
          if (h != idx_) {
            auto m = std::make_shared<StoreMsg>();
            m->kind = StoreMsg::ApRead;
            m->op = id;
            m->key = op.key;
            send(ctx, h, m, 16);
            ++c.expect;
          }
    }
    if (op.write) c.expect = static_cast<int>(c.home.size());
    else if (self_home) ++c.expect;
    Coord& stored = coords_[id] = std::move(c);
    op.timer = ctx.start_timer(p_.request_timeout, tag(kRequestTimeout, id));
    op.timer_set = true;
    check_done(ctx, id, stored);
  }

  // Answers the client once enough replicas did; forgets the operation once every replica did.
  void check_done(Context& ctx, uint64_t id, Coord& c) {
    if (!c.done) {
      if (c.write && c.acks >= p_.w) {
        c.done = true;
        answer(ctx, id, Outcome::Ok, 0, false);
      } else if (!c.write && c.replies >= p_.r) {
        c.done = true;
        const Version* v = newest(c.merged);
        answer(ctx, id, Outcome::Ok, v ? v->value : 0, c.merged.size() > 1);
      }
    }
    int heard = c.write ? c.acks : c.replies;
    if (c.done && heard >= c.expect) {
      if (!c.write) read_repair(ctx, c);
      end_coord(ctx, id);
    }
  }

  // The client's answer; the coordination may go on (hints, read repair) until the timeout.
  void answer(Context& ctx, uint64_t id, Outcome outcome, uint64_t value, bool siblings) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    bool set = it->second.timer_set;
    TimerId t = it->second.timer;
    it->second.timer_set = false;  // the coordination keeps its timer
    finish(ctx, id, outcome, value, siblings);
    if (set) coord_timers_[id] = t;
  }

  void end_coord(Context& ctx, uint64_t id) {
    coords_.erase(id);
    if (auto it = coord_timers_.find(id); it != coord_timers_.end()) {
      ctx.cancel_timer(it->second);
      coord_timers_.erase(it);
    }
  }

  void read_repair(Context& ctx, const Coord& c) {
    if (!p_.read_repair || c.merged.empty()) return;
    uint64_t best = cell_state(c.merged);
    for (int h : c.home) {
      size_t hi = static_cast<size_t>(h);
      if (!c.answered[hi] || c.states[hi] == best) continue;
      ++sh_.stats->read_repairs;
      if (h == idx_) {
        apply_local(ctx, c.key, c.merged, -1);
        continue;
      }
      auto m = std::make_shared<StoreMsg>();
      m->kind = StoreMsg::ApRepair;
      m->key = c.key;
      m->items.push_back(Item{c.key, 0, c.merged});
      send(ctx, h, m, p_.value_bytes * static_cast<double>(c.merged.size()) + 16);
    }
  }

  void store_hint(int target, uint64_t key, const Version& v) {
    if (hint_count_ >= static_cast<uint64_t>(p_.max_hints)) {
      ++sh_.stats->hints_dropped;
      return;
    }
    hints_[static_cast<size_t>(target)].push_back(Item{key, ++hint_id_, Cell{v}});
    ++hint_count_;
    ++sh_.stats->hints_stored;
  }

  // The coordination's time is up: replicas that did not answer get hints (writes); a client
  // still waiting gets what a sloppy quorum can give, or a failure.
  void coord_timeout(Context& ctx, uint64_t id) {
    coord_timers_.erase(id);
    auto it = coords_.find(id);
    if (it == coords_.end()) return;
    Coord& c = it->second;
    if (c.write) {
      int hinted = 0;
      for (int h : c.home)
        if (!c.answered[static_cast<size_t>(h)]) {
          if (p_.hinted_handoff) {
            store_hint(h, c.key, c.version);
            ++hinted;
          }
          c.answered[static_cast<size_t>(h)] = 2;
        }
      if (!c.done) {
        c.done = true;
        if (p_.sloppy && c.acks + hinted >= p_.w) {
          ++sh_.stats->sloppy_writes;
          answer(ctx, id, Outcome::Ok, 0, false);
        } else {
          // Replicas may have applied it without their answers arriving: the outcome is unknown.
          answer(ctx, id, Outcome::Unknown, 0, false);
        }
      }
    } else {
      if (!c.done) {
        c.done = true;
        if (p_.sloppy && c.replies >= 1) {
          ++sh_.stats->sloppy_reads;
          const Version* v = newest(c.merged);
          answer(ctx, id, Outcome::Ok, v ? v->value : 0, c.merged.size() > 1);
        } else {
          answer(ctx, id, Outcome::Fail, 0, false);
        }
      }
      read_repair(ctx, c);
    }
    coords_.erase(it);
  }

  void on_protocol(Context& ctx, int from, const StoreMsg& m) override {
    switch (m.kind) {
      case StoreMsg::ApWrite: {
        if (p_.log_sync > 0) {
          log_append(ctx, {m.key, m.items[0].versions, from, from, m.op});  // acknowledged once synced
          return;
        }
        apply_local(ctx, m.key, m.items[0].versions, from);
        auto r = std::make_shared<StoreMsg>();
        r->kind = StoreMsg::ApWriteAck;
        r->op = m.op;
        r->key = m.key;
        send(ctx, from, r, 0);
        return;
      }
      case StoreMsg::ApWriteAck: {
        auto it = coords_.find(m.op);
        if (it == coords_.end()) return;
        Coord& c = it->second;
        size_t fi = static_cast<size_t>(from);
        if (c.answered[fi]) return;
        c.answered[fi] = 1;
        ++c.acks;
        check_done(ctx, m.op, c);
        return;
      }
      case StoreMsg::ApRead: {
        auto r = std::make_shared<StoreMsg>();
        r->kind = StoreMsg::ApReadReply;
        r->op = m.op;
        r->key = m.key;
        auto sit = store_.find(m.key);
        Cell cell = sit == store_.end() ? Cell{} : sit->second;
        double bytes = p_.value_bytes * static_cast<double>(cell.size());
        r->items.push_back(Item{m.key, 0, std::move(cell)});
        send(ctx, from, r, bytes);
        return;
      }
      case StoreMsg::ApReadReply: {
        auto it = coords_.find(m.op);
        if (it == coords_.end()) return;
        Coord& c = it->second;
        size_t fi = static_cast<size_t>(from);
        if (c.answered[fi]) return;
        c.answered[fi] = 1;
        c.states[fi] = cell_state(m.items[0].versions);
        merge_quiet(c.merged, m.items[0].versions);
        ++c.replies;
        check_done(ctx, m.op, c);
        return;
      }
      case StoreMsg::ApRepair:
        apply_local(ctx, m.key, m.items[0].versions, from);
        return;
      case StoreMsg::ApSync: {
        for (const Item& it : m.items) apply_local(ctx, it.key, it.versions, from);
        auto r = std::make_shared<StoreMsg>();
        r->kind = StoreMsg::ApSyncAck;
        r->op = m.op;
        r->success = m.success;  // true: a hint batch
        r->items.reserve(m.items.size());
        for (const Item& it : m.items) r->items.push_back(Item{it.key, it.seq, {}});
        send(ctx, from, r, 16.0 * static_cast<double>(m.items.size()));
        return;
      }
      case StoreMsg::ApSyncAck: {
        size_t fi = static_cast<size_t>(from);
        if (m.success) {  // hints delivered: they left from the front of the queue, in order
          std::unordered_set<uint64_t> ids;
          for (const Item& it : m.items) ids.insert(it.seq);
          auto& q = hints_[fi];
          while (!q.empty() && ids.count(q.front().seq)) {
            q.pop_front();
            --hint_count_;
            ++sh_.stats->hints_delivered;
          }
          return;
        }
        auto& d = dirty_[fi];
        for (const Item& it : m.items)
          if (auto dit = d.find(it.key); dit != d.end() && dit->second == it.seq) d.erase(dit);
        return;
      }
      default:
        throw std::logic_error("replicated store (ap): a cp message");
    }
  }

  // Merging answers at the coordinator: no replica changes, nothing to report.
  void merge_quiet(Cell& cell, const Cell& incoming) {
    for (const Version& in : incoming) {
      if (!p_.siblings) {
        if (cell.empty()) cell.push_back(in);
        else if (in.ts > cell[0].ts || (in.ts == cell[0].ts && in.value > cell[0].value)) cell[0] = in;
        continue;
      }
      bool skip = false;
      for (const auto& v : cell)
        if (v.value == in.value || dominates(v.vv, in.vv)) skip = true;
      if (skip) continue;
      Cell kept;
      for (auto& v : cell)
        if (!dominates(in.vv, v.vv)) kept.push_back(std::move(v));
      kept.push_back(in);
      cell = std::move(kept);
    }
  }

  void on_bounce(Context& ctx, int from, const StoreMsg& m) override {
    size_t fi = static_cast<size_t>(from);
    if (m.kind == StoreMsg::ApWrite) {
      // The home replica is down: hand the write to a hint now, which a sloppy quorum counts.
      auto it = coords_.find(m.op);
      if (it == coords_.end()) return;
      Coord& c = it->second;
      if (c.answered[fi]) return;
      c.answered[fi] = 2;
      if (p_.hinted_handoff) {
        store_hint(from, m.key, c.version);
        if (p_.sloppy) ++c.acks;
      }
      check_done(ctx, m.op, c);
    }
  }

  void on_mode_timer(Context& ctx, TimerKind kind, uint64_t payload) override {
    switch (kind) {
      case kRequestTimeout:
        if (auto it = pending_.find(payload); it != pending_.end()) it->second.timer_set = false;
        coord_timeout(ctx, payload);
        return;
      case kLogSync:
        log_synced(ctx, payload);
        return;
      case kHints: {
        for (int p = 0; p < n_; ++p) {
          size_t pi = static_cast<size_t>(p);
          auto& q = hints_[pi];
          if (q.empty() || p == idx_) continue;
          // Undelivered hints go again every round: a batch whose answer was lost is sent again.
          auto m = std::make_shared<StoreMsg>();
          m->kind = StoreMsg::ApSync;
          m->success = true;
          size_t k = std::min<size_t>(q.size(), 1000);
          m->items.assign(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(k));
          send(ctx, p, m, static_cast<double>(k) * (p_.value_bytes + 24));
        }
        ctx.start_timer(p_.hint_retry, tag(kHints, 0));
        return;
      }
      case kAntiEntropy: {
        for (int p = 0; p < n_; ++p) {
          size_t pi = static_cast<size_t>(p);
          if (p == idx_ || dirty_[pi].empty()) continue;
          auto m = std::make_shared<StoreMsg>();
          m->kind = StoreMsg::ApSync;
          std::vector<std::pair<uint64_t, uint64_t>> keys(dirty_[pi].begin(), dirty_[pi].end());
          std::sort(keys.begin(), keys.end());  // deterministic order
          if (keys.size() > 10000) keys.resize(10000);
          for (const auto& [k, seq] : keys) m->items.push_back(Item{k, seq, store_[k]});
          ++sh_.stats->anti_entropy_rounds;
          sh_.stats->anti_entropy_keys += keys.size();
          send(ctx, p, m, static_cast<double>(keys.size()) * (p_.value_bytes + 24));
        }
        ctx.start_timer(p_.anti_entropy_interval, tag(kAntiEntropy, 0));
        return;
      }
      default:
        return;
    }
  }

  int nhome_ = 0;
  std::vector<LogWrite> log_waiting_, log_syncing_;  // the log disk: for the next sync, in the current one
  bool log_busy_ = false;
  uint64_t log_gen_ = 0;
  std::unordered_map<uint64_t, Cell> store_;
  std::unordered_map<uint64_t, Coord> coords_;
  std::unordered_map<uint64_t, TimerId> coord_timers_;
  std::vector<std::unordered_map<uint64_t, uint64_t>> dirty_;  // per peer: key -> update number
  std::vector<std::deque<Item>> hints_;                        // per target replica
  uint64_t hint_count_ = 0, update_seq_ = 0, hint_id_ = 0;
};

}  // namespace

std::unique_ptr<Node> make_store_replica(const ReplicatedStoreParams& params, int index, StoreShared shared, Rng rng) {
  if (params.consistency == StoreSpec::Consistency::Cp) return std::make_unique<CpReplica>(params, index, shared, rng);
  return std::make_unique<ApReplica>(params, index, shared, rng);
}

}  // namespace archsim
