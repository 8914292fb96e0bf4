// The most requested keys in bounded memory: Space-Saving (Metwally, Agrawal, El Abbadi 2005).
//
// `k` counters; a key without one takes over the smallest counter and inherits its count as its
// possible overestimate (`error`). Every key requested more than total / k times is guaranteed a
// counter, and each count is at most `error` above the truth. Memory is O(k) whatever the number
// of requests or keys; a larger k tightens the estimates of the tail of the top list.
#pragma once

#include <algorithm>
#include <cstdint>
#include <climits>
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
  explicit HeavyHitters(size_t k = 64) : k_(k) {
    size_t slots = 1;
    while (slots < 2 * k_) slots <<= 1;
    slots_.assign(slots, kEmpty);
  }

  void add(uint64_t key, uint32_t tag = 0) {
    ++total_;
    size_t at = find(key);
    if (slots_[at] != kEmpty) {
      uint32_t i = slots_[at];
      ++counters_[i].count;
      counters_[i].tag = tag;
      if (i == min_) advance_min();
      return;
    }
    if (counters_.size() < k_) {
      slots_[at] = static_cast<uint32_t>(counters_.size());
      counters_.push_back({key, 1, 0, tag});
      if (counters_.size() == k_) rescan_min();
      return;
    }
    size_t min = min_;  // the first counter with the smallest count: deterministic
    Entry& e = counters_[min];
    erase(e.key);
    e = {key, e.count + 1, e.count, tag};
    slots_[find(key)] = static_cast<uint32_t>(min);
    advance_min();
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
  // The index from key to counter: open addressing with linear probing over at least 2k slots
  // (no allocation per key), each slot a counter's index or kEmpty.
  static constexpr uint32_t kEmpty = UINT32_MAX;
  size_t home(uint64_t key) const {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return static_cast<size_t>(key) & (slots_.size() - 1);
  }
  // The slot holding `key`, or the empty slot where it would go.
  size_t find(uint64_t key) const {
    size_t i = home(key);
    while (slots_[i] != kEmpty && counters_[slots_[i]].key != key) i = (i + 1) & (slots_.size() - 1);
    return i;
  }
  // Removes `key` (present), shifting back the entries of its probe run.
  void erase(uint64_t key) {
    size_t mask = slots_.size() - 1, i = find(key);
    slots_[i] = kEmpty;
    for (size_t j = (i + 1) & mask; slots_[j] != kEmpty; j = (j + 1) & mask) {
      size_t h = home(counters_[slots_[j]].key);
      // Entry j may move to the hole at i when its home is not within (i, j] (cyclically).
      bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      slots_[j] = kEmpty;
      i = j;
    }
  }

  // min_: the first counter (lowest index) with the smallest count, once all k are in use. Counts
  // only grow, so when min_'s count grows the next minimum is the first later counter with the
  // old count, or else found by a new scan: O(1) per add, amortized.
  void rescan_min() {
    min_ = 0;
    for (uint32_t i = 1; i < counters_.size(); ++i)
      if (counters_[i].count < counters_[min_].count) min_ = i;
  }
  void advance_min() {
    uint64_t m = counters_[min_].count - 1;  // the smallest count before min_'s grew
    for (uint32_t i = min_ + 1; i < counters_.size(); ++i)
      if (counters_[i].count == m) {
        min_ = i;
        return;
      }
    rescan_min();
  }

  size_t k_;
  uint64_t total_ = 0;
  std::vector<Entry> counters_;
  std::vector<uint32_t> slots_;
  uint32_t min_ = UINT32_MAX;
};

}  // namespace archsim
