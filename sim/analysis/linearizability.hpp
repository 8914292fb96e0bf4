// Is a register history linearizable? `archsim check FILE`.
//
// A history (sim/support/history.hpp) is linearizable when every operation can be given one instant
// between its invocation and its completion such that, in the order of those instants, each read
// returns the last value written (null before the first write) and each cas finds its expected
// value. Keys are independent registers, so each key is checked on its own (linearizability is
// P-compositional): the work and memory are those of the largest key, not of the whole history.
//
// Per key the search is Wing and Gong's, with Lowe's just-in-time linearization and memoization as
// in Porcupine: walk the invocations and completions in time order, linearize an invoked operation
// when the register allows it, undo the latest choice (a stack) when a completion is reached whose
// operation could not be linearized yet, and never revisit a (set of linearized operations,
// register value) pair already explored. `fail` operations are dropped (they took no effect);
// `info` and never-completed writes and cas may take effect at any instant after their invocation
// or never (their completion is at +infinity); unknown reads are dropped as they constrain nothing,
// and so are unknown writes and cas whose value no read returned and no cas expected (never taking
// effect always explains them).
// Events at the same instant count as concurrent.
//
// The search is exponential in the worst case (many overlapping operations), hence the time limit:
// keys not decided in time are `unknown`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/support/history.hpp"

namespace archsim {

enum class CheckVerdict { Linearizable, NotLinearizable, Unknown };
const char* verdict_name(CheckVerdict v);

struct CheckOptions {
  // Wall-clock seconds for the whole history; keys not decided by then are unknown. A larger limit
  // decides more adversarial histories at the cost of waiting longer for them.
  double time_limit_s = 10;
  // Parsed operations held at once (about 85 bytes each): a longer history is read again key range
  // by key range, each read keeping at most this many (or one key's, if more). Lower: less memory,
  // more reads of the file.
  uint64_t max_operations_in_memory = 1 << 20;
};

// Why a key is not linearizable. The search's deepest point: the longest prefix of operations it
// could linearize, and the operation that completed before it could be placed after any of them.
struct Violation {
  int64_t key = 0;
  size_t key_operations = 0;            // operations of the key the checker considered
  size_t prefix_length = 0;             // the longest linearizable prefix
  std::optional<int64_t> prefix_value;  // the register's value after that prefix (nullopt: null)
  HistoryOp blocked;                    // the operation that cannot be placed
  // The excerpt, in invocation order: the blocked operation, every considered operation concurrent
  // with it, and the last write or cas of the prefix that completed before it was invoked (the
  // value it should have found). At most kMaxExcerpt operations, those invoked nearest the blocked
  // one first; `excerpt_truncated` says some were left out.
  std::vector<HistoryOp> excerpt;
  bool excerpt_truncated = false;
};
constexpr size_t kMaxExcerpt = 32;

struct KeyResult {
  CheckVerdict verdict = CheckVerdict::Linearizable;
  std::optional<Violation> violation;  // when NotLinearizable
};

// Checks one key's operations (any order). `deadline_s` is a steady-clock time in seconds
// (std::chrono::steady_clock epoch); past it the result is Unknown.
KeyResult check_key(int64_t key, const std::vector<HistoryOp>& ops, double deadline_s);

struct CheckReport {
  CheckVerdict verdict = CheckVerdict::Linearizable;  // not linearizable if any key is; else unknown if any is
  uint64_t operations = 0, considered = 0, dropped_failed = 0, dropped_unknown_reads = 0;
  uint64_t dropped_unobserved_writes = 0;  // unknown writes and cas whose value nobody read
  size_t keys = 0, keys_linearizable = 0, keys_not_linearizable = 0, keys_unknown = 0;
  std::vector<int64_t> not_linearizable_keys, unknown_keys;  // the first kMaxListedKeys of each
  std::optional<Violation> first_violation;                  // for the smallest failing key
  double time_limit_s = 0;
  int file_reads = 1;  // check_history_file: 1, or 1 + the key ranges read again
};
constexpr size_t kMaxListedKeys = 20;

CheckReport check_history(const History& h, const CheckOptions& options);
// Reads and checks `path`, within options.max_operations_in_memory parsed operations (plus one
// map entry per key). Throws ConfigError for a malformed file.
CheckReport check_history_file(const std::string& path, const CheckOptions& options);
std::string check_text(const CheckReport& r);
nlohmann::ordered_json check_json(const CheckReport& r);

}  // namespace archsim
