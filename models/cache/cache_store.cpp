#include "models/cache/cache_store.hpp"

#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "sim/support/id_map.hpp"

namespace archsim {

const char* to_string(Eviction e) {
  switch (e) {
    case Eviction::Lru:
      return "lru";
    case Eviction::Lfu:
      return "lfu";
    case Eviction::Fifo:
      return "fifo";
  }
  return "?";
}

namespace {

// LRU and FIFO: an intrusive doubly linked list over a slot vector (no allocation per insert once
// warm, unlike std::list), indexed by key. FIFO is LRU without the move on a hit.
class ListCache : public CacheStore {
 public:
  ListCache(const CacheStoreParams& p, bool promote_on_hit) : p_(p), promote_(promote_on_hit) {}

  Lookup lookup(uint64_t key, double now) override {
    const uint32_t* found = index_.find(key);
    if (!found) return Lookup::Miss;
    uint32_t s = *found;
    if (p_.ttl > 0 && now - slots_[s].written >= p_.ttl) {
      remove(key);
      ++expired_;
      return Lookup::Expired;
    }
    if (promote_) {
      unlink(s);
      push_front(s);
    }
    return Lookup::Hit;
  }

  uint64_t insert(uint64_t key, double charge, double now) override {
    if (index_.find(key)) remove(key);  // rewritten: new charge, new TTL, most recent
    if (charge > p_.capacity) return 0;
    uint64_t before = evictions_;
    while (used_ + charge > p_.capacity && tail_ != kNil) {
      remove(slots_[tail_].key);
      ++evictions_;
    }
    uint32_t s;
    if (!free_.empty()) {
      s = free_.back();
      free_.pop_back();
    } else {
      s = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    slots_[s] = {key, charge, now, kNil, kNil};
    push_front(s);
    index_.insert(key) = s;
    used_ += charge;
    return evictions_ - before;
  }

  void erase(uint64_t key) override {
    if (index_.find(key)) remove(key);
  }

  void clear() override {
    index_.clear();
    slots_.clear();
    free_.clear();
    head_ = tail_ = kNil;
    used_ = 0;
  }
  bool contains(uint64_t key) const override { return index_.contains(key); }
  size_t size() const override { return index_.size(); }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  struct Slot {
    uint64_t key;
    double charge;
    double written;
    uint32_t prev, next;
  };
  // Key -> slot, in a flat table: a lookup runs on every request. Keys come from the key
  // distributions and traces (below 2^63), so 2^64 - 1 marks a free entry.
  using Index = IdMap<uint32_t, UINT64_MAX>;

  void unlink(uint32_t s) {
    Slot& x = slots_[s];
    (x.prev == kNil ? head_ : slots_[x.prev].next) = x.next;
    (x.next == kNil ? tail_ : slots_[x.next].prev) = x.prev;
  }
  void push_front(uint32_t s) {
    slots_[s].prev = kNil;
    slots_[s].next = head_;
    if (head_ != kNil) slots_[head_].prev = s;
    head_ = s;
    if (tail_ == kNil) tail_ = s;
  }
  // REQUIRES: `key` is in the cache.
  void remove(uint64_t key) {
    uint32_t s = *index_.find(key);
    unlink(s);
    used_ -= slots_[s].charge;
    free_.push_back(s);
    index_.erase(key);
  }

  CacheStoreParams p_;
  bool promote_;
  Index index_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  uint32_t head_ = kNil, tail_ = kNil;
};

// LFU: entries ordered by (hits, last use); the first in that order leaves.
class LfuCache : public CacheStore {
 public:
  explicit LfuCache(const CacheStoreParams& p) : p_(p) {}

  Lookup lookup(uint64_t key, double now) override {
    auto it = index_.find(key);
    if (it == index_.end()) return Lookup::Miss;
    Entry& e = it->second;
    if (p_.ttl > 0 && now - e.written >= p_.ttl) {
      remove(it);
      ++expired_;
      return Lookup::Expired;
    }
    order_.erase({e.uses, e.last, key});
    ++e.uses;
    e.last = ++clock_;
    order_.insert({e.uses, e.last, key});
    return Lookup::Hit;
  }

  uint64_t insert(uint64_t key, double charge, double now) override {
    uint64_t uses = 0;
    auto it = index_.find(key);
    if (it != index_.end()) {
      uses = it->second.uses;  // a rewrite keeps the key's popularity
      remove(it);
    }
    if (charge > p_.capacity) return 0;
    uint64_t before = evictions_;
    while (used_ + charge > p_.capacity && !order_.empty()) {
      remove(index_.find(std::get<2>(*order_.begin())));
      ++evictions_;
    }
    Entry e{charge, now, uses, ++clock_};
    order_.insert({e.uses, e.last, key});
    index_.emplace(key, e);
    used_ += charge;
    return evictions_ - before;
  }

  void erase(uint64_t key) override {
    auto it = index_.find(key);
    if (it != index_.end()) remove(it);
  }
  void clear() override {
    index_.clear();
    order_.clear();
    used_ = 0;
  }
  bool contains(uint64_t key) const override { return index_.count(key) != 0; }
  size_t size() const override { return index_.size(); }

 private:
  struct Entry {
    double charge;
    double written;
    uint64_t uses;
    uint64_t last;
  };
  using Index = std::unordered_map<uint64_t, Entry>;
  void remove(Index::iterator it) {
    order_.erase({it->second.uses, it->second.last, it->first});
    used_ -= it->second.charge;
    index_.erase(it);
  }

  CacheStoreParams p_;
  Index index_;
  std::set<std::tuple<uint64_t, uint64_t, uint64_t>> order_;  // (uses, last use, key)
  uint64_t clock_ = 0;
};

}  // namespace

std::unique_ptr<CacheStore> make_lru_cache(const CacheStoreParams& p) { return std::make_unique<ListCache>(p, true); }
std::unique_ptr<CacheStore> make_fifo_cache(const CacheStoreParams& p) { return std::make_unique<ListCache>(p, false); }
std::unique_ptr<CacheStore> make_lfu_cache(const CacheStoreParams& p) { return std::make_unique<LfuCache>(p); }

std::unique_ptr<CacheStore> make_cache_store(const CacheStoreParams& p) {
  switch (p.eviction) {
    case Eviction::Lfu:
      return make_lfu_cache(p);
    case Eviction::Fifo:
      return make_fifo_cache(p);
    case Eviction::Lru:
      break;
  }
  return make_lru_cache(p);
}

}  // namespace archsim
