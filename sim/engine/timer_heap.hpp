// A min-heap of timers with cancellation, shared by both engines. Ties fire in the order they
// were started, so runs are deterministic.
#pragma once

#include <cstdint>
#include <queue>
#include <unordered_set>
#include <vector>

#include "sim/engine/engine.hpp"

namespace archsim {

class TimerHeap {
 public:
  struct Entry {
    double time;
    TimerId id;
    uint64_t tag;
  };

  TimerId push(double time, uint64_t tag) {
    TimerId id = next_id_++;
    heap_.push({time, id, tag});
    return id;
  }
  void cancel(TimerId id) { cancelled_.insert(id); }
  // Drops cancelled entries from the top; returns false when empty.
  bool peek(Entry* out) {
    while (!heap_.empty()) {
      const Entry& e = heap_.top();
      auto it = cancelled_.find(e.id);
      if (it == cancelled_.end()) {
        *out = e;
        return true;
      }
      cancelled_.erase(it);
      heap_.pop();
    }
    return false;
  }
  void pop() { heap_.pop(); }
  size_t size() const { return heap_.size(); }

 private:
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.time != b.time ? a.time > b.time : a.id > b.id; }
  };
  std::priority_queue<Entry, std::vector<Entry>, Later> heap_;
  std::unordered_set<TimerId> cancelled_;
  TimerId next_id_ = 1;
};

}  // namespace archsim
