// A look-aside cache tier (Redis, Memcached) with LRU eviction over a fixed number of entries.
//
// A read looks the key up (`hit` time); a hit answers at once, a miss reads through to the
// backend and fills the entry, evicting the least recently used one. A write invalidates the key
// and goes to the backend. The hit ratio is never an input: it emerges from the key popularity,
// the capacity and the cold start. With several replicas, the key picks the replica (hash mod N).
// Left out here: TTLs, other eviction policies, write policies, value sizes.
#pragma once

#include <cstdint>
#include <list>
#include <unordered_map>

#include "models/station.hpp"
#include "sim/distribution.hpp"

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
  struct Params {
    StationParams station;
    uint64_t capacity = 1;  // entries per replica
    Distribution hit;       // lookup time
    Distribution cpu;
    ResolvedCall backend;
  };
  Cache(Params params, ComponentStats* stats, Rng rng);

 protected:
  void step(Context& ctx, Job& job) override;

 private:
  Params p_;
  LruSet lru_;
};

}  // namespace archsim
