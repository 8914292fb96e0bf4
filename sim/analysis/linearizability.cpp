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

}  // namespace

KeyResult check_key(int64_t key, const std::vector<HistoryOp>& all, double deadline_s) {
  Drops drops;
  std::vector<const HistoryOp*> ops = considered_ops(all, &drops);
  size_t n = ops.size();
  KeyResult result;
  size_t definite = 0;  // operations that must be linearized: those with a completion
  for (const auto* op : ops) definite += std::isfinite(op->ret) ? 1 : 0;
  if (definite == 0) return result;  // unknown writes may all never take effect

  // The entry list: invocations and completions sorted by time, invocations first at equal times
  // (they count as concurrent), node 0 a head sentinel, -1 the end.
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
  std::vector<int> next(m), prev(m), op_of(m, -1), match(m, -1);
  std::vector<char> is_call(m, 0);
  std::vector<int> call_entry(n), return_entry(n);
  for (size_t i = 0; i < sorted.size(); ++i) {
    int e = static_cast<int>(i) + 1;
    op_of[static_cast<size_t>(e)] = sorted[i].op;
    is_call[static_cast<size_t>(e)] = sorted[i].call;
    (sorted[i].call ? call_entry : return_entry)[static_cast<size_t>(sorted[i].op)] = e;
  }
  for (size_t i = 0; i < n; ++i) match[static_cast<size_t>(call_entry[i])] = return_entry[i];
  for (size_t e = 0; e < m; ++e) {
    next[e] = e + 1 < m ? static_cast<int>(e + 1) : -1;
    prev[e] = static_cast<int>(e) - 1;
  }
  auto unlink = [&](int e) {
    next[static_cast<size_t>(prev[static_cast<size_t>(e)])] = next[static_cast<size_t>(e)];
    if (next[static_cast<size_t>(e)] != -1)
      prev[static_cast<size_t>(next[static_cast<size_t>(e)])] = prev[static_cast<size_t>(e)];
  };
  auto relink = [&](int e) {
    next[static_cast<size_t>(prev[static_cast<size_t>(e)])] = e;
    if (next[static_cast<size_t>(e)] != -1) prev[static_cast<size_t>(next[static_cast<size_t>(e)])] = e;
  };
  // Lifting an operation takes its invocation and completion out of the list; undoing it puts
  // them back. Undos come in the reverse order of lifts, so the saved neighbours are still right.
  auto lift = [&](int call) {
    unlink(call);
    unlink(match[static_cast<size_t>(call)]);
  };
  auto unlift = [&](int call) {
    relink(match[static_cast<size_t>(call)]);
    relink(call);
  };

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
  struct Frame {
    int call;
    State state;
    bool forced;        // a read: not a choice
    size_t cand_begin;  // this level's candidates in `cands`, and the next one to try
    size_t cand_end;
    size_t cand_next;
  };
  std::vector<Frame> stack;
  std::vector<int> cands;              // the candidate lists of the levels on the stack, one after another
  std::vector<uint64_t> z1(n), z2(n);  // Zobrist words, fixed per operation index: deterministic
  for (size_t i = 0; i < n; ++i) {
    z1[i] = mix64(0x243f6a8885a308d3ULL + 2 * i);
    z2[i] = mix64(0x13198a2e03707344ULL + 2 * i + 1);
  }
  uint64_t h1 = 0, h2 = 0;
  std::unordered_set<MemoKey, MemoHash> seen;
  std::unordered_set<int64_t> observed;  // values some read returns or some cas expects
  for (const auto* op : ops) {
    if (op->f == OpKind::Read && op->value) observed.insert(*op->value);
    if (op->f == OpKind::Cas) observed.insert(op->expected);
  }
  auto memo_key = [&](uint64_t a, uint64_t b, const State& v) {
    bool unobserved = v && !observed.count(*v);
    return MemoKey{a, b, unobserved ? State() : v, unobserved};
  };
  State state;
  size_t remaining = definite;
  size_t best_depth = 0;
  bool have_best = false;
  std::vector<int> best_prefix;
  int best_blocked = -1;
  State best_state;
  uint64_t iterations = 0;

  // Linearizes the operation of `call` if the register allows it and the point is new.
  // Returns: 1 done, 0 not allowed, -1 allowed but explored before.
  auto try_apply = [&](int call, bool forced, size_t begin, size_t end, size_t next_pos) -> int {
    auto id = static_cast<size_t>(op_of[static_cast<size_t>(call)]);
    State after;
    if (!step(*ops[id], state, &after)) return 0;
    if (!seen.insert(memo_key(h1 ^ z1[id], h2 ^ z2[id], after)).second) return -1;
    stack.push_back({call, state, forced, begin, end, next_pos});
    state = after;
    h1 ^= z1[id];
    h2 ^= z2[id];
    lift(call);
    if (std::isfinite(ops[id]->ret)) --remaining;
    return 1;
  };
  auto by_completion = [&](int a, int b) {
    const HistoryOp& x = *ops[static_cast<size_t>(op_of[static_cast<size_t>(a)])];
    const HistoryOp& y = *ops[static_cast<size_t>(op_of[static_cast<size_t>(b)])];
    if (x.ret != y.ret) return x.ret < y.ret;
    return a < b;
  };

  bool fresh_level = true;  // false: resuming the level of a frame just undone
  size_t begin = 0, end = 0, pos = 0;
  while (true) {
    if (remaining == 0) return result;
    if ((++iterations & 1023) == 0 && steady_now() > deadline_s) {
      result.verdict = CheckVerdict::Unknown;
      return result;
    }
    bool dead_end = false;
    int blocking = -1;  // the first completion in the list
    if (fresh_level) {
      begin = cands.size();
      int e = next[0];
      while (e != -1 && is_call[static_cast<size_t>(e)]) {
        cands.push_back(e);
        e = next[static_cast<size_t>(e)];
      }
      blocking = e;
      end = cands.size();
      pos = begin;
      // A read that finds the value goes first, as no choice.
      bool forced = false;
      for (size_t i = begin; i < end; ++i) {
        const HistoryOp& op = *ops[static_cast<size_t>(op_of[static_cast<size_t>(cands[i])])];
        if (op.f != OpKind::Read || op.value != state) continue;
        if (try_apply(cands[i], true, begin, end, end) == 1)
          forced = true;
        else
          dead_end = true;  // explored from here before, and failed
        break;
      }
      if (forced) continue;
      if (!dead_end) std::sort(cands.begin() + static_cast<std::ptrdiff_t>(begin), cands.end(), by_completion);
    }
    if (!dead_end) {
      bool advanced = false;
      for (; pos < end; ++pos) {
        if (try_apply(cands[pos], false, begin, end, pos + 1) == 1) {
          advanced = true;
          break;
        }
      }
      if (advanced) {
        fresh_level = true;
        continue;
      }
      if (fresh_level && (!have_best || stack.size() > best_depth)) {
        // No operation can go next, and the completion `blocking` says one must: the deepest
        // such point gives the excerpt.
        have_best = true;
        best_depth = stack.size();
        best_prefix.clear();
        for (const auto& f : stack) best_prefix.push_back(op_of[static_cast<size_t>(f.call)]);
        best_blocked = blocking != -1 ? op_of[static_cast<size_t>(blocking)] : -1;
        best_state = state;
      }
    }
    // This level failed: drop its candidates, undo the latest choice and the forced reads above it.
    while (true) {
      if (stack.empty()) {
        result.verdict = CheckVerdict::NotLinearizable;
        assert(best_blocked >= 0);  // the first failure of a search is never a memo hit
        result.violation = make_violation(key, ops, best_prefix, best_blocked, best_state);
        return result;
      }
      Frame f = stack.back();
      stack.pop_back();
      auto undone = static_cast<size_t>(op_of[static_cast<size_t>(f.call)]);
      state = f.state;
      h1 ^= z1[undone];
      h2 ^= z2[undone];
      unlift(f.call);
      if (std::isfinite(ops[undone]->ret)) ++remaining;
      cands.resize(f.cand_end);
      begin = f.cand_begin;
      end = f.cand_end;
      pos = f.cand_next;
      if (!f.forced) break;
      cands.resize(f.cand_begin);  // a forced read's level fails with it
    }
    fresh_level = false;
  }
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
