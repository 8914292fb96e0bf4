#include "sim/linearizability.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <unordered_set>

#include "sim/random.hpp"

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
    case OpKind::Read:
      *next = s;
      return s == op.value;
    case OpKind::Write:
      *next = op.value;
      return true;
    case OpKind::Cas:
      if (!s || *s != op.expected) return false;
      *next = op.value;
      return true;
  }
  return false;
}

bool considered(const HistoryOp& op) {
  if (op.outcome == OpType::Fail) return false;                             // took no effect
  if (op.outcome == OpType::Info && op.f == OpKind::Read) return false;  // constrains nothing
  return true;
}

// (linearized operations, register value): a point of the search already explored.
struct MemoKey {
  std::vector<uint64_t> bits;
  State state;
  bool operator==(const MemoKey& o) const { return state == o.state && bits == o.bits; }
};
struct MemoHash {
  size_t operator()(const MemoKey& k) const {
    uint64_t h = k.state ? mix64(static_cast<uint64_t>(*k.state)) : 0x6a09e667f3bcc908ULL;
    for (uint64_t w : k.bits) h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
    return static_cast<size_t>(h);
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
      return std::fabs(ops[static_cast<size_t>(x)]->call - b.call) < std::fabs(ops[static_cast<size_t>(y)]->call - b.call);
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
  std::vector<const HistoryOp*> ops;
  for (const auto& op : all)
    if (considered(op)) ops.push_back(&op);
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
    if (next[static_cast<size_t>(e)] != -1) prev[static_cast<size_t>(next[static_cast<size_t>(e)])] = prev[static_cast<size_t>(e)];
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

  struct Frame {
    int call;
    State state;
  };
  std::vector<Frame> stack;
  std::vector<uint64_t> linearized((n + 63) / 64, 0);
  std::unordered_set<MemoKey, MemoHash> seen;
  State state;
  size_t remaining = definite;
  int entry = next[0];
  size_t best_depth = 0;
  bool have_best = false;
  std::vector<int> best_prefix;
  int best_blocked = -1;
  State best_state;
  uint64_t iterations = 0;

  while (true) {
    if ((++iterations & 1023) == 0 && steady_now() > deadline_s) {
      result.verdict = CheckVerdict::Unknown;
      return result;
    }
    assert(entry != -1);  // a completion of an operation not yet linearized always comes first
    auto e = static_cast<size_t>(entry);
    int id = op_of[e];
    auto bit_word = static_cast<size_t>(id) / 64;
    uint64_t bit = uint64_t{1} << (static_cast<size_t>(id) % 64);
    if (is_call[e]) {
      State after;
      if (step(*ops[static_cast<size_t>(id)], state, &after)) {
        linearized[bit_word] |= bit;
        if (seen.insert(MemoKey{linearized, after}).second) {
          stack.push_back({entry, state});
          state = after;
          lift(entry);
          if (std::isfinite(ops[static_cast<size_t>(id)]->ret) && --remaining == 0) return result;
          entry = next[0];
          continue;
        }
        linearized[bit_word] &= ~bit;
      }
      entry = next[e];
      continue;
    }
    // A completion whose operation could not be linearized before it: undo the latest choice.
    if (!have_best || stack.size() > best_depth) {
      have_best = true;
      best_depth = stack.size();
      best_prefix.clear();
      for (const auto& f : stack) best_prefix.push_back(op_of[static_cast<size_t>(f.call)]);
      best_blocked = id;
      best_state = state;
    }
    if (stack.empty()) {
      result.verdict = CheckVerdict::NotLinearizable;
      result.violation = make_violation(key, ops, best_prefix, best_blocked, best_state);
      return result;
    }
    Frame f = stack.back();
    stack.pop_back();
    int undone = op_of[static_cast<size_t>(f.call)];
    state = f.state;
    linearized[static_cast<size_t>(undone) / 64] &= ~(uint64_t{1} << (static_cast<size_t>(undone) % 64));
    unlift(f.call);
    if (std::isfinite(ops[static_cast<size_t>(undone)]->ret)) ++remaining;
    entry = next[static_cast<size_t>(f.call)];
  }
}

CheckReport check_history(const History& h, const CheckOptions& options) {
  CheckReport r;
  r.time_limit_s = options.time_limit_s;
  r.operations = h.operations;
  double deadline = steady_now() + options.time_limit_s;
  for (const auto& [key, ops] : h.by_key) {
    ++r.keys;
    for (const auto& op : ops) {
      if (op.outcome == OpType::Fail)
        ++r.dropped_failed;
      else if (!considered(op))
        ++r.dropped_unknown_reads;
      else
        ++r.considered;
    }
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
  r.verdict = r.keys_not_linearizable ? CheckVerdict::NotLinearizable
              : r.keys_unknown        ? CheckVerdict::Unknown
                                      : CheckVerdict::Linearizable;
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
  s += fmt::format("history: {} operations on {} keys; {} checked, {} failed and {} unknown reads dropped\n",
                   r.operations, r.keys, r.considered, r.dropped_failed, r.dropped_unknown_reads);
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
  j["time_limit_s"] = r.time_limit_s;
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
