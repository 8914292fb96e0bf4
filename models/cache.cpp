#include "models/cache.hpp"

namespace archsim {

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
    : Station(params.station, stats, rng), p_(std::move(params)), lru_(p_.capacity) {}

void Cache::step(Context& ctx, Job& job) {
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
      if (job.request->is_write) {
        lru_.erase(job.request->key);
      } else if (lru_.touch(job.request->key)) {
        if (job.measured) ++stats().hits;
        finish(ctx, job, Status::Ok);
        return;
      } else if (job.measured) {
        ++stats().misses;
      }
      job.phase = 3;
      call(ctx, job, p_.backend);
      return;
    default:
      if (job.status == Status::Ok && !job.request->is_write) lru_.insert(job.request->key);
      finish(ctx, job, job.status);
  }
}

}  // namespace archsim
