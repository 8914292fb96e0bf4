#include "models/queue/queue.hpp"

#include <cassert>
#include <cmath>

namespace archsim {

namespace {
constexpr uint64_t kKindShift = 56;
constexpr uint64_t kIdMask = (uint64_t(1) << kKindShift) - 1;
constexpr uint64_t kAck = 1, kService = 2, kBackoff = 3;
constexpr uint64_t kDeadLetterCall = uint64_t(1) << 62;  // the call id of enqueues to the dead-letter queue
}  // namespace

Queue::Queue(Params params, ComponentStats* stats, Rng rng)
    : p_(std::move(params)),
      stats_(stats),
      rng_(rng),
      partitions_(static_cast<size_t>(p_.spec.partitions)),
      lag_(static_cast<size_t>(p_.spec.partitions), 0),
      consumers_(static_cast<size_t>(p_.spec.consumers)) {
  assert(stats_->queue && "a queue needs its QueueStats");
}

void Queue::on_message(Context& ctx, MessagePtr msg) {
  double t = ctx.now();
  if (msg->is_response) {
    if (msg->call_id == kDeadLetterCall) return;  // the dead-letter queue acknowledged (or refused) it
    size_t c = msg->call_id;
    assert(c < consumers_.size() && consumers_[c].pending > 0);
    Consumer& k = consumers_[c];
    if (msg->status != Status::Ok) k.status = msg->status;
    if (--k.pending == 0) advance(ctx, c);
    return;
  }
  bool measured = stats_->in_window(t);
  if (measured) ++stats_->arrivals;
  if (p_.spec.max_backlog >= 0 && backlog_ >= static_cast<uint64_t>(p_.spec.max_backlog)) {
    if (measured) {
      ++stats_->rejected;
      ++stats_->queue->rejected_full;
    }
    stats_->series.record(t, 0, false);
    answer(ctx, std::move(msg), Status::Rejected);
    return;
  }
  stats_->in_system.add(t, 1);
  if (p_.spec.ack_delay.is_zero()) {
    commit(ctx, std::move(msg));
    return;
  }
  uint64_t id = next_ack_++;
  msg->sent_at = t;  // reused as the arrival time while the enqueue waits for its ack
  acks_[id] = std::move(msg);
  ctx.start_timer(p_.spec.ack_delay.sample(rng_), (kAck << kKindShift) | id);
}

void Queue::commit(Context& ctx, MessagePtr msg) {
  double t = ctx.now();
  QueueStats& q = *stats_->queue;
  Record r;
  r.key = msg->key;
  r.request_id = msg->request_id;
  r.origin = msg->origin;
  r.type = msg->type;
  r.is_write = msg->is_write;
  r.request_bytes = msg->request_bytes;
  r.response_bytes = msg->response_bytes;
  r.enqueued = t;
  r.measured = stats_->in_window(t);
  r.partition = static_cast<size_t>(mix64(r.key) % partitions_.size());
  ++q.enqueued_total;
  if (r.measured) ++q.enqueued;
  uint64_t lag = ++lag_[r.partition];
  if (lag > q.max_partition_lag) q.max_partition_lag = lag;
  ++backlog_;
  q.lag.add(t, 1);
  stats_->queue_len.add(t, 1);
  if (p_.spec.ordered) partitions_[r.partition].push_back(r);
  else shared_.push_back(r);

  // The acknowledgement: the producer goes on from here.
  double residence = p_.spec.ack_delay.is_zero() ? 0 : t - msg->sent_at;
  if (r.measured) {
    ++stats_->completed;
    stats_->residence.record(residence);
  }
  stats_->series.record(t, residence, true);
  stats_->in_system.add(t, -1);
  answer(ctx, std::move(msg), Status::Ok);
  dispatch(ctx);
}

bool Queue::take(size_t consumer, Record* out) {
  if (!p_.spec.ordered) {
    if (shared_.empty()) return false;
    *out = shared_.front();
    shared_.pop_front();
    return true;
  }
  // The consumer's partitions are consumer, consumer + C, ...; the oldest head goes first.
  size_t best = partitions_.size();
  for (size_t p = consumer; p < partitions_.size(); p += consumers_.size())
    if (!partitions_[p].empty() && (best == partitions_.size() || partitions_[p].front().enqueued < partitions_[best].front().enqueued))
      best = p;
  if (best == partitions_.size()) return false;
  *out = partitions_[best].front();
  partitions_[best].pop_front();
  return true;
}

void Queue::dispatch(Context& ctx) {
  for (size_t c = 0; c < consumers_.size(); ++c) {
    Consumer& k = consumers_[c];
    if (k.busy || !take(c, &k.rec)) continue;
    k.busy = true;
    stats_->queue_len.add(ctx.now(), -1);  // waiting no more: `queue_len` counts the messages not yet taken
    stats_->busy_workers.add(ctx.now(), 1);
    start(ctx, c);
  }
}

void Queue::start(Context& ctx, size_t consumer) {
  Consumer& k = consumers_[consumer];
  ++k.rec.attempts;
  k.next_call = 0;
  k.pending = 0;
  k.status = Status::Ok;
  ctx.start_timer(p_.spec.service_time.sample(rng_), (kService << kKindShift) | consumer);
}

void Queue::on_timer(Context& ctx, uint64_t tag) {
  uint64_t kind = tag >> kKindShift;
  uint64_t id = tag & kIdMask;
  if (kind == kAck) {
    auto it = acks_.find(id);
    if (it == acks_.end()) return;
    MessagePtr msg = std::move(it->second);
    acks_.erase(it);
    commit(ctx, std::move(msg));
  } else if (kind == kService) {
    if (p_.spec.failure_probability > 0 && rng_.uniform() < p_.spec.failure_probability) {
      attempt_failed(ctx, id);
      return;
    }
    advance(ctx, id);
  } else if (kind == kBackoff) {
    start(ctx, id);
  }
}

void Queue::advance(Context& ctx, size_t consumer) {
  Consumer& k = consumers_[consumer];
  if (k.status != Status::Ok) {
    attempt_failed(ctx, consumer);
    return;
  }
  static const std::vector<ResolvedCall> kNone;
  size_t type = k.rec.type;
  const auto& calls = type < p_.calls_by_type.size() ? p_.calls_by_type[type] : kNone;
  if (k.next_call < calls.size()) {
    send_call(ctx, consumer, calls[k.next_call++]);
    return;
  }
  done(ctx, consumer);
}

void Queue::attempt_failed(Context& ctx, size_t consumer) {
  Consumer& k = consumers_[consumer];
  if (k.rec.attempts >= p_.spec.max_attempts) {
    Record r = k.rec;
    dead_letter(ctx, r);
    release(ctx, consumer, r);
    return;
  }
  if (k.rec.measured) ++stats_->queue->retries;
  double backoff = p_.spec.retry_backoff.sample(rng_) *
                   std::pow(p_.spec.backoff_multiplier, static_cast<double>(k.rec.attempts - 1));
  ctx.start_timer(backoff, (kBackoff << kKindShift) | consumer);
}

void Queue::done(Context& ctx, size_t consumer) {
  Record r = consumers_[consumer].rec;
  QueueStats& q = *stats_->queue;
  ++q.processed_total;
  if (r.measured) {
    ++q.processed;
    q.delay.record(ctx.now() - r.enqueued);
  }
  release(ctx, consumer, r);
}

void Queue::dead_letter(Context& ctx, const Record& r) {
  QueueStats& q = *stats_->queue;
  ++q.dead_lettered_total;
  if (r.measured) ++q.dead_lettered;
  if (p_.dead_letter_to.replicas.empty()) return;
  auto m = std::make_unique<Message>();
  m->type = r.type;
  m->is_write = r.is_write;
  m->request_id = r.request_id;
  m->key = r.key;
  m->origin = r.origin;
  m->request_bytes = r.request_bytes;
  m->response_bytes = r.response_bytes;
  m->call_id = kDeadLetterCall;
  ctx.send(pick(p_.dead_letter_to, r.key, r.is_write), std::move(m));
}

void Queue::release(Context& ctx, size_t consumer, const Record& r) {
  double t = ctx.now();
  --lag_[r.partition];
  --backlog_;
  stats_->queue->lag.add(t, -1);
  consumers_[consumer].busy = false;
  stats_->busy_workers.add(t, -1);
  dispatch(ctx);
}

NodeId Queue::pick(const CallTarget& t, uint64_t key, bool write) { return route(t, key, write, rr_); }

void Queue::send_call(Context& ctx, size_t consumer, const ResolvedCall& c) {
  Consumer& k = consumers_[consumer];
  const Record& r = k.rec;
  auto send_to = [&](NodeId to) {
    auto m = std::make_unique<Message>();
    m->type = r.type;
    m->is_write = r.is_write;
    m->request_id = r.request_id;
    m->key = r.key;
    m->origin = r.origin;
    m->request_bytes = r.request_bytes;
    m->response_bytes = r.response_bytes;
    m->call_id = consumer;
    ++k.pending;
    ctx.send(to, std::move(m));
  };
  switch (c.shape) {
    case ResolvedCall::Shape::Single:
      send_to(pick(c.targets[0], r.key, r.is_write));
      break;
    case ResolvedCall::Shape::Parallel:
      for (const auto& t : c.targets) send_to(pick(t, r.key, r.is_write));
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

void Queue::on_end(Context& ctx) {
  double t = ctx.now();
  QueueStats& q = *stats_->queue;
  q.backlog_at_end = backlog_;
  double oldest = t;
  for (const auto& part : partitions_)
    if (!part.empty()) oldest = std::min(oldest, part.front().enqueued);
  if (!shared_.empty()) oldest = std::min(oldest, shared_.front().enqueued);
  for (const auto& k : consumers_)
    if (k.busy) oldest = std::min(oldest, k.rec.enqueued);
  q.oldest_age_at_end = t - oldest;
  stats_->close(t);
}

}  // namespace archsim
