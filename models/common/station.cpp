#include "models/common/station.hpp"

#include <algorithm>
#include <cassert>
#include <new>

#include <boost/container/small_vector.hpp>

#include "sim/support/critical_path.hpp"

namespace archsim {

namespace {

// A call on behalf of `req`: the same request type, key, sizes and origin, under the caller's handle.
MessagePtr downstream_request(const Message& req, uint64_t call_id) {
  auto m = std::make_unique<Message>();
  m->type = req.type;
  m->is_write = req.is_write;
  m->request_id = req.request_id;
  m->key = req.key;
  m->origin = req.origin;
  m->request_bytes = req.request_bytes;
  m->response_bytes = req.response_bytes;
  m->call_id = call_id;
  return m;
}

constexpr uint64_t kKindShift = 56;
constexpr uint64_t kIdMask = (uint64_t(1) << kKindShift) - 1;
constexpr uint64_t kDelay = 1, kCpu = 2, kDisk = 3, kHedge = 4, kCallTimeout = 5, kRetry = 6, kIdemLookup = 7;
// A downstream call's handle: the job, the slot within the call (fan-out position) and the call's
// generation, so that an answer to an earlier call of the same job is recognized as late.
constexpr uint64_t kSlotShift = 40, kGenShift = 60;
constexpr uint64_t kJobMask = (uint64_t(1) << kSlotShift) - 1;
constexpr uint64_t kSlotMask = (uint64_t(1) << (kGenShift - kSlotShift)) - 1;
constexpr uint64_t kGenMask = 0xF;
constexpr uint64_t kHedgeSamples = 100;  // answers seen before a quantile-based hedge starts
}  // namespace

Station::Station(const StationParams& params, ComponentStats* stats, Rng rng)
    : params_(params), stats_(stats), rng_(rng), cpu_(params.cores), disk_(params.io_parallelism > 0 ? params.io_parallelism : 1) {}

Station::Job& Station::new_job(uint64_t id) {
  if (free_jobs_.empty()) {
    job_store_.push_back(std::make_unique<Job>());
    free_jobs_.push_back(job_store_.back().get());
  }
  Job* job = free_jobs_.back();
  free_jobs_.pop_back();
  job->id = id;
  jobs_.insert(id) = job;
  return *job;
}

void Station::drop_job(Job& job) {
  jobs_.erase(job.id);
  job.~Job();  // a fresh Job in the same place: cheaper than assigning one
  new (&job) Job();
  free_jobs_.push_back(&job);
}

void Station::on_message(Context& ctx, MessagePtr msg) {
  if (msg->cancel) {
    on_cancel(ctx, *msg);
    return;
  }
  if (!msg->is_response) {
    admit(ctx, std::move(msg));
    return;
  }
  on_answer(ctx, std::move(msg));
}

void Station::on_answer(Context& ctx, MessagePtr msg) {
  double t = ctx.now();
  uint64_t cid = msg->call_id;
  Job* found = find_job(cid & kJobMask);
  if (!found) {  // the job went on without this answer (partial results, a hedge's loser)
    if (stats_->in_window(t)) ++stats_->late_answers;
    return;
  }
  Job& job = *found;
  size_t slot = static_cast<size_t>((cid >> kSlotShift) & kSlotMask);
  if (((cid >> kGenShift) & kGenMask) != (job.call_gen & kGenMask) || job.pending <= 0 ||
      (!job.slot_done.empty() && job.slot_done[slot])) {
    if (job.measured) ++stats_->late_answers;
    return;
  }
  if (!job.slot_done.empty()) {
    job.slot_done[slot] = 1;
    if (job.hedge_call && job.hedge_call->hedge_quantile > 0) {
      HedgeTracker& tr = hedge_trackers_[job.hedge_call];
      tr.answers.record(t - job.phase_at);
      if (++tr.since_update >= kHedgeSamples) {
        tr.since_update = 0;
        tr.delay = tr.answers.quantile(job.hedge_call->hedge_quantile);
      }
    }
  }
  if (job.guarded) {
    const ResolvedCall& c = *job.guarded;
    if (job.call_timer) ctx.cancel_timer(job.call_timer);
    job.call_timer = 0;
    bool ok = msg->status == Status::Ok;
    EdgeRuntime& er = edge_runtime(c);
    if (er.breaker) {
      er.breaker->record(t, ok, job.probe);
      note_breaker(c, er);
    }
    if (!ok) {
      job.pending = 0;
      ++job.call_gen;  // the attempt is over
      retry_or_fail(ctx, job, msg->status);
      return;
    }
    if (er.stale) er.stale->store(job.request->key);
    job.guarded = nullptr;  // a success: the answer goes on as any other
  }
  if (msg->status != Status::Ok && job.status == Status::Ok) job.status = msg->status;
  if (msg->cache_miss) job.cache_miss = true;
  if (--job.pending > 0) return;
  // The answer the job waited for last: its subtree is the critical path of this call.
  double hop = t - msg->sent_at;
  double sum = hop;
  for (const auto& e : msg->path) sum += e.seconds;
  job.path.insert(job.path.end(), msg->path.begin(), msg->path.end());
  if (hop > 0) job.path.push_back({msg->from, cause::kNetwork, hop});
  double rest = (t - job.phase_at) - sum;
  if (rest > 1e-12) job.path.push_back({ctx.self(), cause::kDownstream, rest});
  if (job.hedge_timer) ctx.cancel_timer(job.hedge_timer);
  job.hedge_timer = 0;
  job.hedge_call = nullptr;
  job.slot_done.clear();
  job.slot_target.clear();
  ++job.call_gen;  // answers still on their way are late from now on
  step(ctx, job);
}

void Station::on_cancel(Context& ctx, const Message& cancel) {
  // Only a copy still waiting for a worker is dropped; one already started runs to its end.
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    Job* jt = find_job(*it);
    if (!jt) continue;
    const Message& req = *jt->request;
    if (req.from != cancel.tie_peer || req.call_id != cancel.call_id) continue;
    double t = ctx.now();
    if (jt->measured) {
      ++stats_->tied_cancelled;
      --stats_->arrivals;  // it never was served: the other copy is the request
    }
    stats_->queue_len.add(t, -1);
    stats_->in_system.add(t, -1);
    waiting_.erase(it);
    drop_job(*jt);
    return;
  }
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
    answer(ctx, std::move(msg), Status::Rejected);
    return;
  }
  uint64_t id = next_job_++;
  Job& job = new_job(id);
  job.request = std::move(msg);
  job.arrived = t;
  job.measured = measured;
  if (t > job.request->sent_at) job.path.push_back({ctx.self(), cause::kNetwork, t - job.request->sent_at});
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
  if (t > job.arrived) job.path.push_back({ctx.self(), cause::kQueue, t - job.arrived});
  if (job.request->tied) {
    auto c = std::make_unique<Message>();
    c->cancel = true;
    c->tie_peer = job.request->from;
    c->call_id = job.request->call_id;
    c->request_id = job.request->request_id;
    ctx.send(job.request->tie_peer, std::move(c));
  }
  if (job.measured) {
    stats_->wait_sum += t - job.arrived;
    ++stats_->wait_count;
  }
  // A slow window (sim/topology/faults.hpp) first holds the worker for its added latency; then the
  // idempotency key store is read, if the write carries a key; then the request's own steps.
  double slow_wait = 0;
  if (slow_.factor != 1 || slow_.latency > 0) {
    if (slow_.affected) ++*slow_.affected;
    slow_wait = slow_.latency;
  }
  const Message& req = *job.request;
  if (ledger_ && req.op != 0 && req.is_write && req.idempotent) {
    job.phase_at = t;
    job.phase_cause = cause::kDelay;
    ctx.start_timer(slow_wait + ledger_->lookup_seconds(), (kIdemLookup << kKindShift) | job.id);
    return;
  }
  if (slow_wait > 0) {
    wait(ctx, job, slow_wait);  // then step() as usual: the job's phase has not moved
    return;
  }
  step(ctx, job);
}

void Station::on_idempotency_lookup(Context& ctx, Job& job) {
  const Message& req = *job.request;
  if (ledger_->seen_or_reserve(ctx.now(), {req.request_id, req.op})) {
    // Applied before (or being applied by an earlier attempt): answer without applying again.
    job.idem_replay = true;
    if (job.measured) ++stats_->idempotent_replays;
    double d = ctx.now() - job.phase_at;
    if (d > 0) job.path.push_back({ctx.self(), cause::kDelay, d});
    finish(ctx, job, Status::Ok);
    return;
  }
  job.idem_reserved = true;
  resume(ctx, job);
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
  const Message& req = *job.request;
  if (ledger_ && req.op != 0 && req.is_write && !job.idem_replay) {
    WriteLedger::Key key{req.request_id, req.op};
    if (ok) {
      bool again = ledger_->applied(t, key);
      if (job.measured) {
        ++stats_->writes_applied;
        if (again) ++stats_->duplicate_applies;
      }
    } else if (job.idem_reserved) {
      ledger_->release(key);
    }
  }
  if (job.call_timer) ctx.cancel_timer(job.call_timer);
  stats_->series.record(t, residence, ok);
  stats_->in_system.add(t, -1);
  stats_->busy_workers.add(t, -1);
  --busy_workers_;
  MessagePtr resp = std::move(job.request);
  resp->is_response = true;
  resp->status = status;
  resp->path = std::move(job.path);
  if (job.hedge_timer) ctx.cancel_timer(job.hedge_timer);
  NodeId to = resp->from;
  drop_job(job);
  ctx.send(to, std::move(resp));
  if (!waiting_.empty()) {
    uint64_t next = waiting_.front();
    waiting_.pop_front();
    stats_->queue_len.add(t, -1);
    start(ctx, *find_job(next));
  }
}

void Station::run_delay(Context& ctx, Job& job, double seconds) { wait(ctx, job, seconds * slow_.factor); }

void Station::on_condition(Context& ctx, const NodeCondition& c, bool active) {
  if (c.kind == NodeCondition::Kind::Slow) slow_ = active ? c : NodeCondition{};
}

void Station::wait(Context& ctx, Job& job, double seconds) {
  if (seconds <= 0) {
    step(ctx, job);
    return;
  }
  job.phase_at = ctx.now();
  job.phase_cause = cause::kDelay;
  ctx.start_timer(seconds, (kDelay << kKindShift) | job.id);
}

void Station::resume(Context& ctx, Job& job) {
  double d = ctx.now() - job.phase_at;
  if (d > 0) job.path.push_back({ctx.self(), job.phase_cause, d});
  step(ctx, job);
}

void Station::run_cpu(Context& ctx, Job& job, double seconds) {
  if (seconds <= 0) {
    step(ctx, job);
    return;
  }
  job.phase_at = ctx.now();
  job.phase_cause = cause::kCpu;
  seconds *= slow_.factor;
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
  job.phase_at = ctx.now();
  job.phase_cause = cause::kIo;
  seconds *= slow_.factor;
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
  // Only the resources' timers pop completions, never a resumed job: done_ is not refilled while
  // it is walked, and keeps its capacity for the next completion.
  for (uint64_t id : done_)
    if (Job* job = find_job(id)) resume(ctx, *job);
  done_.clear();
}

void Station::on_timer(Context& ctx, uint64_t tag) {
  uint64_t kind = tag >> kKindShift;
  if (kind == kCpu) {
    complete_ps(ctx, false);
  } else if (kind == kDisk) {
    complete_ps(ctx, true);
  } else if (kind == kCallTimeout || kind == kRetry || kind == kIdemLookup) {
    Job* found = find_job(tag & kIdMask);
    if (!found) return;
    Job& job = *found;
    if (kind == kIdemLookup) {
      on_idempotency_lookup(ctx, job);
      return;
    }
    job.call_timer = 0;
    if (!job.guarded) return;
    if (kind == kRetry) {
      send_attempt(ctx, job);
      return;
    }
    // The attempt timed out: its answer is late from now on.
    job.pending = 0;
    ++job.call_gen;
    EdgeRuntime& er = edge_runtime(*job.guarded);
    if (er.breaker) {
      er.breaker->record(ctx.now(), false, job.probe);
      note_breaker(*job.guarded, er);
    }
    retry_or_fail(ctx, job, Status::Timeout);
  } else if (kind == kHedge) {
    if (Job* job = find_job(tag & kIdMask)) {
      job->hedge_timer = 0;
      send_backups(ctx, *job);
    }
  } else {
    if (Job* job = find_job(tag & kIdMask)) resume(ctx, *job);
  }
}

NodeId Station::pick(const CallTarget& t, uint64_t key, bool write) { return route(t, key, write, round_robin_); }

void Station::call(Context& ctx, Job& job, const ResolvedCall& c, uint8_t cache_op) {
  if (c.guarded()) {
    start_guarded(ctx, job, c, cache_op);
    return;
  }
  const Message& req = *job.request;
  job.phase_at = ctx.now();
  job.phase_cause = cause::kDownstream;
  ++job.call_gen;
  job.pending = 0;
  uint64_t gen = (job.call_gen & kGenMask) << kGenShift;
  auto send_to = [&](NodeId to, size_t slot) {
    MessagePtr m = downstream_request(req, job.id | (static_cast<uint64_t>(slot) << kSlotShift) | gen);
    m->cache_op = cache_op;
    if (job.measured) ++stats_->calls_sent;
    ctx.send(to, std::move(m));
  };
  boost::container::small_vector<NodeId, 8> targets;
  switch (c.shape) {
    case ResolvedCall::Shape::Single:
      targets.push_back(pick(c.targets[0], req.key, req.is_write));
      break;
    case ResolvedCall::Shape::Parallel:
      for (const auto& t : c.targets) targets.push_back(pick(t, req.key, req.is_write));
      break;
    case ResolvedCall::Shape::Fanout: {
      const auto& reps = c.targets[0].replicas;
      size_t n = c.fanout < 0 ? reps.size() : std::min(reps.size(), static_cast<size_t>(c.fanout));
      size_t first = n == reps.size() ? 0 : static_cast<size_t>(rng_.below(reps.size()));
      for (size_t i = 0; i < n; ++i) targets.push_back(reps[(first + i) % reps.size()]);
      break;
    }
  }
  size_t needed = targets.size();
  if (c.shape == ResolvedCall::Shape::Fanout && c.wait_for > 0) needed = std::min(needed, static_cast<size_t>(c.wait_for));
  job.pending = static_cast<int>(needed);
  if (c.hedged() && c.shape != ResolvedCall::Shape::Parallel) {
    job.slot_done.assign(targets.size(), 0);
    job.slot_target.assign(targets.begin(), targets.end());
    job.hedge_call = &c;
    double delay = hedge_delay(c);
    if (delay > 0) job.hedge_timer = ctx.start_timer(delay, (kHedge << kKindShift) | job.id);
  } else if (needed < targets.size() || c.tied) {
    job.slot_done.assign(targets.size(), 0);  // so that the stragglers (or a tied copy's twin) are told apart
  }
  if (c.tied && c.shape != ResolvedCall::Shape::Parallel && c.targets[0].replicas.size() > 1) {
    const auto& reps = c.targets[0].replicas;
    for (size_t i = 0; i < targets.size(); ++i) {
      size_t orig = static_cast<size_t>(std::find(reps.begin(), reps.end(), targets[i]) - reps.begin());
      size_t r = static_cast<size_t>(rng_.below(reps.size() - 1));
      if (r >= orig) ++r;
      NodeId twin = reps[r];
      for (NodeId to : {targets[i], twin}) {
        MessagePtr m = downstream_request(req, job.id | (static_cast<uint64_t>(i) << kSlotShift) | gen);
        m->cache_op = cache_op;
        m->tied = true;
        m->tie_peer = to == twin ? targets[i] : twin;
        if (job.measured) ++stats_->calls_sent;
        ctx.send(to, std::move(m));
      }
      if (job.measured) ++stats_->backup_calls;
    }
    return;
  }
  for (size_t i = 0; i < targets.size(); ++i) send_to(targets[i], i);
}

double Station::hedge_delay(const ResolvedCall& c) {
  if (c.hedge_quantile <= 0) return c.hedge_after;
  return hedge_trackers_[&c].delay;
}

void Station::send_backups(Context& ctx, Job& job) {
  const ResolvedCall* c = job.hedge_call;
  if (!c || job.pending <= 0) return;
  const Message& req = *job.request;
  const auto& reps = c->targets[0].replicas;
  uint64_t gen = (job.call_gen & kGenMask) << kGenShift;
  for (size_t i = 0; i < job.slot_done.size(); ++i) {
    if (job.slot_done[i]) continue;
    // Another replica than the original's, drawn at random.
    NodeId to = job.slot_target[i];
    if (reps.size() > 1) {
      size_t orig = static_cast<size_t>(std::find(reps.begin(), reps.end(), to) - reps.begin());
      size_t r = static_cast<size_t>(rng_.below(reps.size() - 1));
      if (r >= orig) ++r;
      to = reps[r];
    }
    MessagePtr m = downstream_request(req, job.id | (static_cast<uint64_t>(i) << kSlotShift) | gen);
    if (job.measured) {
      ++stats_->calls_sent;
      ++stats_->backup_calls;
    }
    ctx.send(to, std::move(m));
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
  // In job order, so that the resets leave in the same order whatever the hash map's layout.
  std::vector<uint64_t> ids;
  ids.reserve(jobs_.size());
  jobs_.for_each([&](uint64_t id, Job*) { ids.push_back(id); });
  std::sort(ids.begin(), ids.end());
  for (uint64_t id : ids) {
    Job& job = *find_job(id);
    if (job.measured) ++stats_->failed;
    if (!job.request) continue;
    if (job.idem_reserved && ledger_) ledger_->release({job.request->request_id, job.request->op});
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
  for (uint64_t id : ids) drop_job(*find_job(id));
  waiting_.clear();
  edges_.clear();  // breakers, budgets and stale answers were in the process's memory
  busy_workers_ = 0;
  cpu_ = ProcessorSharing(params_.cores);
  disk_ = ProcessorSharing(params_.io_parallelism > 0 ? params_.io_parallelism : 1);
  cpu_timer_ = disk_timer_ = 0;  // the engine drops the crashed incarnation's timers
  cpu_timer_at_ = disk_timer_at_ = -1;
  crashed_ = true;
}

}  // namespace archsim

namespace archsim {

// ---- Failure handling by the caller (models/common/resilience.hpp) ----

Station::EdgeRuntime& Station::edge_runtime(const ResolvedCall& c) {
  auto it = edges_.find(&c);
  if (it != edges_.end()) return it->second;
  EdgeRuntime& er = edges_[&c];
  const CallPolicy& p = c.policy;
  if (p.retries() && p.has_budget()) er.budget = std::make_unique<RetryBudget>(p.max_retry_ratio, p.budget_window);
  if (p.has_breaker())
    er.breaker = std::make_unique<CircuitBreaker>(p.cb_failure_ratio, p.cb_window, p.cb_open_for, p.cb_min_calls);
  if (p.fallback == CallPolicy::Fallback::StaleCache) er.stale = std::make_unique<StaleCache>(static_cast<size_t>(p.stale_entries));
  return er;
}

void Station::start_guarded(Context& ctx, Job& job, const ResolvedCall& c, uint8_t cache_op) {
  double t = ctx.now();
  job.phase_at = t;
  job.phase_cause = cause::kDownstream;
  job.guarded = &c;
  job.retries = 0;
  job.guarded_cache_op = cache_op;
  if (c.edge && job.measured) ++c.edge->calls;
  EdgeRuntime& er = edge_runtime(c);
  if (er.budget) {
    er.budget->deposit(t);
    if (c.edge) c.edge->budget_deposits_total += c.policy.max_retry_ratio;
  }
  send_attempt(ctx, job);
}

void Station::note_breaker(const ResolvedCall& c, EdgeRuntime& er) {
  auto& tr = er.breaker->transitions();
  if (c.edge)
    for (const auto& x : tr) {
      ++c.edge->transitions_total;
      if (c.edge->transitions.size() < EdgeStats::kMaxTransitions)
        c.edge->transitions.push_back({x.t, replica_index_, to_string(x.to)});
    }
  tr.clear();
}

void Station::send_attempt(Context& ctx, Job& job) {
  const ResolvedCall& c = *job.guarded;
  EdgeRuntime& er = edge_runtime(c);
  if (er.breaker) {
    bool allowed = er.breaker->allow(ctx.now(), &job.probe);
    note_breaker(c, er);
    if (!allowed) {
      guarded_failed(ctx, job, Status::CircuitOpen);
      return;
    }
  }
  const Message& req = *job.request;
  ++job.call_gen;
  uint64_t gen = (job.call_gen & kGenMask) << kGenShift;
  job.pending = 1;
  MessagePtr m = downstream_request(req, job.id | gen);
  m->cache_op = job.guarded_cache_op;
  m->op = c.op;
  m->idempotent = c.policy.idempotency && req.is_write;
  if (job.measured) {
    ++stats_->calls_sent;
    if (c.edge) ++c.edge->attempts;
  }
  const CallTarget& target = c.targets[0];
  if (c.policy.failover && job.retries > 0 && !target.remote.empty()) {
    // A retry fails over: to the nearest other region's replica, then the next.
    if (job.measured && c.edge) ++c.edge->failovers;
    ctx.send(target.remote[static_cast<size_t>(job.retries - 1) % target.remote.size()], std::move(m));
  } else {
    ctx.send(pick(target, req.key, req.is_write), std::move(m));
  }
  if (c.policy.timeout > 0) job.call_timer = ctx.start_timer(c.policy.timeout, (kCallTimeout << kKindShift) | job.id);
}

void Station::retry_or_fail(Context& ctx, Job& job, Status s) {
  const ResolvedCall& c = *job.guarded;
  const CallPolicy& p = c.policy;
  if (s != Status::CircuitOpen && job.retries < p.max_retries) {
    EdgeRuntime& er = edge_runtime(c);
    if (er.budget && !er.budget->try_withdraw(ctx.now())) {
      if (job.measured && c.edge) ++c.edge->retries_suppressed;
    } else {
      ++job.retries;
      if (c.edge) {
        if (er.budget) ++c.edge->budget_retries_total;
        if (job.measured) ++c.edge->retries;
      }
      job.call_timer = ctx.start_timer(backoff_delay(p, job.retries, rng_), (kRetry << kKindShift) | job.id);
      return;
    }
  }
  guarded_failed(ctx, job, s);
}

void Station::guarded_failed(Context& ctx, Job& job, Status s) {
  const ResolvedCall& c = *job.guarded;
  job.guarded = nullptr;
  job.pending = 0;
  FailReason why = s == Status::Rejected      ? FailReason::Rejected
                   : s == Status::Timeout     ? FailReason::Timeout
                   : s == Status::CircuitOpen ? FailReason::CircuitOpen
                                              : FailReason::Unavailable;
  bool counted = job.measured && c.edge;
  if (counted) ++c.edge->failed[static_cast<size_t>(why)];
  switch (c.policy.fallback) {
    case CallPolicy::Fallback::FailOpen:
      if (counted) ++c.edge->fallback_open;
      resume(ctx, job);
      return;
    case CallPolicy::Fallback::StaleCache:
      if (edge_runtime(c).stale->has(job.request->key)) {
        if (counted) ++c.edge->stale_served;
        resume(ctx, job);
        return;
      }
      break;
    case CallPolicy::Fallback::None:
    case CallPolicy::Fallback::FailClosed:
      break;
  }
  if (job.status == Status::Ok) job.status = s;
  resume(ctx, job);
}

}  // namespace archsim
