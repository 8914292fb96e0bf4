#include "sim/analysis/linearizability.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "sim/support/random.hpp"

namespace archsim {

const char* verdict_name(CheckVerdict v) {
  switch (v) {
    case CheckVerdict::Linearizable: return "linearizable";
    case CheckVerdict::NotLinearizable: return "not linearizable";
    case CheckVerdict::Unknown: return "unknown";
  }
  return "?";
}

namespace {

using State = std::optional<int64_t>;  // the register's value; nullopt: never written

double steady_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The register model: whether `op` can take effect in state `s`, and the state after it.
bool step(const HistoryOp& op, const State& s, State* next) {
  switch (op.f) {
    case OpKind::Read: *next = s; return s == op.value;
    case OpKind::Write: *next = op.value; return true;
    case OpKind::Cas:
      if (!s || *s != op.expected) return false;
      *next = op.value;
      return true;
  }
  return false;
}

// The operations a key's search considers. Dropped: `fail` operations (they took no effect);
// unknown reads (they constrain nothing); unknown writes and cas whose value no read returned and
// no cas expected: leaving such a write out of any valid order keeps it valid (no read sat between
// it and the next write), so "it never took effect" is always a fine explanation, and each one
// kept would double the points the search can visit. `counts` gets the drops.
struct Drops {
  uint64_t failed = 0, unknown_reads = 0, unobserved_unknown_writes = 0;
};
std::vector<const HistoryOp*> considered_ops(const std::vector<HistoryOp>& all, Drops* counts) {
  std::unordered_set<int64_t> observed;
  for (const auto& op : all) {
    if (op.outcome == OpType::Fail) continue;
    if (op.f == OpKind::Read && op.outcome == OpType::Ok && op.value) observed.insert(*op.value);
    if (op.f == OpKind::Cas) observed.insert(op.expected);
  }
  std::vector<const HistoryOp*> ops;
  for (const auto& op : all) {
    bool unknown = op.outcome == OpType::Info;
    if (op.outcome == OpType::Fail)
      ++counts->failed;
    else if (unknown && op.f == OpKind::Read)
      ++counts->unknown_reads;
    else if (unknown && !observed.count(*op.value))
      ++counts->unobserved_unknown_writes;
    else
      ops.push_back(&op);
  }
  return ops;
}

// (linearized operations, register value): a point of the search already explored. The set is
// kept as a 128-bit Zobrist hash (each operation XORs in two fixed random words), updated in O(1)
// per step and 24 bytes per point whatever the number of operations; two different sets collide
// with probability about 2^-128 per pair, which could only prune a branch wrongly.
// The value is kept as the search needs it: every value that no read returns and no cas expects
// behaves the same from then on (each read and cas fails on it), so they are one point.
struct MemoKey {
  uint64_t h1 = 0, h2 = 0;
  State state;
  bool unobserved = false;  // then `state` is empty
  bool operator==(const MemoKey& o) const {
    return h1 == o.h1 && h2 == o.h2 && state == o.state && unobserved == o.unobserved;
  }
};
struct MemoHash {
  size_t operator()(const MemoKey& k) const {
    uint64_t v = k.unobserved ? 0xbb67ae8584caa73bULL
                 : k.state    ? mix64(static_cast<uint64_t>(*k.state))
                              : 0x6a09e667f3bcc908ULL;
    return static_cast<size_t>(k.h1 ^ v);
  }
};

bool concurrent(const HistoryOp& a, const HistoryOp& b) { return a.call <= b.ret && b.call <= a.ret; }

Violation make_violation(int64_t key, const std::vector<const HistoryOp*>& ops, const std::vector<int>& prefix,
                         int blocked, const State& prefix_state) {
  Violation v;
  v.key = key;
  v.key_operations = ops.size();
  v.prefix_length = prefix.size();
  v.prefix_value = prefix_state;
  const HistoryOp& b = *ops[static_cast<size_t>(blocked)];
  v.blocked = b;

  std::vector<int> around;
  for (size_t i = 0; i < ops.size(); ++i)
    if (static_cast<int>(i) != blocked && concurrent(*ops[i], b)) around.push_back(static_cast<int>(i));
  // Keep those invoked nearest the blocked operation when there are too many to read.
  size_t room = kMaxExcerpt - 2;  // the blocked operation and the last write before it
  if (around.size() > room) {
    std::stable_sort(around.begin(), around.end(), [&](int x, int y) {
      return std::fabs(ops[static_cast<size_t>(x)]->call - b.call) <
             std::fabs(ops[static_cast<size_t>(y)]->call - b.call);
    });
    around.resize(room);
    v.excerpt_truncated = true;
  }
  around.push_back(blocked);
  for (auto it = prefix.rbegin(); it != prefix.rend(); ++it) {
    const HistoryOp& x = *ops[static_cast<size_t>(*it)];
    if (x.f != OpKind::Read && x.ret < b.call) {
      if (std::find(around.begin(), around.end(), *it) == around.end()) around.push_back(*it);
      break;
    }
  }
  for (int i : around) v.excerpt.push_back(*ops[static_cast<size_t>(i)]);
  std::sort(v.excerpt.begin(), v.excerpt.end(), [](const HistoryOp& x, const HistoryOp& y) {
    return x.call != y.call ? x.call < y.call : x.invoke_line < y.invoke_line;
  });
  return v;
}

// The entry list: invocations and completions sorted by time, invocations first at equal times
// (they count as concurrent), node 0 a head sentinel, -1 the end. Linked both ways, so that an
// operation can be taken out and put back in O(1).
class EntryList {
 public:
  explicit EntryList(const std::vector<const HistoryOp*>& ops) {
    size_t n = ops.size();
    struct Entry {
      double time;
      bool call;
      int op;
    };
    std::vector<Entry> sorted;
    sorted.reserve(2 * n);
    for (size_t i = 0; i < n; ++i) {
      sorted.push_back({ops[i]->call, true, static_cast<int>(i)});
      sorted.push_back({ops[i]->ret, false, static_cast<int>(i)});
    }
    std::sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
      if (a.time != b.time) return a.time < b.time;
      if (a.call != b.call) return a.call;
      return a.op < b.op;
    });
    size_t m = sorted.size() + 1;
    next_.resize(m);
    prev_.resize(m);
    op_of_.assign(m, -1);
    match_.assign(m, -1);
    is_call_.assign(m, 0);
    std::vector<int> call_entry(n), return_entry(n);
    for (size_t i = 0; i < sorted.size(); ++i) {
      int e = static_cast<int>(i) + 1;
      op_of_[static_cast<size_t>(e)] = sorted[i].op;
      is_call_[static_cast<size_t>(e)] = sorted[i].call;
      (sorted[i].call ? call_entry : return_entry)[static_cast<size_t>(sorted[i].op)] = e;
    }
    for (size_t i = 0; i < n; ++i) match_[static_cast<size_t>(call_entry[i])] = return_entry[i];
    for (size_t e = 0; e < m; ++e) {
      next_[e] = e + 1 < m ? static_cast<int>(e + 1) : -1;
      prev_[e] = static_cast<int>(e) - 1;
    }
  }

  int first() const { return next_[0]; }
  int next(int e) const { return next_[static_cast<size_t>(e)]; }
  bool is_call(int e) const { return is_call_[static_cast<size_t>(e)]; }
  int op_of(int e) const { return op_of_[static_cast<size_t>(e)]; }

  // Lifting an operation takes its invocation and completion out of the list; undoing it puts
  // them back. Undos come in the reverse order of lifts, so the saved neighbours are still right.
  void lift(int call) {
    unlink(call);
    unlink(match_[static_cast<size_t>(call)]);
  }
  void unlift(int call) {
    relink(match_[static_cast<size_t>(call)]);
    relink(call);
  }

 private:
  void unlink(int e) {
    next_[static_cast<size_t>(prev_[static_cast<size_t>(e)])] = next_[static_cast<size_t>(e)];
    if (next_[static_cast<size_t>(e)] != -1)
      prev_[static_cast<size_t>(next_[static_cast<size_t>(e)])] = prev_[static_cast<size_t>(e)];
  }
  void relink(int e) {
    next_[static_cast<size_t>(prev_[static_cast<size_t>(e)])] = e;
    if (next_[static_cast<size_t>(e)] != -1) prev_[static_cast<size_t>(next_[static_cast<size_t>(e)])] = e;
  }

  std::vector<int> next_, prev_, op_of_, match_;
  std::vector<char> is_call_;
};

// One key's search for an order of its operations the register allows (see the header).
//
// The search, one level per linearized operation. At each level the candidates are the
// invocations before the first completion still in the list (an operation whose completion has
// passed must already be linearized). They are tried in order of completion time, earliest
// first: the operation that must take effect soonest goes first, which is the order a register
// that took each operation at one instant inside its interval most often used; a write that
// completes late is not placed early only to be undone.
//
// A read that finds the register's value is linearized at once and never as a choice: it leaves
// the value unchanged, and every operation that completed before its invocation is already
// linearized, so any order that places it later can place it now. When such a read's branch
// fails, the point it was taken from fails too: the search undoes the choice beneath it instead
// of trying siblings. This turns the 2^k subsets of k concurrent reads into one order; writes and
// cas remain choices.
class KeySearch {
 public:
  // REQUIRES: `definite` (the operations of `ops` with a completion) is above 0.
  KeySearch(int64_t key, std::vector<const HistoryOp*> ops, size_t definite, double deadline_s)
      : key_(key), ops_(std::move(ops)), deadline_s_(deadline_s), list_(ops_), remaining_(definite) {
    size_t n = ops_.size();
    z1_.resize(n);
    z2_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      z1_[i] = mix64(0x243f6a8885a308d3ULL + 2 * i);
      z2_[i] = mix64(0x13198a2e03707344ULL + 2 * i + 1);
    }
    for (const auto* op : ops_) {
      if (op->f == OpKind::Read && op->value) observed_.insert(*op->value);
      if (op->f == OpKind::Cas) observed_.insert(op->expected);
    }
  }

  // Searches until every operation with a completion is linearized, none can be, or the deadline.
  KeyResult run() {
    KeyResult result;
    bool fresh_level = true;  // false: resuming the level of a frame just undone
    while (true) {
      if (remaining_ == 0) return result;
      if ((++iterations_ & 1023) == 0 && steady_now() > deadline_s_) {
        result.verdict = CheckVerdict::Unknown;
        return result;
      }
      bool dead_end = false;
      int blocking = -1;  // the first completion in the list
      if (fresh_level) {
        blocking = collect_candidates();
        if (force_read(&dead_end)) continue;
        if (!dead_end) sort_candidates();
      }
      if (!dead_end) {
        if (try_candidates()) {
          fresh_level = true;
          continue;
        }
        if (fresh_level) note_deepest_failure(blocking);
      }
      if (!backtrack()) {
        result.verdict = CheckVerdict::NotLinearizable;
        assert(best_blocked_ >= 0);  // the first failure of a search is never a memo hit
        result.violation = make_violation(key_, ops_, best_prefix_, best_blocked_, best_state_);
        return result;
      }
      fresh_level = false;
    }
  }

 private:
  struct Frame {
    int call;
    State state;
    bool forced;        // a read: not a choice
    size_t cand_begin;  // this level's candidates in `cands_`, and the next one to try
    size_t cand_end;
    size_t cand_next;
  };

  // The operation of a list entry.
  const HistoryOp& op_at(int entry) const { return *ops_[static_cast<size_t>(list_.op_of(entry))]; }

  // The memo's point for the Zobrist words (a, b) and the register value `v`.
  MemoKey memo_key(uint64_t a, uint64_t b, const State& v) const {
    bool unobserved = v && !observed_.count(*v);
    return MemoKey{a, b, unobserved ? State() : v, unobserved};
  }

  // Linearizes the operation of `call` if the register allows it and the point is new.
  // Returns: 1 done, 0 not allowed, -1 allowed but explored before.
  int try_apply(int call, bool forced, size_t begin, size_t end, size_t next_pos) {
    auto id = static_cast<size_t>(list_.op_of(call));
    State after;
    if (!step(*ops_[id], state_, &after)) return 0;
    if (!seen_.insert(memo_key(h1_ ^ z1_[id], h2_ ^ z2_[id], after)).second) return -1;
    stack_.push_back({call, state_, forced, begin, end, next_pos});
    state_ = after;
    h1_ ^= z1_[id];
    h2_ ^= z2_[id];
    list_.lift(call);
    if (std::isfinite(ops_[id]->ret)) --remaining_;
    return 1;
  }

  // Puts this level's candidates in order of completion time, earliest first.
  void sort_candidates() {
    std::sort(cands_.begin() + static_cast<std::ptrdiff_t>(begin_), cands_.end(), [this](int a, int b) {
      const HistoryOp& x = op_at(a);
      const HistoryOp& y = op_at(b);
      if (x.ret != y.ret) return x.ret < y.ret;
      return a < b;
    });
  }

  // Opens a level: its candidates go to the end of `cands_`, from `begin_` to `end_`. Returns the
  // first completion in the list (-1: none).
  int collect_candidates() {
    begin_ = cands_.size();
    int e = list_.first();
    while (e != -1 && list_.is_call(e)) {
      cands_.push_back(e);
      e = list_.next(e);
    }
    end_ = cands_.size();
    pos_ = begin_;
    return e;
  }

  // A read that finds the value goes first, as no choice. Returns whether one was linearized;
  // `dead_end` is set when the first such read was explored from here before, and failed.
  bool force_read(bool* dead_end) {
    for (size_t i = begin_; i < end_; ++i) {
      const HistoryOp& op = op_at(cands_[i]);
      if (op.f != OpKind::Read || op.value != state_) continue;
      if (try_apply(cands_[i], true, begin_, end_, end_) == 1) return true;
      *dead_end = true;
      return false;
    }
    return false;
  }

  // Linearizes the next candidate of this level the register allows. Returns whether there was one.
  bool try_candidates() {
    for (; pos_ < end_; ++pos_)
      if (try_apply(cands_[pos_], false, begin_, end_, pos_ + 1) == 1) return true;
    return false;
  }

  // No operation can go next, and the completion `blocking` says one must: the deepest such point
  // gives the excerpt.
  void note_deepest_failure(int blocking) {
    if (have_best_ && stack_.size() <= best_depth_) return;
    have_best_ = true;
    best_depth_ = stack_.size();
    best_prefix_.clear();
    for (const auto& f : stack_) best_prefix_.push_back(list_.op_of(f.call));
    best_blocked_ = blocking != -1 ? list_.op_of(blocking) : -1;
    best_state_ = state_;
  }

  // This level failed: drop its candidates, undo the latest choice and the forced reads above it.
  // Returns false when there is no choice left to undo.
  bool backtrack() {
    while (true) {
      if (stack_.empty()) return false;
      Frame f = stack_.back();
      stack_.pop_back();
      auto undone = static_cast<size_t>(list_.op_of(f.call));
      state_ = f.state;
      h1_ ^= z1_[undone];
      h2_ ^= z2_[undone];
      list_.unlift(f.call);
      if (std::isfinite(ops_[undone]->ret)) ++remaining_;
      cands_.resize(f.cand_end);
      begin_ = f.cand_begin;
      end_ = f.cand_end;
      pos_ = f.cand_next;
      if (!f.forced) return true;
      cands_.resize(f.cand_begin);  // a forced read's level fails with it
    }
  }

  const int64_t key_;
  const std::vector<const HistoryOp*> ops_;
  const double deadline_s_;
  EntryList list_;
  std::vector<Frame> stack_;
  std::vector<int> cands_;               // the candidate lists of the levels on the stack, one after another
  size_t begin_ = 0, end_ = 0, pos_ = 0;  // the current level's candidates, and the next one to try
  std::vector<uint64_t> z1_, z2_;         // Zobrist words, fixed per operation index: deterministic
  uint64_t h1_ = 0, h2_ = 0;
  std::unordered_set<MemoKey, MemoHash> seen_;
  std::unordered_set<int64_t> observed_;  // values some read returns or some cas expects
  State state_;
  size_t remaining_;
  size_t best_depth_ = 0;
  bool have_best_ = false;
  std::vector<int> best_prefix_;
  int best_blocked_ = -1;
  State best_state_;
  uint64_t iterations_ = 0;
};

}  // namespace

KeyResult check_key(int64_t key, const std::vector<HistoryOp>& all, double deadline_s) {
  Drops drops;
  std::vector<const HistoryOp*> ops = considered_ops(all, &drops);
  size_t definite = 0;  // operations that must be linearized: those with a completion
  for (const auto* op : ops) definite += std::isfinite(op->ret) ? 1 : 0;
  if (definite == 0) return KeyResult();  // unknown writes may all never take effect
  return KeySearch(key, std::move(ops), definite, deadline_s).run();
}

namespace {

// Checks the keys of `h` and adds them to `r`.
void check_keys(const History& h, double deadline, CheckReport& r) {
  for (const auto& [key, ops] : h.by_key) {
    ++r.keys;
    Drops drops;
    r.considered += considered_ops(ops, &drops).size();
    r.dropped_failed += drops.failed;
    r.dropped_unknown_reads += drops.unknown_reads;
    r.dropped_unobserved_writes += drops.unobserved_unknown_writes;
    KeyResult k;
    if (steady_now() > deadline)
      k.verdict = CheckVerdict::Unknown;
    else
      k = check_key(key, ops, deadline);
    if (k.verdict == CheckVerdict::Linearizable) {
      ++r.keys_linearizable;
    } else if (k.verdict == CheckVerdict::NotLinearizable) {
      ++r.keys_not_linearizable;
      if (r.not_linearizable_keys.size() < kMaxListedKeys) r.not_linearizable_keys.push_back(key);
      if (!r.first_violation) r.first_violation = std::move(k.violation);
    } else {
      ++r.keys_unknown;
      if (r.unknown_keys.size() < kMaxListedKeys) r.unknown_keys.push_back(key);
    }
  }
}

void set_verdict(CheckReport& r) {
  r.verdict = r.keys_not_linearizable ? CheckVerdict::NotLinearizable
              : r.keys_unknown        ? CheckVerdict::Unknown
                                      : CheckVerdict::Linearizable;
}

}  // namespace

CheckReport check_history(const History& h, const CheckOptions& options) {
  CheckReport r;
  r.time_limit_s = options.time_limit_s;
  r.operations = h.operations;
  check_keys(h, steady_now() + options.time_limit_s, r);
  set_verdict(r);
  return r;
}

CheckReport check_history_file(const std::string& path, const CheckOptions& options) {
  History all = read_history(path, KeyRange{std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                                            options.max_operations_in_memory});
  if (!all.dropped_for_memory) return check_history(all, options);
  CheckReport r;
  r.time_limit_s = options.time_limit_s;
  r.operations = all.operations;
  double deadline = steady_now() + options.time_limit_s;
  // Consecutive keys, as many operations as the budget allows (a larger key alone), one read each.
  auto it = all.operations_per_key.begin();
  while (it != all.operations_per_key.end()) {
    KeyRange range;
    range.first = it->first;
    uint64_t n = 0;
    while (it != all.operations_per_key.end() && (n == 0 || n + it->second <= options.max_operations_in_memory)) {
      n += it->second;
      range.last = it->first;
      ++it;
    }
    History part = read_history(path, range);
    ++r.file_reads;
    check_keys(part, deadline, r);
  }
  set_verdict(r);
  return r;
}

namespace {

std::string value_text(const std::optional<int64_t>& v) { return v ? fmt::format("{}", *v) : "null"; }

std::string op_text(const HistoryOp& op) {
  switch (op.f) {
    case OpKind::Read: return "read -> " + value_text(op.value);
    case OpKind::Write: return fmt::format("write {}", value_text(op.value));
    case OpKind::Cas: return fmt::format("cas {} -> {}", op.expected, value_text(op.value));
  }
  return "?";
}

std::string outcome_text(const HistoryOp& op) {
  if (op.complete_line == 0) return "unknown (never completed)";
  return op.outcome == OpType::Info ? "unknown (info)" : op_type_name(op.outcome);
}

std::string keys_text(const std::vector<int64_t>& keys, size_t total) {
  std::string s;
  for (size_t i = 0; i < keys.size(); ++i) s += (i ? ", " : "") + fmt::format("{}", keys[i]);
  if (total > keys.size()) s += fmt::format(" and {} more", total - keys.size());
  return s;
}

nlohmann::ordered_json op_json(const HistoryOp& op) {
  nlohmann::ordered_json j;
  j["process"] = op.process;
  j["f"] = op_kind_name(op.f);
  if (op.f == OpKind::Cas)
    j["value"] = {op.expected, *op.value};
  else
    j["value"] = op.value ? nlohmann::ordered_json(*op.value) : nlohmann::ordered_json(nullptr);
  j["type"] = op.complete_line == 0 ? "invoke" : op_type_name(op.outcome);
  j["invoke_line"] = op.invoke_line;
  j["complete_line"] = op.complete_line ? nlohmann::ordered_json(op.complete_line) : nlohmann::ordered_json(nullptr);
  j["invoke_time"] = op.call;
  j["complete_time"] = std::isfinite(op.ret) ? nlohmann::ordered_json(op.ret) : nlohmann::ordered_json(nullptr);
  return j;
}

}  // namespace

std::string check_text(const CheckReport& r) {
  std::string s = fmt::format("{}\n", verdict_name(r.verdict));
  s += fmt::format(
      "history: {} operations on {} keys; {} checked; dropped: {} failed, {} unknown reads, {} unknown writes "
      "nobody read\n",
      r.operations, r.keys, r.considered, r.dropped_failed, r.dropped_unknown_reads, r.dropped_unobserved_writes);
  s += fmt::format("keys: {} linearizable, {} not linearizable, {} unknown\n", r.keys_linearizable,
                   r.keys_not_linearizable, r.keys_unknown);
  if (r.keys_not_linearizable)
    s += fmt::format("not linearizable keys: {}\n", keys_text(r.not_linearizable_keys, r.keys_not_linearizable));
  if (r.keys_unknown)
    s += fmt::format("unknown keys (not decided within the {} s time limit): {}\n", r.time_limit_s,
                     keys_text(r.unknown_keys, r.keys_unknown));
  if (const auto& v = r.first_violation) {
    s += fmt::format(
        "key {}: the longest linearizable prefix holds {} of its {} operations and leaves the value {}; "
        "the {} on line {} (process {}) cannot be placed after it\n",
        v->key, v->prefix_length, v->key_operations, value_text(v->prefix_value), op_text(v->blocked),
        v->blocked.invoke_line, v->blocked.process);
    s += fmt::format("excerpt: that operation, those concurrent with it{}, and the last write before it\n",
                     v->excerpt_truncated ? fmt::format(" (the {} invoked nearest it)", kMaxExcerpt - 2) : "");
    s += fmt::format("  {:>8} {:>8} {:>8}  {:<20} {:>14} {:>14}  {}\n", "line", "done", "process", "operation",
                     "invoked s", "completed s", "outcome");
    for (const auto& op : v->excerpt) {
      bool blocked = op.invoke_line == v->blocked.invoke_line;
      s += fmt::format("  {:>8} {:>8} {:>8}  {:<20} {:>14} {:>14}  {}{}\n", op.invoke_line,
                       op.complete_line ? fmt::format("{}", op.complete_line) : "-", op.process, op_text(op),
                       fmt::format("{:.6f}", op.call), std::isfinite(op.ret) ? fmt::format("{:.6f}", op.ret) : "-",
                       outcome_text(op), blocked ? "  <- cannot be placed" : "");
    }
  }
  return s;
}

nlohmann::ordered_json check_json(const CheckReport& r) {
  nlohmann::ordered_json j;
  j["verdict"] = verdict_name(r.verdict);
  j["operations"] = r.operations;
  j["checked_operations"] = r.considered;
  j["dropped_failed"] = r.dropped_failed;
  j["dropped_unknown_reads"] = r.dropped_unknown_reads;
  j["dropped_unobserved_unknown_writes"] = r.dropped_unobserved_writes;
  j["time_limit_s"] = r.time_limit_s;
  j["file_reads"] = r.file_reads;
  j["keys"] = {{"total", r.keys},
               {"linearizable", r.keys_linearizable},
               {"not_linearizable", r.keys_not_linearizable},
               {"unknown", r.keys_unknown}};
  j["not_linearizable_keys"] = r.not_linearizable_keys;
  j["unknown_keys"] = r.unknown_keys;
  if (const auto& v = r.first_violation) {
    nlohmann::ordered_json f;
    f["key"] = v->key;
    f["key_operations"] = v->key_operations;
    f["prefix_length"] = v->prefix_length;
    f["prefix_value"] = v->prefix_value ? nlohmann::ordered_json(*v->prefix_value) : nlohmann::ordered_json(nullptr);
    f["blocked"] = op_json(v->blocked);
    f["excerpt"] = nlohmann::ordered_json::array();
    for (const auto& op : v->excerpt) f["excerpt"].push_back(op_json(op));
    f["excerpt_truncated"] = v->excerpt_truncated;
    j["violation"] = f;
  } else {
    j["violation"] = nullptr;
  }
  return j;
}

}  // namespace archsim
