// What a cache replica holds: a bounded set of keys and the eviction policy that decides which key
// leaves when a new one needs room. The interface and its factory sit above the variants, as
// LevelDB's Cache / NewLRUCache do, so the Cache model never knows which policy it runs.
//
// Capacity is a budget of *charge*: 1 per entry when the capacity is counted in entries, the
// value's size in bytes when it is counted in bytes. An entry older than the TTL is expired when it
// is next looked up (lazy expiry, as Redis's passive expiry; the active sampler is left out), and
// counts as a miss. Values themselves are not stored: only which keys are present matters here.
#pragma once

#include <cstdint>
#include <memory>

#include "models/cache/cache_spec.hpp"

namespace archsim {

using Eviction = CacheEviction;  // models/cache/cache_spec.hpp
const char* to_string(Eviction e);

struct CacheStoreParams {
  Eviction eviction = Eviction::Lru;
  double capacity = 1;  // total charge (entries, or bytes); more holds more keys but costs memory
  double ttl = 0;       // seconds an entry stays valid after it is written; 0 = forever. Shorter = fresher, more misses
};

class CacheStore {
 public:
  enum class Lookup { Hit, Miss, Expired };
  virtual ~CacheStore() = default;

  // Looks `key` up at time `now`. A hit counts as a use (recency, frequency); an expired entry is
  // removed and reported as Expired.
  virtual Lookup lookup(uint64_t key, double now) = 0;
  // Writes `key` with `charge` at time `now` (refreshing its TTL), evicting until it fits. A key
  // whose charge exceeds the whole capacity is not stored. Returns the entries evicted.
  // REQUIRES: charge > 0.
  virtual uint64_t insert(uint64_t key, double charge, double now) = 0;
  // Removes `key` if present (an invalidation; not an eviction).
  virtual void erase(uint64_t key) = 0;
  // Forgets every entry (a crash: memory is lost).
  virtual void clear() = 0;
  virtual bool contains(uint64_t key) const = 0;
  virtual size_t size() const = 0;

  uint64_t evictions() const { return evictions_; }
  uint64_t expired() const { return expired_; }
  double used() const { return used_; }

 protected:
  uint64_t evictions_ = 0, expired_ = 0;
  double used_ = 0;
};

// Least recently used: a hit moves the key to the front; the back leaves first.
std::unique_ptr<CacheStore> make_lru_cache(const CacheStoreParams& p);
// Least frequently used: the key with the fewest hits since it was inserted leaves first; ties go
// to the least recently used of them. A burst of one-off keys cannot flush the popular ones, but
// a key popular yesterday can squat for a long time (no aging).
std::unique_ptr<CacheStore> make_lfu_cache(const CacheStoreParams& p);
// First in, first out: hits do not matter; the oldest insertion leaves first.
std::unique_ptr<CacheStore> make_fifo_cache(const CacheStoreParams& p);
// The variant `p.eviction` names.
std::unique_ptr<CacheStore> make_cache_store(const CacheStoreParams& p);

}  // namespace archsim
