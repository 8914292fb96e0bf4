// The most requested keys in bounded memory: Space-Saving (Metwally, Agrawal, El Abbadi 2005).
//
// `k` counters; a key without one takes over the smallest counter and inherits its count as its
// possible overestimate (`error`). Every key requested more than total / k times is guaranteed a
// counter, and each count is at most `error` above the truth. Memory is O(k) whatever the number
// of requests or keys; a larger k tightens the estimates of the tail of the top list.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace archsim {

class HeavyHitters {
 public:
  struct Entry {
    uint64_t key = 0;
    uint64_t count = 0;  // an upper bound of the key's true count
    uint64_t error = 0;  // count - error is a lower bound
    uint32_t tag = 0;    // what the caller attached to the key's last occurrence (e.g. its replica)
  };
  explicit HeavyHitters(size_t k = 64) : k_(k) {}

  void add(uint64_t key, uint32_t tag = 0) {
    ++total_;
    auto it = index_.find(key);
    if (it != index_.end()) {
      ++counters_[it->second].count;
      counters_[it->second].tag = tag;
      return;
    }
    if (counters_.size() < k_) {
      index_.emplace(key, counters_.size());
      counters_.push_back({key, 1, 0, tag});
      return;
    }
    size_t min = 0;  // a linear scan: k is small, and it keeps the choice deterministic
    for (size_t i = 1; i < counters_.size(); ++i)
      if (counters_[i].count < counters_[min].count) min = i;
    Entry& e = counters_[min];
    index_.erase(e.key);
    e = {key, e.count + 1, e.count, tag};
    index_.emplace(key, min);
  }

  uint64_t total() const { return total_; }
  // The `n` largest counters, largest first (ties: smaller key first).
  std::vector<Entry> top(size_t n) const {
    std::vector<Entry> v = counters_;
    std::sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.count != b.count ? a.count > b.count : a.key < b.key; });
    if (v.size() > n) v.resize(n);
    return v;
  }

 private:
  size_t k_;
  uint64_t total_ = 0;
  std::vector<Entry> counters_;
  std::unordered_map<uint64_t, size_t> index_;
};

}  // namespace archsim
