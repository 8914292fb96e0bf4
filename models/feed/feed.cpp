#include "models/feed/feed.hpp"

#include <algorithm>
#include <cmath>

namespace archsim {

namespace {
constexpr uint64_t kKindShift = 56;
constexpr uint64_t kIdMask = (uint64_t(1) << kKindShift) - 1;
constexpr uint64_t kPost = 1, kRead = 2, kBatch = 3, kScheduled = 4;
constexpr double kSecondsPerDay = 86400;
}  // namespace

Feed::Feed(Params params, const FollowerGraph* graph, FeedStats* stats, Rng rng, Rng workload)
    : p_(std::move(params)), g_(graph), stats_(stats), rng_(rng), workload_(workload) {
  users_ = g_->accounts();
  timeline_.assign(users_, 0);
  celebrity_.assign(users_, 0);
  for (uint32_t a = 0; a < users_; ++a)
    celebrity_[a] = p_.strategy == Strategy::Pull ||
                    (p_.strategy == Strategy::Hybrid && static_cast<int64_t>(g_->followers(a)) >= p_.celebrity_threshold);
  idle_workers_ = p_.fanout_workers;
  if (p_.activity == Params::Activity::ByDegree) {
    post_weight_.resize(users_);
    read_weight_.resize(users_);
    uint64_t post = 0, read = 0;
    for (uint32_t a = 0; a < users_; ++a) {
      post_weight_[a] = post += uint64_t(g_->followers(a)) + 1;
      read_weight_[a] = read += uint64_t(g_->followees(a)) + 1;
    }
  }
  stats_->accounts = users_;
  stats_->edges = g_->edges();
  // Every timeline that receives pushes, full.
  if (p_.strategy != Strategy::Pull) {
    uint64_t with_pushes = 0;
    for (uint32_t a = 0; a < users_; ++a) {
      bool any = false;
      g_->for_followees(a, [&](uint32_t f) { any = any || !celebrity_[f]; });
      with_pushes += any;
    }
    stats_->timeline_full_bytes = static_cast<double>(with_pushes) * static_cast<double>(p_.timeline_len) * p_.entry_bytes;
  }
}

bool Feed::pushed(uint32_t author) const { return !celebrity_[author]; }

uint32_t Feed::draw(const std::vector<uint64_t>& cumulative) {
  if (cumulative.empty()) return static_cast<uint32_t>(workload_.below(users_));
  uint64_t x = workload_.below(cumulative.back());
  return static_cast<uint32_t>(std::upper_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
}

void Feed::on_start(Context& ctx) {
  if (users_ == 0) return;
  double n = static_cast<double>(users_);
  if (p_.posts_per_user_per_day > 0) ctx.start_timer(workload_.exponential(kSecondsPerDay / (n * p_.posts_per_user_per_day)), kPost << kKindShift);
  if (p_.reads_per_user_per_day > 0) ctx.start_timer(workload_.exponential(kSecondsPerDay / (n * p_.reads_per_user_per_day)), kRead << kKindShift);
  for (size_t i = 0; i < p_.scheduled_posts.size(); ++i)
    ctx.start_timer(std::max(0.0, p_.scheduled_posts[i].second - ctx.now()), (kScheduled << kKindShift) | i);
}

void Feed::on_timer(Context& ctx, uint64_t tag) {
  uint64_t kind = tag >> kKindShift, id = tag & kIdMask;
  double n = static_cast<double>(users_);
  switch (kind) {
    case kPost:
      post(ctx, draw(post_weight_));
      ctx.start_timer(workload_.exponential(kSecondsPerDay / (n * p_.posts_per_user_per_day)), kPost << kKindShift);
      break;
    case kRead:
      read(ctx, draw(read_weight_));
      ctx.start_timer(workload_.exponential(kSecondsPerDay / (n * p_.reads_per_user_per_day)), kRead << kKindShift);
      break;
    case kScheduled:
      post(ctx, p_.scheduled_posts[id].first);
      break;
    case kBatch:
      batch_done(ctx, id);
      break;
  }
}

void Feed::post(Context& ctx, uint32_t author) {
  double t = ctx.now();
  bool measured = t >= stats_->window_start;
  if (measured) ++stats_->posts;
  if (!pushed(author)) {
    if (measured) ++stats_->posts_pulled;
    return;
  }
  uint32_t f = g_->followers(author);
  if (measured) {
    ++stats_->posts_pushed;
    stats_->write_amplification.record(static_cast<double>(f) * 1e-3);
    stats_->max_writes_per_post = std::max<uint64_t>(stats_->max_writes_per_post, f);
    stats_->min_writes_per_post = std::min<uint64_t>(stats_->min_writes_per_post, f);
  }
  if (f == 0) {
    if (measured) stats_->delivery_lag.record(0);
    return;
  }
  uint64_t id = next_task_++;
  Task& task = tasks_[id];
  task.posted = t;
  task.author = author;
  task.measured = measured;
  queue_.push_back(id);
  stats_->backlog.add(t, f);
  dispatch(ctx);
}

void Feed::dispatch(Context& ctx) {
  while (idle_workers_ > 0 && !queue_.empty()) {
    uint64_t id = queue_.front();
    Task& task = tasks_.at(id);
    uint32_t f = g_->followers(task.author);
    uint32_t count = std::min<uint32_t>(f - task.next, static_cast<uint32_t>(p_.fanout_batch));
    uint64_t b = next_batch_++;
    batches_[b] = Batch{id, task.next, count};
    task.next += count;
    task.outstanding += count;
    if (task.next == f) queue_.pop_front();
    --idle_workers_;
    ctx.start_timer(static_cast<double>(count) * p_.timeline_write, (kBatch << kKindShift) | b);
  }
}

void Feed::batch_done(Context& ctx, uint64_t b) {
  double t = ctx.now();
  Batch batch = batches_.at(b);
  batches_.erase(b);
  ++idle_workers_;
  Task& task = tasks_.at(batch.task);
  // One timeline entry per follower; a full timeline drops its oldest entry.
  g_->for_followers(task.author, batch.begin, batch.count, [&](uint32_t follower) {
    if (timeline_[follower] < p_.timeline_len) {
      ++timeline_[follower];
      stats_->timeline_bytes += p_.entry_bytes;
    }
  });
  if (task.measured) stats_->timeline_writes += batch.count;
  stats_->backlog.add(t, -static_cast<double>(batch.count));
  task.outstanding -= batch.count;
  if (task.outstanding == 0 && task.next == g_->followers(task.author)) {
    if (task.measured) stats_->delivery_lag.record(t - task.posted);
    tasks_.erase(batch.task);
  }
  dispatch(ctx);
}

double Feed::fetch_rounds(uint32_t fetches) {
  double total = 0;
  uint32_t per = static_cast<uint32_t>(std::max<int64_t>(1, p_.pull_parallelism));
  for (uint32_t done = 0; done < fetches; done += per) {
    double round = 0;
    for (uint32_t k = done; k < std::min(fetches, done + per); ++k) round = std::max(round, p_.rtt + p_.post_fetch.sample(rng_));
    total += round;
  }
  return total;
}

void Feed::read(Context& ctx, uint32_t reader) {
  double t = ctx.now();
  uint64_t calls = 0, celeb = 0;
  double latency = 0;
  switch (p_.strategy) {
    case Strategy::Push:
      calls = 1;
      latency = p_.rtt + p_.timeline_read.sample(rng_);
      break;
    case Strategy::Pull:
      calls = g_->followees(reader);
      latency = fetch_rounds(static_cast<uint32_t>(calls));
      break;
    case Strategy::Hybrid: {
      g_->for_followees(reader, [&](uint32_t f) { celeb += celebrity_[f]; });
      calls = 1 + celeb;
      // The timeline read and the celebrity fetches go out together; the merge waits for both.
      latency = std::max(p_.rtt + p_.timeline_read.sample(rng_), fetch_rounds(static_cast<uint32_t>(celeb)));
      break;
    }
  }
  if (t < stats_->window_start) return;
  ++stats_->reads;
  stats_->read_calls += calls;
  if (p_.strategy == Strategy::Pull) celeb = calls;
  stats_->celebrity_fetches += celeb;
  stats_->max_calls_per_read = std::max(stats_->max_calls_per_read, calls);
  stats_->min_calls_per_read = std::min(stats_->min_calls_per_read, calls);
  stats_->read_latency.record(latency);
}

void Feed::on_end(Context& ctx) {
  for (const auto& [id, task] : tasks_)
    if (task.measured) ++stats_->undelivered_at_end;
  stats_->backlog.close(ctx.now());
}

}  // namespace archsim
