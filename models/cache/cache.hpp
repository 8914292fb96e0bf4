// A cache tier (Redis, Memcached, a CDN edge): replicas that each hold a bounded set of keys.
//
// A read looks the key up (`hit` time). The hit ratio is never an input: it emerges from the key
// popularity, the capacity (entries, or bytes with each value charged its size), the eviction
// policy (models/cache/cache_store.hpp), the TTL, invalidating writes and the cold start. With several
// replicas the callers place keys on a consistent-hash ring, so one hot key is one hot replica.
//
// How writes and misses meet the backend is the write policy:
// - read_through (default): a miss reads the backend and fills; a write invalidates the key and
//   goes to the backend.
// - cache_aside: the cache only answers "hit" or "miss"; the *caller* reads the backend on a miss
//   and writes the value back (a fill), and on a write updates the backend then invalidates the key
//   (models/service/service.cpp drives those steps).
// - write_through: reads as read_through; a write goes to the backend and, once it is durable,
//   updates the cache: its latency is the cache's plus the backend's.
// - write_behind: a write updates the cache and is acknowledged at once; the acknowledged writes
//   are flushed to the backend every `flush_interval` (several writes to one key collapse into
//   one). A crash loses what was not flushed yet: counted as unflushed_writes_lost.
// Concurrent misses of one key each read the backend (a stampede, e.g. when a hot key expires)
// unless `coalesce_misses`, where later misses wait for the read in flight.
//
// Left out on purpose: the value contents (only presence matters), the flush's own CPU cost,
// replication between cache replicas, active TTL expiry, memory fragmentation.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "models/cache/cache_store.hpp"
#include "sim/support/queueing_formulas.hpp"
#include "models/common/station.hpp"
#include "sim/support/distribution.hpp"
#include "models/cache/cache_spec.hpp"

namespace archsim {

// A fixed-capacity set of keys with least-recently-used eviction.
class LruSet {
 public:
  explicit LruSet(uint64_t capacity) : capacity_(capacity) {}
  // True when present (and marks it most recently used).
  bool touch(uint64_t key);
  // Inserts as most recently used; returns true when an entry was evicted to make room.
  bool insert(uint64_t key);
  void erase(uint64_t key);
  size_t size() const { return index_.size(); }

 private:
  uint64_t capacity_;
  std::list<uint64_t> order_;  // front = most recent
  std::unordered_map<uint64_t, std::list<uint64_t>::iterator> index_;
};

class Cache : public Station {
 public:
  // The cache's parameters (cache_spec.hpp) and its wiring.
  struct Params : CacheSpec {
    StationParams station;
    Distribution cpu;
    ResolvedCall backend_call;  // how it reaches `backend`
    uint32_t replica = 0;       // this replica's index, for the per-replica load
    // `warm`: keys 0..warm_keys-1 are the candidates, each charged warm_charge; `owns` says which
    // this replica holds (null: all).
    uint64_t warm_keys = 0;
    double warm_charge = 1;
    std::function<bool(uint64_t)> owns;
    // Each key's steady-state probability of being held (Che's view of the callers' reads); null:
    // the most popular keys are taken in rank order. `warm_seed` draws which keys are held.
    std::shared_ptr<const CheView> warm_view;
    uint64_t warm_seed = 0;
  };

  Cache(Params params, ComponentStats* stats, Rng rng);

  void on_start(Context& ctx) override;
  void on_message(Context& ctx, MessagePtr msg) override;
  void on_timer(Context& ctx, uint64_t tag) override;
  void on_crash(Context& ctx) override;
  void on_recover(Context& ctx) override;
  void on_end(Context& ctx) override;
  // `warm: true`: fills the store before the first request (Params::warm_keys).
  void fill_warm();

  const CacheStore& store() const { return *store_; }

 protected:
  void step(Context& ctx, Job& job) override;

 private:
  struct Dirty {
    uint64_t writes = 0;  // acknowledged writes not flushed yet
    uint16_t type = 0;
    double request_bytes = 0, response_bytes = 0;
  };
  double charge_of(const Message& m) const;
  void fill(Context& ctx, Job& job);
  void flush(Context& ctx);
  // Write-behind: the flush timer runs only while something waits to be flushed, on the ticks
  // flush_interval apart from the start (or the last recovery), so an idle cache costs no events.
  void arm_flush(Context& ctx);

  Params p_;
  std::unique_ptr<CacheStore> store_;
  std::unordered_map<uint64_t, uint32_t> reads_in_flight_;            // key -> backend reads outstanding
  std::unordered_map<uint64_t, std::vector<uint64_t>> waiters_;       // key -> jobs waiting for that read
  std::map<uint64_t, Dirty> dirty_;                                   // ordered: flushes are deterministic
  uint64_t next_flush_ = 0;
  double flush_tick_ = 0;     // the next flush tick
  bool flush_armed_ = false;  // a timer waits for flush_tick_
};

}  // namespace archsim
