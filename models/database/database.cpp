#include "models/database/database.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace archsim {

namespace {
// Timer tags: Station uses kinds 1-4 in the top byte; the replica's apply process and failover use these.
constexpr uint64_t kApplyTag = uint64_t(0x40) << 56;
constexpr uint64_t kDetectTag = uint64_t(0x41) << 56;
constexpr uint64_t kPromoteTag = uint64_t(0x42) << 56;
// The version a primary's on_crash puts on the message that stands for its replication
// connections resetting (a real version never gets this high).
constexpr uint64_t kStreamReset = ~uint64_t(0);
}  // namespace

Database::Database(Params params, ComponentStats* stats, Rng rng)
    : Station(params.station, stats, rng), p_(std::move(params)) {}

void Database::on_message(Context& ctx, MessagePtr msg) {
  if (!msg->is_response && msg->version == kStreamReset) {
    on_primary_lost(ctx);
    return;
  }
  // The replication stream (a write carrying its version) bypasses the connection pool.
  if (!msg->is_response && msg->version != 0) {
    // A synchronous write's acknowledgement carries where its time went here (the primary's
    // critical path): the hop in now, the wait and the apply when they are done.
    if (msg->call_id != 0) msg->path.push_back({ctx.self(), cause::kNetwork, ctx.now() - msg->sent_at});
    apply_queue_.push_back(std::move(msg));
    start_apply(ctx);
    return;
  }
  Station::on_message(ctx, std::move(msg));
}

void Database::on_timer(Context& ctx, uint64_t tag) {
  if (tag == kApplyTag) {
    finish_apply(ctx);
    return;
  }
  if (tag == kDetectTag) {
    on_detect(ctx);
    return;
  }
  if (tag == kPromoteTag) {
    promote(ctx);
    return;
  }
  Station::on_timer(ctx, tag);
}

void Database::on_condition(Context& ctx, const NodeCondition& c, bool active) {
  if (c.kind != NodeCondition::Kind::DiskFull) {
    Station::on_condition(ctx, c, active);
    return;
  }
  disk_full_ = active;
  disk_full_affected_ = active ? c.affected : nullptr;
}

void Database::step(Context& ctx, Job& job) {
  bool write = job.request->is_write;
  switch (job.phase) {
    case 0:
      if (write && disk_full_) {  // no space for the write: it fails before touching the disk
        ++stats().disk_full_rejections;
        if (disk_full_affected_) ++*disk_full_affected_;
        finish(ctx, job, Status::Failed);
        return;
      }
      stats().peak_connections = std::max(stats().peak_connections, busy_workers());
      if (write && failover() && (!is_primary() || p_.set->state != ReplicaSet::State::Normal)) {
        finish(ctx, job, Status::Failed);  // unavailable: this copy does not take writes (now)
        return;
      }
      if (!write && !is_primary()) check_read(ctx, job);
      job.phase = 1;
      run_io(ctx, job, (write ? p_.write_io : p_.read_io).sample(rng()));
      return;
    case 1:
      job.phase = 2;
      run_cpu(ctx, job,
              (write ? p_.write_cpu : p_.read_cpu).sample(rng()) + p_.connection_cpu * static_cast<double>(busy_workers()));
      return;
    case 2:
      if (write && is_primary() && p_.set) {
        uint64_t version = ++p_.set->last_version;
        if (failover()) {  // on the primary's own disk, acknowledged or not
          p_.set->applied[p_.member] = p_.set->applying[p_.member] = version;
          applied_[job.request->key] = version;
        }
        if (p_.sync && has_replicas()) {
          job.phase = 3;
          job.next_call = version;  // remembered until the acknowledgements are in
          replicate(ctx, job, version, true);
          if (job.pending > 0) return;  // else no replica is up to wait for
          job.phase = 2;
        }
        commit(job.request->key, version, ctx.now());
        acknowledged(ctx, job.request->key, version);
        if (!(p_.sync && has_replicas())) replicate(ctx, job, version, false);
      }
      finish(ctx, job, Status::Ok);
      return;
    default:  // sync: every replica has applied the write
      if (job.status == Status::Ok) {
        commit(job.request->key, job.next_call, ctx.now());
        acknowledged(ctx, job.request->key, job.next_call);
      }
      finish(ctx, job, job.status);
  }
}

void Database::replicate(Context& ctx, Job& job, uint64_t version, bool wait) {
  const Message& req = *job.request;
  std::vector<NodeId> live;
  if (failover()) {  // the shard's other copies that are up, whoever is primary now
    for (size_t k = 0; k < p_.set->members.size(); ++k)
      if (k != p_.member && p_.set->up[k]) live.push_back(p_.set->ids[k]);
  }
  for (NodeId to : failover() ? live : p_.replicas) {
    auto m = std::make_unique<Message>();
    m->type = req.type;
    m->is_write = true;
    m->request_id = req.request_id;
    m->key = req.key;
    m->version = version;
    m->request_bytes = req.request_bytes;
    m->response_bytes = 0;  // the acknowledgement
    m->call_id = wait ? job.id : 0;
    if (wait) {
      ++job.pending;
      job.phase_at = ctx.now();  // the wait for the acknowledgements starts here, after the primary's own work
      job.phase_cause = cause::kDownstream;
    }
    ctx.send(to, std::move(m));
  }
}

void Database::commit(uint64_t key, uint64_t version, double at) {
  ReplicaSet::Committed& c = p_.set->committed[key];
  if (version > c.version) c = {version, at};
}

void Database::check_read(Context& ctx, Job& job) {
  if (!p_.set || !job.measured) return;
  ++stats().replica_reads;
  uint64_t key = job.request->key;
  auto it = p_.set->committed.find(key);
  if (it == p_.set->committed.end()) return;
  auto have = applied_.find(key);
  if (have != applied_.end() && have->second >= it->second.version) return;
  ++stats().stale_reads;
  stats().staleness.record(ctx.now() - it->second.at);
  if (it->second.at <= job.request->sent_at) ++stats().ryw_violations;
}

void Database::start_apply(Context& ctx) {
  if (applying_ || apply_queue_.empty()) return;
  if (failover()) {
    // Only the current primary's stream, and only while it is up: the writes a crashed primary had
    // not handed over yet died in its send buffer.
    const ReplicaSet& s = *p_.set;
    auto live = [&](const Message& m) { return s.state == ReplicaSet::State::Normal && m.from == s.ids[s.primary]; };
    while (!apply_queue_.empty() && !live(*apply_queue_.front())) apply_queue_.pop_front();
    if (apply_queue_.empty()) return;
    p_.set->applying[p_.member] = std::max(p_.set->applying[p_.member], apply_queue_.front()->version);
  }
  applying_ = true;
  apply_started_ = ctx.now();
  Message& next = *apply_queue_.front();
  if (next.call_id != 0 && !next.path.empty()) {
    double waited = ctx.now() - (next.sent_at + next.path.back().seconds);
    if (waited > 0) next.path.push_back({ctx.self(), cause::kQueue, waited});
  }
  double t = p_.apply ? p_.apply->sample(rng()) : p_.write_cpu.sample(rng());
  ctx.start_timer(std::max(t, 0.0), kApplyTag);
}

void Database::finish_apply(Context& ctx) {
  applying_ = false;
  if (apply_queue_.empty()) return;
  MessagePtr m = std::move(apply_queue_.front());
  apply_queue_.pop_front();
  uint64_t& have = applied_[m->key];
  have = std::max(have, m->version);
  if (failover()) {
    p_.set->applied[p_.member] = std::max(p_.set->applied[p_.member], m->version);
    trim_unreplicated();
  }
  if (stats().in_window(m->sent_at)) {
    ++stats().writes_replicated;
    stats().replication_lag.record(ctx.now() - m->sent_at);
  }
  if (m->call_id != 0) {
    if (ctx.now() > apply_started_) m->path.push_back({ctx.self(), cause::kCpu, ctx.now() - apply_started_});
    m->is_response = true;
    m->status = Status::Ok;
    NodeId to = m->from;
    ctx.send(to, std::move(m));
  }
  start_apply(ctx);
}

void Database::acknowledged(Context& ctx, uint64_t key, uint64_t version) {
  (void)key;
  if (!failover()) return;
  FailoverRecord* r = open_record();
  if (r && r->rto < 0) {
    r->rto = ctx.now() - r->crashed_at;
    p_.set->open_record = -1;
  }
  ReplicaSet& s = *p_.set;
  bool any_live = false;
  for (size_t k = 0; k < s.members.size(); ++k) any_live |= k != p_.member && s.up[k];
  // With no live replica a write cannot be lost to a promotion: a replica that comes back catches up.
  if (any_live && version > 0) {
    s.unreplicated[version] = ctx.now();
    trim_unreplicated();
  }
}

void Database::trim_unreplicated() {
  ReplicaSet& s = *p_.set;
  uint64_t low = UINT64_MAX;
  for (size_t k = 0; k < s.members.size(); ++k)
    if (k != s.primary && s.up[k]) low = std::min(low, s.applied[k]);
  if (low == UINT64_MAX) {
    s.unreplicated.clear();
    return;
  }
  while (!s.unreplicated.empty() && s.unreplicated.begin()->first <= low) s.unreplicated.erase(s.unreplicated.begin());
}

FailoverRecord* Database::open_record() {
  if (!p_.failover_stats || p_.set->open_record < 0) return nullptr;
  return &p_.failover_stats->records[static_cast<size_t>(p_.set->open_record)];
}

void Database::on_crash(Context& ctx) {
  Station::on_crash(ctx);
  if (!failover()) return;
  ReplicaSet& s = *p_.set;
  // What this node held in memory is gone: its replication backlog, and any apply in progress.
  // A sync write waiting for it is told the connection broke.
  for (auto& m : apply_queue_) {
    if (m->call_id == 0) continue;
    m->is_response = true;
    m->status = Status::Failed;
    NodeId to = m->from;
    ctx.send(to, std::move(m));
  }
  apply_queue_.clear();
  applying_ = false;
  s.up[p_.member] = 0;
  s.armed[p_.member] = 0;
  s.applying[p_.member] = s.applied[p_.member];
  if (s.primary != p_.member || s.state != ReplicaSet::State::Normal) return;
  s.state = ReplicaSet::State::Down;
  FailoverRecord rec;
  rec.shard = s.shard;
  rec.crashed_at = ctx.now();
  uint64_t best = 0;
  for (size_t k = 0; k < s.members.size(); ++k)
    if (k != p_.member && s.up[k]) best = std::max(best, s.applying[k]);
  for (auto it = s.unreplicated.upper_bound(best); it != s.unreplicated.end(); ++it) ++rec.unreplicated_at_crash;
  p_.failover_stats->records.push_back(rec);
  s.open_record = static_cast<int64_t>(p_.failover_stats->records.size() - 1);
  if (p_.failover != FailoverMode::Hot) return;  // a cold standby waits for the operator
  for (size_t k = 0; k < s.members.size(); ++k) {
    if (k == p_.member || !s.up[k]) continue;
    auto m = std::make_unique<Message>();  // the replication connection resets
    m->version = kStreamReset;
    ctx.send(s.ids[k], std::move(m));
  }
}

void Database::on_recover(Context& ctx) {
  Station::on_recover(ctx);
  if (!failover()) return;
  ReplicaSet& s = *p_.set;
  s.up[p_.member] = 1;
  if (s.primary == p_.member && s.state == ReplicaSet::State::Down) {
    // Back before any replica was chosen (a restart, or a cold standby's restore): still the
    // primary, with what it had on disk; the replicas fetch what they missed.
    s.state = ReplicaSet::State::Normal;
    if (FailoverRecord* r = open_record()) {
      r->promoted_at = ctx.now();
      r->new_primary = static_cast<int64_t>(replica_index());
    }
    for (size_t k = 0; k < s.members.size(); ++k) {
      s.armed[k] = 0;
      if (k != p_.member && s.up[k]) s.members[k]->catch_up();
    }
    return;
  }
  // A replica, or the old primary after (or while) another was chosen: it follows the current
  // primary once there is one up; until then it keeps what it had on disk.
  if (s.state == ReplicaSet::State::Normal && s.up[s.primary]) catch_up();
}

void Database::catch_up() {
  ReplicaSet& s = *p_.set;
  s.view->out[static_cast<size_t>(s.shard) * s.members.size() + p_.member] = 0;
  applied_.clear();
  for (const auto& [key, c] : s.committed) applied_[key] = c.version;
  s.applied[p_.member] = s.applying[p_.member] = s.last_version;
  trim_unreplicated();
}

void Database::on_primary_lost(Context& ctx) {
  ReplicaSet& s = *p_.set;
  if (!failover() || s.state != ReplicaSet::State::Down) return;
  s.armed[p_.member] = 1;
  const FailoverRecord* r = open_record();
  double at = (r ? r->crashed_at : ctx.now()) + p_.detect_after;
  ctx.start_timer(std::max(0.0, at - ctx.now()), kDetectTag);
}

void Database::on_detect(Context& ctx) {
  ReplicaSet& s = *p_.set;
  if (s.state == ReplicaSet::State::Down) {
    // The first replica whose detector fires chooses for the shard: the live one that has applied
    // the most (the lowest place among equals).
    int64_t best = -1;
    for (size_t k = 0; k < s.members.size(); ++k) {
      if (k == s.primary || !s.up[k] || !s.armed[k]) continue;
      if (best < 0 || s.applied[k] > s.applied[static_cast<size_t>(best)]) best = static_cast<int64_t>(k);
    }
    if (best < 0) return;
    s.state = ReplicaSet::State::Promoting;
    s.chosen = static_cast<size_t>(best);
    if (FailoverRecord* rec = open_record()) rec->detected_at = ctx.now();
  }
  if (s.state == ReplicaSet::State::Promoting && s.chosen == p_.member) ctx.start_timer(p_.promote_time, kPromoteTag);
}

void Database::promote(Context& ctx) {
  ReplicaSet& s = *p_.set;
  if (s.state != ReplicaSet::State::Promoting || s.chosen != p_.member) return;
  uint64_t have = s.applied[p_.member];
  FailoverRecord* rec = open_record();
  // The RPO: acknowledged writes this replica never applied are gone for good.
  for (auto it = s.unreplicated.upper_bound(have); it != s.unreplicated.end(); it = s.unreplicated.erase(it)) {
    if (!rec) continue;
    if (rec->lost_writes++ == 0) rec->lost_oldest_at = it->second;
    rec->lost_newest_at = it->second;
  }
  // The shard's committed history is now this replica's.
  for (auto it = s.committed.begin(); it != s.committed.end();) {
    if (it->second.version <= have) {
      ++it;
      continue;
    }
    uint64_t mine = applied_version(it->first);
    if (mine == 0) {
      it = s.committed.erase(it);
    } else {
      it->second = {mine, it->second.at};
      ++it;
    }
  }
  size_t old = s.primary;
  s.primary = p_.member;
  size_t base = static_cast<size_t>(s.shard) * s.members.size();
  s.view->primary[static_cast<size_t>(s.shard)] = static_cast<uint32_t>(p_.member);
  if (!s.up[old]) s.view->out[base + old] = 1;  // no reads for it until it has rejoined
  s.state = ReplicaSet::State::Normal;
  if (rec) {
    rec->promoted_at = ctx.now();
    rec->new_primary = static_cast<int64_t>(replica_index());
  }
  for (size_t k = 0; k < s.members.size(); ++k) {
    s.armed[k] = 0;
    if (k != p_.member && s.up[k]) s.members[k]->catch_up();
  }
}

const char* to_string(ReadsFrom r) {
  switch (r) {
    case ReadsFrom::Primary:
      return "primary";
    case ReadsFrom::Replicas:
      return "replicas";
    case ReadsFrom::Any:
      return "any";
  }
  return "?";
}

const char* to_string(ReplicationMode m) { return m == ReplicationMode::Sync ? "sync" : "async"; }

const char* to_string(FailoverMode m) {
  return m == FailoverMode::Hot ? "auto" : m == FailoverMode::Manual ? "manual" : "none";
}

void check_failover_invariants(const std::string& db, const FailoverStats& f) {
  if (!f.sync) return;
  for (const auto& rec : f.records)
    if (rec.lost_writes > 0)
      throw std::runtime_error(fmt::format(
          "invariant broken: database '{}' (synchronous replication) lost {} acknowledged writes when shard {} "
          "failed over after the crash at {:.6f} s; a sync write must be on every live replica before it is "
          "acknowledged",
          db, rec.lost_writes, rec.shard, rec.crashed_at));
}

}  // namespace archsim
