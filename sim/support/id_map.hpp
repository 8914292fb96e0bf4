// A map from ids to values, for the per-request tables of the models (a station's jobs, a
// client's requests in flight, a balancer's pending calls): every request inserts one entry and
// erases it, so a node-based hash map would allocate and free once per request. This one is open
// addressing with linear probing over a power-of-two table and deletion by backward shift: in
// steady state it allocates nothing. Ids are spread by Fibonacci hashing, so that dense ranges
// (a hot set of keys 0..N) do not pile up into one long probe run.
//
// One id value, `kEmpty` (0 unless given), marks a free slot and cannot be a key.
//
// Values live in the table: an insertion or an erasure may move other entries, so no reference or
// pointer to a value may be held across either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace archsim {

template <typename V, uint64_t kEmpty = 0>
class IdMap {
 public:
  // The value of `id`, or null.
  V* find(uint64_t id) {
    if (size_ == 0) return nullptr;
    for (size_t i = home(id);; i = (i + 1) & mask_) {
      if (slots_[i].id == id) return &slots_[i].value;
      if (slots_[i].id == kEmpty) return nullptr;
    }
  }
  // A fresh value-initialized entry for `id`. REQUIRES: id != kEmpty, not in the map.
  V& insert(uint64_t id) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    size_t i = home(id);
    while (slots_[i].id != kEmpty) i = (i + 1) & mask_;
    slots_[i].id = id;
    ++size_;
    return slots_[i].value;
  }
  // Removes `id`; returns whether it was there.
  bool erase(uint64_t id) {
    if (size_ == 0) return false;
    size_t i = home(id);
    while (slots_[i].id != id) {
      if (slots_[i].id == kEmpty) return false;
      i = (i + 1) & mask_;
    }
    // Backward shift: move later entries of the probe run into the hole while that keeps each
    // reachable from its home slot.
    for (size_t j = (i + 1) & mask_; slots_[j].id != kEmpty; j = (j + 1) & mask_) {
      size_t h = home(slots_[j].id);
      if (((j - h) & mask_) >= ((j - i) & mask_)) {
        slots_[i].id = slots_[j].id;
        slots_[i].value = std::move(slots_[j].value);
        i = j;
      }
    }
    slots_[i].id = kEmpty;
    slots_[i].value = V();
    --size_;
    return true;
  }
  bool contains(uint64_t id) const { return const_cast<IdMap*>(this)->find(id) != nullptr; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    for (auto& s : slots_) s = Slot();
    size_ = 0;
  }
  // Calls f(id, value) for every entry, in table order (not id order).
  template <typename F>
  void for_each(F f) const {
    for (const auto& s : slots_)
      if (s.id != kEmpty) f(s.id, s.value);
  }

 private:
  struct Slot {
    uint64_t id = kEmpty;
    V value{};
  };
  size_t home(uint64_t id) const { return static_cast<size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_); }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(old.empty() ? 16 : 2 * old.size());
    mask_ = slots_.size() - 1;
    shift_ = 64;
    for (size_t n = slots_.size(); n > 1; n >>= 1) --shift_;
    size_ = 0;
    for (auto& s : old)
      if (s.id != kEmpty) insert(s.id) = std::move(s.value);
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 64;  // 64 - log2(table size)
  size_t size_ = 0;
};

}  // namespace archsim
