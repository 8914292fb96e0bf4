#include "models/station.hpp"

#include <cassert>

namespace archsim {

namespace {
constexpr uint64_t kKindShift = 56;
constexpr uint64_t kIdMask = (uint64_t(1) << kKindShift) - 1;
constexpr uint64_t kDelay = 1, kCpu = 2, kDisk = 3;
}  // namespace

Station::Station(const StationParams& params, ComponentStats* stats, Rng rng)
    : params_(params), stats_(stats), rng_(rng), cpu_(params.cores), disk_(params.io_parallelism > 0 ? params.io_parallelism : 1) {}

void Station::on_message(Context& ctx, MessagePtr msg) {
  if (!msg->is_response) {
    admit(ctx, std::move(msg));
    return;
  }
  auto it = jobs_.find(msg->call_id);
  assert((it != jobs_.end() || crashed_) && "a response for a job this station does not hold");
  if (it == jobs_.end()) return;
  Job& job = it->second;
  if (msg->status != Status::Ok && job.status == Status::Ok) job.status = msg->status;
  if (msg->cache_miss) job.cache_miss = true;
  if (--job.pending == 0) step(ctx, job);
}

void Station::admit(Context& ctx, MessagePtr msg) {
  double t = ctx.now();
  bool measured = stats_->in_window(t);
  if (measured) ++stats_->arrivals;
  if (measured && replica_index_ < stats_->replica_arrivals.size()) ++stats_->replica_arrivals[replica_index_];
  bool worker_free = params_.workers < 0 || busy_workers_ < params_.workers;
  bool queue_room = params_.queue < 0 || static_cast<int64_t>(waiting_.size()) < params_.queue;
  if (!worker_free && !queue_room) {
    if (measured) ++stats_->rejected;
    stats_->series.record(t, 0, false);
    msg->is_response = true;
    msg->status = Status::Rejected;
    NodeId to = msg->from;
    ctx.send(to, std::move(msg));
    return;
  }
  uint64_t id = next_job_++;
  Job& job = jobs_[id];
  job.id = id;
  job.request = std::move(msg);
  job.arrived = t;
  job.measured = measured;
  stats_->in_system.add(t, 1);
  if (worker_free) {
    start(ctx, job);
  } else {
    waiting_.push_back(id);
    stats_->queue_len.add(t, 1);
  }
}

void Station::start(Context& ctx, Job& job) {
  double t = ctx.now();
  ++busy_workers_;
  stats_->busy_workers.add(t, 1);
  job.started = t;
  if (job.measured) {
    stats_->wait_sum += t - job.arrived;
    ++stats_->wait_count;
  }
  step(ctx, job);
}

void Station::finish(Context& ctx, Job& job, Status status) {
  double t = ctx.now();
  double residence = t - job.arrived;
  bool ok = status == Status::Ok;
  if (job.measured) {
    if (ok) {
      ++stats_->completed;
      stats_->residence.record(residence);
    } else {
      ++stats_->failed;
    }
  }
  stats_->series.record(t, residence, ok);
  stats_->in_system.add(t, -1);
  stats_->busy_workers.add(t, -1);
  --busy_workers_;
  MessagePtr resp = std::move(job.request);
  resp->is_response = true;
  resp->status = status;
  NodeId to = resp->from;
  jobs_.erase(job.id);
  ctx.send(to, std::move(resp));
  if (!waiting_.empty()) {
    uint64_t next = waiting_.front();
    waiting_.pop_front();
    stats_->queue_len.add(t, -1);
    start(ctx, jobs_.at(next));
  }
}

void Station::run_delay(Context& ctx, Job& job, double seconds) {
  if (seconds <= 0) {
    step(ctx, job);
    return;
  }
  ctx.start_timer(seconds, (kDelay << kKindShift) | job.id);
}

void Station::run_cpu(Context& ctx, Job& job, double seconds) {
  if (seconds <= 0) {
    step(ctx, job);
    return;
  }
  double before = cpu_.busy();
  cpu_.add(ctx.now(), job.id, seconds);
  stats_->busy_cores.add(ctx.now(), cpu_.busy() - before);
  note_replica_busy(false, ctx.now(), cpu_.busy() - before);
  if (job.measured) stats_->cpu_time_sum += seconds;

  reschedule_ps(ctx, false);
}

void Station::run_io(Context& ctx, Job& job, double seconds) {
  if (seconds <= 0 || params_.io_parallelism <= 0) {
    step(ctx, job);
    return;
  }
  double before = disk_.busy();
  disk_.add(ctx.now(), job.id, seconds);
  stats_->busy_io.add(ctx.now(), disk_.busy() - before);
  note_replica_busy(true, ctx.now(), disk_.busy() - before);
  if (job.measured) stats_->io_time_sum += seconds;

  reschedule_ps(ctx, true);
}

void Station::reschedule_ps(Context& ctx, bool disk) {
  ProcessorSharing& ps = disk ? disk_ : cpu_;
  TimerId& timer = disk ? disk_timer_ : cpu_timer_;
  double& at = disk ? disk_timer_at_ : cpu_timer_at_;
  double next = ps.next_completion();
  if (timer != 0 && next == at) return;
  if (timer != 0) ctx.cancel_timer(timer);
  timer = 0;
  at = -1;
  if (ps.active() == 0) return;
  at = next;
  double delay = next - ctx.now();
  timer = ctx.start_timer(delay > 0 ? delay : 0, (disk ? kDisk : kCpu) << kKindShift);
}

void Station::complete_ps(Context& ctx, bool disk) {
  ProcessorSharing& ps = disk ? disk_ : cpu_;
  (disk ? disk_timer_ : cpu_timer_) = 0;
  (disk ? disk_timer_at_ : cpu_timer_at_) = -1;
  double before = ps.busy();
  done_.clear();
  ps.pop_completed(ctx.now(), &done_);
  (disk ? stats_->busy_io : stats_->busy_cores).add(ctx.now(), ps.busy() - before);
  note_replica_busy(disk, ctx.now(), ps.busy() - before);
  reschedule_ps(ctx, disk);
  std::vector<uint64_t> finished;
  finished.swap(done_);
  for (uint64_t id : finished) {
    auto it = jobs_.find(id);
    if (it != jobs_.end()) step(ctx, it->second);
  }
}

void Station::on_timer(Context& ctx, uint64_t tag) {
  uint64_t kind = tag >> kKindShift;
  if (kind == kCpu) {
    complete_ps(ctx, false);
  } else if (kind == kDisk) {
    complete_ps(ctx, true);
  } else {
    auto it = jobs_.find(tag & kIdMask);
    if (it != jobs_.end()) step(ctx, it->second);
  }
}

NodeId route_sharded(const CallTarget& t, uint64_t key, bool write, uint64_t& rr) {
  size_t n = t.replicas.size();
  size_t group = static_cast<size_t>(t.group);
  size_t shard = t.shard_map ? t.shard_map->shard_of(key) : mix64(key) % (n / group);
  size_t base = shard * group;
  if (write || group == 1 || t.reads == CallTarget::ReadRoute::Primary) return t.replicas[base];
  if (t.reads == CallTarget::ReadRoute::Replicas) return t.replicas[base + 1 + rr++ % (group - 1)];
  return t.replicas[base + rr++ % group];
}

NodeId Station::pick(const CallTarget& t, uint64_t key, bool write) {
  size_t n = t.replicas.size();
  if (n == 1) return t.replicas[0];
  if (t.sharded()) return route_sharded(t, key, write, round_robin_);
  if (t.ring) return t.replicas[t.ring->owner(key)];
  if (t.by_key) return t.replicas[mix64(key) % n];
  return t.replicas[round_robin_++ % n];
}

void Station::call(Context& ctx, Job& job, const ResolvedCall& c, uint8_t cache_op) {
  const Message& req = *job.request;
  auto send_to = [&](NodeId to) {
    auto m = std::make_unique<Message>();
    m->type = req.type;
    m->is_write = req.is_write;
    m->request_id = req.request_id;
    m->key = req.key;
    m->origin = req.origin;
    m->request_bytes = req.request_bytes;
    m->response_bytes = req.response_bytes;
    m->call_id = job.id;
    m->cache_op = cache_op;
    ++job.pending;
    ctx.send(to, std::move(m));
  };
  switch (c.shape) {
    case ResolvedCall::Shape::Single:
      send_to(pick(c.targets[0], req.key, req.is_write));
      break;
    case ResolvedCall::Shape::Parallel:
      for (const auto& t : c.targets) send_to(pick(t, req.key, req.is_write));
      break;
    case ResolvedCall::Shape::Fanout: {
      const auto& reps = c.targets[0].replicas;
      size_t n = c.fanout < 0 ? reps.size() : static_cast<size_t>(c.fanout);
      size_t first = n == reps.size() ? 0 : static_cast<size_t>(rng_.below(reps.size()));
      for (size_t i = 0; i < n; ++i) send_to(reps[(first + i) % reps.size()]);
      break;
    }
  }
}

void Station::on_end(Context& ctx) {
  stats_->close(ctx.now());
  note_replica_busy(false, ctx.now(), 0);
  note_replica_busy(true, ctx.now(), 0);
}

void Station::note_replica_busy(bool disk, double t, double delta) {
  auto& v = disk ? stats_->replica_busy_io : stats_->replica_busy_cores;
  if (replica_index_ < v.size()) v[replica_index_].add(t, delta);
}

}  // namespace archsim

namespace archsim {

void Station::on_crash(Context& ctx) {
  double t = ctx.now();
  for (auto& [id, job] : jobs_) {
    if (job.measured) ++stats_->failed;
    if (!job.request) continue;
    MessagePtr reset = std::move(job.request);  // the caller's connection breaks
    reset->is_response = true;
    reset->status = Status::Failed;
    NodeId to = reset->from;
    ctx.send(to, std::move(reset));
  }
  stats_->in_system.add(t, -static_cast<double>(jobs_.size()));
  stats_->busy_workers.add(t, -static_cast<double>(busy_workers_));
  stats_->queue_len.add(t, -static_cast<double>(waiting_.size()));
  stats_->busy_cores.add(t, -cpu_.busy());
  stats_->busy_io.add(t, -disk_.busy());
  jobs_.clear();
  waiting_.clear();
  busy_workers_ = 0;
  cpu_ = ProcessorSharing(params_.cores);
  disk_ = ProcessorSharing(params_.io_parallelism > 0 ? params_.io_parallelism : 1);
  cpu_timer_ = disk_timer_ = 0;  // the engine drops the crashed incarnation's timers
  cpu_timer_at_ = disk_timer_at_ = -1;
  crashed_ = true;
}

}  // namespace archsim
