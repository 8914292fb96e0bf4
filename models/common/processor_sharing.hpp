// A processor-sharing resource of `capacity` servers: CPU cores, or the parallel channels of a
// disk. With n jobs in service each progresses at rate min(1, capacity / n), the behaviour of an
// OS scheduler time-slicing threads over cores (and of SimGrid's own CPU model), computed here in
// O(log n) per event with a virtual clock instead of one SimGrid activity per job.
//
// Virtual time V advances at the per-job rate; a job that arrives at V0 with demand d finishes
// when V reaches V0 + d, so completion order is the order of V0 + d.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <queue>
#include <vector>

namespace archsim {

class ProcessorSharing {
 public:
  explicit ProcessorSharing(double capacity = 1) : capacity_(capacity) {}

  // Starts a job of `work` seconds of service at time `now`. REQUIRES: work > 0, now non-decreasing.
  void add(double now, uint64_t id, double work);
  // The time the next job finishes, or +infinity when idle.
  double next_completion() const;
  // Removes and returns the jobs finished by `now`.
  void pop_completed(double now, std::vector<uint64_t>* out);

  size_t active() const { return heap_.size(); }
  // Servers in use: min(active, capacity).
  double busy() const;

 private:
  void advance(double now);
  double rate() const;

  struct Job {
    double finish_v;
    uint64_t seq;
    uint64_t id;
  };
  struct Later {
    bool operator()(const Job& a, const Job& b) const {
      return a.finish_v != b.finish_v ? a.finish_v > b.finish_v : a.seq > b.seq;
    }
  };
  double capacity_;
  double v_ = 0, last_ = 0;
  uint64_t seq_ = 0;
  std::priority_queue<Job, std::vector<Job>, Later> heap_;
};

}  // namespace archsim
