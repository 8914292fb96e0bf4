#include "sim/support/consistency.hpp"

#include "sim/support/history.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace archsim {

const double StoreStats::kVisibilityEdges[StoreStats::kVisibilityBins] = {
    0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};

namespace {
// Records of values that no replica holds and whose operation ended are dropped after this long:
// a copy still travelling (a hint, a late replication) arrives well within it.
constexpr double kValueRetention = 120;
constexpr size_t kPruneEvery = 1 << 16;
}  // namespace

ConsistencyOracle::ConsistencyOracle(StoreStats* stats, int replicas, std::vector<std::pair<double, double>> fault_windows,
                                     std::vector<double> heals)
    : st_(stats), replicas_(replicas), faults_(std::move(fault_windows)), heal_times_(std::move(heals)) {
  std::sort(heal_times_.begin(), heal_times_.end());
  free_processes_.resize(static_cast<size_t>(replicas));
  next_process_.assign(static_cast<size_t>(replicas), 0);
  st_->diverged.configure(st_->window_start, st_->window_end);
}

bool ConsistencyOracle::in_fault(double t) const {
  for (const auto& [a, b] : faults_)
    if (t >= a && t < b) return true;
  return false;
}

// Starts watching convergence at every heal the clock has passed.
void ConsistencyOracle::advance(double now) {
  while (next_heal_ < heal_times_.size() && heal_times_[next_heal_] <= now) {
    StoreStats::Heal h;
    h.at = heal_times_[next_heal_++];
    h.diverged = diverged_keys_.size();
    watching_ = diverged_keys_;
    if (watching_.empty()) h.converged_at = h.at;
    st_->heals.push_back(h);
  }
}

uint32_t ConsistencyOracle::take_process(int coordinator) {
  auto& free = free_processes_[static_cast<size_t>(coordinator)];
  uint32_t slot;
  if (!free.empty()) {
    slot = free.back();
    free.pop_back();
  } else {
    slot = next_process_[static_cast<size_t>(coordinator)]++;
  }
  return (static_cast<uint32_t>(coordinator) << 20) | slot;
}

double ConsistencyOracle::ack_of(uint64_t value) const {
  auto it = values_.find(value);
  return it == values_.end() ? -1 : it->second.ack;
}

uint64_t ConsistencyOracle::invoke(double now, int coordinator, bool write, uint64_t key, uint64_t value) {
  advance(now);
  uint64_t id = next_op_++;
  Op& op = ops_[id];
  op.start = now;
  op.key = key;
  op.value = value;
  op.write = write;
  op.measured = now >= st_->window_start;
  op.coordinator = coordinator;
  op.process = take_process(coordinator);
  if (history_) {
    int64_t k = key_offset_ + static_cast<int64_t>(key);
    history_->invoke(now, process_offset_ + op.process, write ? Operation::write(k, static_cast<int64_t>(value)) : Operation::read(k));
  }
  if (write) {
    ValueRecord& v = values_[value];
    v.key = key;
    v.invoke = now;
    if (values_.size() % kPruneEvery == 0) prune(now);
  } else if (auto it = keys_.find(key); it != keys_.end()) {
    op.newest_invoke = it->second.newest_acked_invoke;
    op.newest_ack = it->second.newest_acked_ack;
    op.last_ack = it->second.last_ack;
  }
  return id;
}

void ConsistencyOracle::complete(double now, uint64_t id, Outcome outcome, uint64_t value, bool siblings) {
  advance(now);
  auto it = ops_.find(id);
  if (it == ops_.end()) return;
  Op op = it->second;
  ops_.erase(it);
  free_processes_[static_cast<size_t>(op.coordinator)].push_back(op.process & 0xFFFFF);
  if (history_) {
    OpType type = outcome == Outcome::Ok                                     ? OpType::Ok
                  : outcome == Outcome::Fail || outcome == Outcome::Replayed ? OpType::Fail
                                                                             : OpType::Info;
    std::optional<int64_t> read;
    if (!op.write && outcome == Outcome::Ok && value != 0) read = static_cast<int64_t>(value);
    history_->complete(now, process_offset_ + op.process, type, read);
  }
  const std::string& region = st_->regions[static_cast<size_t>(op.coordinator)];
  size_t ri = static_cast<size_t>(
      std::find(st_->region_names.begin(), st_->region_names.end(), region) - st_->region_names.begin());
  bool ok = outcome == Outcome::Ok || outcome == Outcome::Replayed;
  // Availability per second covers the whole run, counted when the operation began.
  auto& series = st_->series[ri];
  size_t sec = static_cast<size_t>(std::floor(op.start));
  if (series.size() <= sec) series.resize(sec + 1);
  ++series[sec].attempted;
  if (ok) ++series[sec].ok;

  auto& side = st_->by_region[ri];
  bool normal = !in_fault(op.start) && !in_fault(now);
  if (op.write) {
    auto vit = values_.find(op.value);
    if (vit != values_.end()) vit->second.open = false;
    if (op.measured) {
      ++side.writes;
      if (ok) ++side.writes_ok;
      if (ok && normal) st_->write_latency.record(now - op.start);
    }
    if (outcome != Outcome::Ok || vit == values_.end()) return;
    ValueRecord& v = vit->second;
    v.ack = now;
    ++st_->writes_acknowledged;
    if (v.doomed && !v.counted) {
      v.counted = true;
      ++st_->lost_acknowledged_writes;
    }
    KeyState& ks = keys_[op.key];
    if (ks.held.empty()) {
      ks.held.assign(static_cast<size_t>(replicas_), 0);
      ks.state.assign(static_cast<size_t>(replicas_), 0);
    }
    if (v.invoke > ks.newest_acked_invoke) {
      ks.newest_acked_invoke = v.invoke;
      ks.newest_acked_ack = now;
    }
    ks.last_ack = now;
    return;
  }
  if (op.measured) {
    ++side.reads;
    if (ok) ++side.reads_ok;
    if (ok && normal) st_->read_latency.record(now - op.start);
  }
  if (!ok || !op.measured) return;
  if (siblings) ++st_->sibling_reads;
  ++st_->reads_checked;
  bool stale = false;
  if (op.newest_invoke >= 0) {
    if (value == 0) {
      stale = true;
    } else {
      double a = ack_of(value);
      // A value never acknowledged was invoked after the read began or overlaps it: not older.
      stale = a >= 0 && a < op.newest_invoke;
    }
  }
  if (stale) {
    ++st_->stale_reads;
    st_->staleness.record(std::max(0.0, op.start - op.newest_ack));
  }
  if (op.last_ack >= 0 && normal) {
    double since = op.start - op.last_ack;
    int bin = 0;
    while (bin + 1 < StoreStats::kVisibilityBins && since >= StoreStats::kVisibilityEdges[bin + 1]) ++bin;
    ++st_->visibility_reads[bin];
    if (!stale) ++st_->visibility_fresh[bin];
  }
}

void ConsistencyOracle::update_divergence(double now, uint64_t key, KeyState& ks) {
  bool same = std::all_of(ks.state.begin(), ks.state.end(), [&](uint64_t s) { return s == ks.state[0]; });
  if (same) {
    if (diverged_keys_.erase(key)) st_->diverged.add(now, -1);
    if (watching_.erase(key) && watching_.empty() && !st_->heals.empty() && st_->heals.back().converged_at < 0)
      st_->heals.back().converged_at = now;
  } else if (diverged_keys_.insert(key).second) {
    st_->diverged.add(now, 1);
  }
}

void ConsistencyOracle::hold(double now, int replica, uint64_t key, uint64_t value, uint64_t state) {
  advance(now);
  KeyState& ks = keys_[key];
  if (ks.held.empty()) {
    ks.held.assign(static_cast<size_t>(replicas_), 0);
    ks.state.assign(static_cast<size_t>(replicas_), 0);
  }
  uint64_t old = ks.held[static_cast<size_t>(replica)];
  if (old != value) {
    if (auto it = values_.find(old); old != 0 && it != values_.end() && it->second.holders > 0) --it->second.holders;
    if (auto it = values_.find(value); value != 0 && it != values_.end()) ++it->second.holders;
    ks.held[static_cast<size_t>(replica)] = value;
  }
  ks.state[static_cast<size_t>(replica)] = state;
  update_divergence(now, key, ks);
}

void ConsistencyOracle::discard(double now, uint64_t loser, uint64_t winner) {
  advance(now);
  auto it = values_.find(loser);
  if (it == values_.end() || loser == winner) return;
  ValueRecord& v = it->second;
  double winner_ack = ack_of(winner);
  if (winner_ack >= 0 && winner_ack < v.invoke) v.doomed = true;
  if (v.doomed && v.ack >= 0 && !v.counted) {
    v.counted = true;
    ++st_->lost_acknowledged_writes;
  }
}

void ConsistencyOracle::prune(double now) {
  for (auto it = values_.begin(); it != values_.end();) {
    const ValueRecord& v = it->second;
    if (v.holders == 0 && !v.open && v.invoke < now - kValueRetention) it = values_.erase(it);
    else ++it;
  }
}

void ConsistencyOracle::finish(double end) {
  advance(end);
  st_->diverged.close(end);
  st_->diverged_at_end = diverged_keys_.size();
}

void AppliedLog::applied(int replica, uint64_t index, uint64_t term, uint64_t value) {
  Slot& s = slots_[index % kWindow];
  if (s.index != index) {
    s = Slot{index, term, value, replica};
    return;
  }
  if ((s.term != term || s.value != value) && st_->safety_violation.empty())
    st_->safety_violation = fmt::format(
        "log index {} was applied as term {} value {} by replica {} and as term {} value {} by replica {}", index, s.term,
        s.value, s.replica, term, value, replica);
}

}  // namespace archsim
