#include "models/database.hpp"

#include <algorithm>

namespace archsim {

namespace {
// Timer tags: Station uses kinds 1-3 in the top byte; the replica's apply process uses this one.
constexpr uint64_t kApplyTag = uint64_t(0x40) << 56;
}  // namespace

Database::Database(Params params, ComponentStats* stats, Rng rng)
    : Station(params.station, stats, rng), p_(std::move(params)) {}

void Database::on_message(Context& ctx, MessagePtr msg) {
  // The replication stream (a write carrying its version) bypasses the connection pool.
  if (!msg->is_response && msg->version != 0) {
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
      if (!write && !p_.primary) check_read(ctx, job);
      job.phase = 1;
      run_io(ctx, job, (write ? p_.write_io : p_.read_io).sample(rng()));
      return;
    case 1:
      job.phase = 2;
      run_cpu(ctx, job,
              (write ? p_.write_cpu : p_.read_cpu).sample(rng()) + p_.connection_cpu * static_cast<double>(busy_workers()));
      return;
    case 2:
      if (write && p_.primary && p_.set) {
        uint64_t version = ++p_.set->last_version;
        if (p_.sync && !p_.replicas.empty()) {
          job.phase = 3;
          job.next_call = version;  // remembered until the acknowledgements are in
          replicate(ctx, job, version, true);
          return;
        }
        commit(job.request->key, version, ctx.now());
        replicate(ctx, job, version, false);
      }
      finish(ctx, job, Status::Ok);
      return;
    default:  // sync: every replica has applied the write
      commit(job.request->key, job.next_call, ctx.now());
      finish(ctx, job, job.status);
  }
}

void Database::replicate(Context& ctx, Job& job, uint64_t version, bool wait) {
  const Message& req = *job.request;
  for (NodeId to : p_.replicas) {
    auto m = std::make_unique<Message>();
    m->type = req.type;
    m->is_write = true;
    m->request_id = req.request_id;
    m->key = req.key;
    m->version = version;
    m->request_bytes = req.request_bytes;
    m->response_bytes = 0;  // the acknowledgement
    m->call_id = wait ? job.id : 0;
    if (wait) ++job.pending;
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
  applying_ = true;
  double t = p_.apply ? p_.apply->sample(rng()) : p_.write_cpu.sample(rng());
  ctx.start_timer(std::max(t, 0.0), kApplyTag);
}

void Database::finish_apply(Context& ctx) {
  applying_ = false;
  MessagePtr m = std::move(apply_queue_.front());
  apply_queue_.pop_front();
  uint64_t& have = applied_[m->key];
  have = std::max(have, m->version);
  if (stats().in_window(m->sent_at)) {
    ++stats().writes_replicated;
    stats().replication_lag.record(ctx.now() - m->sent_at);
  }
  if (m->call_id != 0) {
    m->is_response = true;
    m->status = Status::Ok;
    NodeId to = m->from;
    ctx.send(to, std::move(m));
  }
  start_apply(ctx);
}

}  // namespace archsim
