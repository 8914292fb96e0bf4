// Operation histories of a key-value register: what clients invoked, when, and what came back.
//
// A history is a JSON-lines file (docs/outputs.md, "History files"), one event per line, close to
// Jepsen's histories: an `invoke` when a client process starts an operation and one completion
// (`ok`, `fail` or `info`) when it learns the outcome. The writer streams events to the file as they
// happen and keeps only the operations still in flight (one per process), so its memory does not
// grow with the number of operations. The reader turns a file back into per-key operation lists
// for the linearizability checker (sim/analysis/linearizability.hpp), refusing malformed lines with
// file:line:col. Left out on purpose: Jepsen's keyword values, nemesis events and multi-key
// transactions; one process has at most one operation outstanding.
#pragma once

#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace archsim {

enum class OpKind : uint8_t { Read, Write, Cas };
// `Invoke` starts an operation. `Ok`: it took effect (a read returned its value). `Fail`: it
// certainly did not take effect. `Info`: the outcome is unknown; it may take effect at any time
// after its invocation, even after later operations.
enum class OpType : uint8_t { Invoke, Ok, Fail, Info };

const char* op_kind_name(OpKind f);
const char* op_type_name(OpType t);

// What a process asks of the register. Reads carry no value at invocation.
struct Operation {
  OpKind f = OpKind::Read;
  int64_t key = 0;
  int64_t value = 0;     // write, cas: the value written
  int64_t expected = 0;  // cas: the value it must find

  static Operation read(int64_t key) { return {OpKind::Read, key, 0, 0}; }
  static Operation write(int64_t key, int64_t value) { return {OpKind::Write, key, value, 0}; }
  static Operation cas(int64_t key, int64_t expected, int64_t value) { return {OpKind::Cas, key, value, expected}; }
};

// Streams a history to a file or stream, one line per event, flushed on destruction or finish().
// Programming errors of the caller (a second invoke while one is in flight, a completion without
// an invoke, time going back) throw std::logic_error: they would make the file unreadable.
class HistoryWriter {
 public:
  // Throws std::runtime_error when `path` cannot be opened for writing.
  explicit HistoryWriter(const std::string& path);
  explicit HistoryWriter(std::ostream& out);
  ~HistoryWriter();
  HistoryWriter(const HistoryWriter&) = delete;
  HistoryWriter& operator=(const HistoryWriter&) = delete;

  // REQUIRES: `process` has no operation in flight; `time` (simulated seconds) is not before the
  // previous event's.
  void invoke(double time, int64_t process, const Operation& op);
  // REQUIRES: `process` has an operation in flight; `type` is Ok, Fail or Info. `read_value` is what
  // an ok read returned (nullopt: the key was never written) and is ignored otherwise.
  void complete(double time, int64_t process, OpType type, std::optional<int64_t> read_value = std::nullopt);
  // Flushes. Operations still in flight stay invocations without a completion: unknown outcome.
  void finish();

  size_t in_flight() const { return pending_.size(); }
  uint64_t events() const { return events_; }

 private:
  void line(double time, int64_t process, OpType type, const Operation& op, bool has_value,
            std::optional<int64_t> value);
  void check_time(double time);

  std::unique_ptr<std::ofstream> file_;
  std::ostream* out_;
  std::map<int64_t, Operation> pending_;  // process -> its operation in flight
  double last_time_ = 0;
  uint64_t events_ = 0;
};

// One operation as read back from a history: its invocation and completion joined.
struct HistoryOp {
  int64_t process = 0;
  OpKind f = OpKind::Read;
  OpType outcome = OpType::Info;  // Ok, Fail or Info (Info also when no completion was recorded)
  int64_t key = 0;
  // write, cas: the value written. read: the value returned; nullopt for null (never written) and
  // for reads that did not complete ok.
  std::optional<int64_t> value;
  int64_t expected = 0;  // cas only
  double call = 0;
  double ret = std::numeric_limits<double>::infinity();  // +inf unless the outcome is Ok or Fail
  int invoke_line = 0;
  int complete_line = 0;  // 0 when the file ends before a completion
};

struct History {
  std::map<int64_t, std::vector<HistoryOp>> by_key;  // ordered: reports list keys in order
  uint64_t events = 0;
  uint64_t operations = 0;
  uint64_t ok = 0, failed = 0, info = 0, never_completed = 0;  // never_completed ⊂ info
  // Operations per key, over the whole file even when only some keys are kept (KeyRange).
  std::map<int64_t, uint64_t> operations_per_key;
  bool dropped_for_memory = false;  // more than KeyRange::max_kept operations: `by_key` is empty
};

// Which operations a read keeps in `by_key`: keys in [first, last], at most `max_kept` of them
// (past that, none: the caller reads the file again key range by key range). Every line is
// checked and counted either way.
struct KeyRange {
  int64_t first = std::numeric_limits<int64_t>::min();
  int64_t last = std::numeric_limits<int64_t>::max();
  uint64_t max_kept = std::numeric_limits<uint64_t>::max();
};

// A history file is at most this long per line; an event is a short object.
constexpr size_t kMaxHistoryLineBytes = 4096;

// Parses a history file. Throws ConfigError("file:line:col: error: ...") on the first malformed
// line or when the events contradict each other (docs/outputs.md lists the rules).
History read_history(const std::string& path, const KeyRange& keep = {});
// The same from a stream; `name` is the file name used in errors.
History parse_history(std::istream& in, const std::string& name, const KeyRange& keep = {});

// A register history generated by simulation, for tests and the benchmark: `processes` clients
// each run operations back to back on `keys` keys (uniform), reads and writes half and half, each
// taking effect at a random instant between its invocation and its completion, so the history is
// linearizable unless anomalies are injected. Written values are unique per key.
struct HistoryGenParams {
  int processes = 20;
  int keys = 300;
  uint64_t operations = 100000;
  uint64_t seed = 1;
  double mean_latency_s = 0.002;  // invocation to completion, uniform in [0, 2 x mean]
  double mean_think_s = 0.001;    // completion to the process's next invocation, exponential
  double fail_fraction = 0.01;    // writes that fail (and do not take effect)
  double info_fraction = 0.01;    // writes whose outcome is unknown (half of them take effect)
  // Reads that return the value before the current one instead of the current one: stale reads, a
  // linearizability violation unless a concurrent write explains them.
  double stale_read_fraction = 0;
};
// Writes the history to `out`; returns the number of stale reads injected.
uint64_t generate_register_history(const HistoryGenParams& p, HistoryWriter& out);

}  // namespace archsim
