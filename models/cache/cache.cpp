#include "models/cache/cache.hpp"

#include <algorithm>
#include <cmath>

namespace archsim {

namespace {
// Timer tags and call ids of the cache's own work, apart from the Station's (which use kinds 1-3
// in the top byte).
constexpr uint64_t kFlushTimer = uint64_t(9) << 56;
constexpr uint64_t kFlushCall = uint64_t(1) << 63;
}  // namespace

bool LruSet::touch(uint64_t key) {
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  order_.splice(order_.begin(), order_, it->second);
  return true;
}

bool LruSet::insert(uint64_t key) {
  if (touch(key)) return false;
  bool evicted = false;
  if (index_.size() >= capacity_) {
    index_.erase(order_.back());
    order_.pop_back();
    evicted = true;
  }
  order_.push_front(key);
  index_[key] = order_.begin();
  return evicted;
}

void LruSet::erase(uint64_t key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  order_.erase(it->second);
  index_.erase(it);
}

Cache::Cache(Params params, ComponentStats* stats, Rng rng)
    : Station(params.station, stats, rng), p_(std::move(params)) {
  CacheStoreParams sp;
  sp.eviction = p_.eviction;
  sp.capacity = p_.capacity_bytes > 0 ? p_.capacity_bytes : static_cast<double>(p_.capacity);
  sp.ttl = p_.ttl;
  store_ = make_cache_store(sp);
}

double Cache::charge_of(const Message& m) const {
  if (p_.capacity_bytes <= 0) return 1;
  if (p_.value_size > 0) return p_.value_size;
  double v = m.is_write ? m.request_bytes : m.response_bytes;
  return v > 0 ? v : 1;
}

void Cache::fill_warm() {
  // The keys this replica owns, each held with its steady-state probability p under LRU (Che's
  // approximation for the callers' read mix), until the capacity is used; and in steady-state
  // order: a held key's time since its last read is exponential at its rate, cut at the cache's
  // characteristic time T, so in units of T it is -ln(1 - v p) / -ln(1 - p) for a uniform v. The
  // draws depend only on the key and the seed. Entries go in oldest first, so the recency order is
  // the one a long run reaches (ranking them by popularity instead keeps the tail out for about T
  // and reads a higher hit ratio). TTL ages spread over [0, ttl) by a fixed sequence (the golden
  // ratio's multiples mod 1) so that the entries do not all expire at once.
  auto unit = [&](uint64_t k, uint64_t salt) {
    uint64_t h = (k + salt) * 0x9E3779B97F4A7C15ULL ^ p_.warm_seed;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 29;
    return static_cast<double>(h >> 11) * 0x1.0p-53;
  };
  std::vector<std::pair<double, uint64_t>> held;  // (age in units of T, key)
  double room = p_.capacity_bytes > 0 ? p_.capacity_bytes : static_cast<double>(p_.capacity);
  auto take = [&](uint64_t k, double p) {
    if (p_.owns && !p_.owns(k)) return;
    if (p < 1 && unit(k, 0) >= p) return;
    double v = unit(k, 0x5851F42D4C957F2DULL);
    double age = p < 1 - 1e-12 ? std::log1p(-v * p) / std::log1p(-p) : v;
    held.emplace_back(age, k);
    room -= p_.warm_charge;
  };
  if (p_.warm_view) {
    for (const auto& g : p_.warm_view->ranks)
      for (uint64_t k = g.first; k <= g.last && room >= p_.warm_charge; ++k) take(k, g.in_cache);
  } else {
    // No steady-state view (hot sets): the most popular keys, in rank order.
    for (uint64_t k = 0; k < p_.warm_keys && room >= p_.warm_charge; ++k) take(k, 1);
    for (size_t i = 0; i < held.size(); ++i) held[i].first = static_cast<double>(i);
  }
  std::sort(held.begin(), held.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second > b.second;
  });
  for (size_t i = 0; i < held.size(); ++i) {
    double age = p_.ttl > 0 ? p_.ttl * std::fmod(0.6180339887498949 * static_cast<double>(i + 1), 1.0) : 0;
    store_->insert(held[i].second, p_.warm_charge, -age);
  }
}

void Cache::on_start(Context& ctx) {
  if (p_.warm) fill_warm();
  flush_tick_ = ctx.now() + p_.flush_interval;
}

void Cache::on_recover(Context& ctx) {
  // Back from a crash empty: the warm start is the run's, not every restart's.
  flush_tick_ = ctx.now() + p_.flush_interval;
  flush_armed_ = false;
}

void Cache::arm_flush(Context& ctx) {
  if (flush_armed_) return;
  double now = ctx.now();
  if (flush_tick_ <= now) {
    // The ticks missed while idle, one by one as a running timer would have added them, or at
    // once past a long idle stretch.
    double behind = (now - flush_tick_) / p_.flush_interval;
    if (behind > 1000) flush_tick_ += (std::floor(behind) + 1) * p_.flush_interval;
    while (flush_tick_ <= now) flush_tick_ += p_.flush_interval;
  }
  ctx.start_timer(flush_tick_ - now, kFlushTimer);
  flush_armed_ = true;
}

void Cache::on_end(Context& ctx) {
  CacheStats& cs = stats().cache;
  cs.capacity += p_.capacity_bytes > 0 ? p_.capacity_bytes : static_cast<double>(p_.capacity);
  cs.used_at_end += store_->used();
  Station::on_end(ctx);
}

void Cache::on_timer(Context& ctx, uint64_t tag) {
  if (tag == kFlushTimer) {
    flush_armed_ = false;
    flush(ctx);
    flush_tick_ += p_.flush_interval;
    return;
  }
  Station::on_timer(ctx, tag);
}

void Cache::on_message(Context& ctx, MessagePtr msg) {
  if (msg->is_response && (msg->call_id & kFlushCall)) return;  // the backend took a flushed write
  Station::on_message(ctx, std::move(msg));
}

void Cache::on_crash(Context& ctx) {
  for (const auto& [key, d] : dirty_) stats().cache.unflushed_writes_lost += d.writes;
  dirty_.clear();
  flush_armed_ = false;
  store_->clear();
  reads_in_flight_.clear();
  waiters_.clear();
  Station::on_crash(ctx);
}

// Sends every acknowledged write to the backend, one write per key.
void Cache::flush(Context& ctx) {
  for (const auto& [key, d] : dirty_) {
    auto m = std::make_unique<Message>();
    m->is_write = true;
    m->type = d.type;
    m->key = key;
    m->request_bytes = d.request_bytes;
    m->response_bytes = d.response_bytes;
    m->call_id = kFlushCall | next_flush_++;
    stats().cache.writes_flushed += d.writes;
    ctx.send(pick(p_.backend_call.targets[0], key), std::move(m));
  }
  dirty_.clear();
}

void Cache::fill(Context& ctx, Job& job) {
  uint64_t evicted = store_->insert(job.request->key, charge_of(*job.request), ctx.now());
  if (job.measured) stats().cache.evictions += evicted;
}

void Cache::step(Context& ctx, Job& job) {
  Message& req = *job.request;
  CacheStats& cs = stats().cache;
  switch (job.phase) {
    case 0:
      job.phase = 1;
      run_cpu(ctx, job, p_.cpu.sample(rng()));
      return;
    case 1:
      job.phase = 2;
      run_delay(ctx, job, p_.hit.sample(rng()));
      return;
    case 2:
      if (req.cache_op == kCacheFill) {  // cache_aside: the caller writes back what it read
        if (job.measured) ++cs.fills;
        fill(ctx, job);
        finish(ctx, job, Status::Ok);
        return;
      }
      if (req.is_write) {
        switch (p_.write_policy) {
          case WritePolicy::CacheAside:  // the caller already wrote the backend
            store_->erase(req.key);
            if (job.measured) ++cs.invalidations;
            finish(ctx, job, Status::Ok);
            return;
          case WritePolicy::WriteBehind: {
            fill(ctx, job);
            Dirty& d = dirty_[req.key];
            ++d.writes;
            arm_flush(ctx);
            d.type = req.type;
            d.request_bytes = req.request_bytes;
            d.response_bytes = req.response_bytes;
            ++cs.writes_acknowledged;
            finish(ctx, job, Status::Ok);
            return;
          }
          case WritePolicy::ReadThrough:
            store_->erase(req.key);
            if (job.measured) ++cs.invalidations;
            break;
          case WritePolicy::WriteThrough:
            break;
        }
        job.phase = 4;
        call(ctx, job, p_.backend_call);
        return;
      }
      {
        CacheStore::Lookup found = store_->lookup(req.key, ctx.now());
        if (job.measured) {
          if (cs.replica_lookups.size() <= p_.replica) cs.replica_lookups.resize(p_.replica + 1);
          ++cs.replica_lookups[p_.replica];
          cs.hot_keys.add(req.key, p_.replica);
        }
        bool first_half = job.measured && ctx.now() < 0.5 * (stats().window_start + stats().window_end);
        if (first_half) ++cs.first_half_lookups;
        if (found == CacheStore::Lookup::Hit) {
          if (job.measured) ++stats().hits;
          if (first_half) ++cs.first_half_hits;
          finish(ctx, job, Status::Ok);
          return;
        }
        if (job.measured) {
          ++stats().misses;
          if (found == CacheStore::Lookup::Expired) ++cs.expired;
        }
      }
      if (p_.write_policy == WritePolicy::CacheAside) {
        req.cache_miss = true;
        finish(ctx, job, Status::Ok);
        return;
      }
      if (auto it = reads_in_flight_.find(req.key); it != reads_in_flight_.end() && it->second > 0) {
        if (p_.coalesce_misses) {
          if (job.measured) ++cs.coalesced_misses;
          job.phase = 5;
          waiters_[req.key].push_back(job.id);
          return;
        }
        if (job.measured) ++cs.stampede_misses;
      }
      ++reads_in_flight_[req.key];
      job.phase = 3;
      call(ctx, job, p_.backend_call);
      return;
    case 3: {  // the backend answered a read
      auto it = reads_in_flight_.find(req.key);
      if (it != reads_in_flight_.end() && --it->second == 0) reads_in_flight_.erase(it);
      if (job.status == Status::Ok) fill(ctx, job);
      auto w = waiters_.find(req.key);
      if (w != waiters_.end()) {
        std::vector<uint64_t> ids = std::move(w->second);
        waiters_.erase(w);
        Status st = job.status;
        finish(ctx, job, st);  // `job` is gone from here on
        for (uint64_t id : ids)
          if (Job* waiter = find_job(id)) finish(ctx, *waiter, st);
        return;
      }
      finish(ctx, job, job.status);
      return;
    }
    case 4:  // the backend answered a write
      if (job.status == Status::Ok && p_.write_policy == WritePolicy::WriteThrough) fill(ctx, job);
      finish(ctx, job, job.status);
      return;
    default:  // phase 5: waiting for another job's read; finished by that job
      return;
  }
}

const char* to_string(WritePolicy p) {
  switch (p) {
    case WritePolicy::ReadThrough:
      return "read_through";
    case WritePolicy::CacheAside:
      return "cache_aside";
    case WritePolicy::WriteThrough:
      return "write_through";
    case WritePolicy::WriteBehind:
      return "write_behind";
  }
  return "?";
}

}  // namespace archsim
