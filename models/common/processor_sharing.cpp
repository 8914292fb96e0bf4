#include "models/common/processor_sharing.hpp"

#include <algorithm>

namespace archsim {

double ProcessorSharing::rate() const {
  double n = static_cast<double>(heap_.size());
  return n <= capacity_ ? 1.0 : capacity_ / n;
}

double ProcessorSharing::busy() const { return std::min(static_cast<double>(heap_.size()), capacity_); }

void ProcessorSharing::advance(double now) {
  if (now > last_) {
    if (!heap_.empty()) v_ += (now - last_) * rate();
    last_ = now;
  }
}

void ProcessorSharing::add(double now, uint64_t id, double work) {
  advance(now);
  heap_.push({v_ + work, seq_++, id});
}

double ProcessorSharing::next_completion() const {
  if (heap_.empty()) return std::numeric_limits<double>::infinity();
  return last_ + std::max(0.0, heap_.top().finish_v - v_) / rate();
}

void ProcessorSharing::pop_completed(double now, std::vector<uint64_t>* out) {
  advance(now);
  // Tolerance: the engine's clock has a resolution of about 1e-9 s.
  while (!heap_.empty() && heap_.top().finish_v <= v_ + 1e-9) {
    out->push_back(heap_.top().id);
    heap_.pop();
  }
}

}  // namespace archsim
