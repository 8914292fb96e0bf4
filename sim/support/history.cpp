#include "sim/support/history.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <charconv>
#include <cmath>
#include <queue>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "sim/support/random.hpp"
#include "sim/support/location.hpp"
#include "sim/support/text.hpp"

namespace archsim {

const char* op_kind_name(OpKind f) {
  switch (f) {
    case OpKind::Read: return "read";
    case OpKind::Write: return "write";
    case OpKind::Cas: return "cas";
  }
  return "?";
}

const char* op_type_name(OpType t) {
  switch (t) {
    case OpType::Invoke: return "invoke";
    case OpType::Ok: return "ok";
    case OpType::Fail: return "fail";
    case OpType::Info: return "info";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Writer

HistoryWriter::HistoryWriter(const std::string& path) : file_(std::make_unique<std::ofstream>(path)) {
  if (!*file_) throw std::runtime_error(fmt::format("{}: cannot be opened for writing", path));
  out_ = file_.get();
}

HistoryWriter::HistoryWriter(std::ostream& out) : out_(&out) {}

HistoryWriter::~HistoryWriter() { out_->flush(); }

void HistoryWriter::finish() { out_->flush(); }

void HistoryWriter::check_time(double time) {
  if (!std::isfinite(time) || time < 0 || time < last_time_)
    throw std::logic_error(
        fmt::format("history: event time {} is not finite, negative or before {}", time, last_time_));
  last_time_ = time;
}

void HistoryWriter::invoke(double time, int64_t process, const Operation& op) {
  if (pending_.count(process))
    throw std::logic_error(fmt::format("history: process {} invokes with an operation in flight", process));
  check_time(time);
  pending_.emplace(process, op);
  line(time, process, OpType::Invoke, op, op.f != OpKind::Read, op.value);
}

void HistoryWriter::complete(double time, int64_t process, OpType type, std::optional<int64_t> read_value) {
  auto it = pending_.find(process);
  if (it == pending_.end())
    throw std::logic_error(fmt::format("history: process {} completes with no operation in flight", process));
  if (type == OpType::Invoke) throw std::logic_error("history: a completion is ok, fail or info");
  check_time(time);
  Operation op = it->second;
  pending_.erase(it);
  if (op.f == OpKind::Read)
    line(time, process, type, op, type == OpType::Ok && read_value, read_value.value_or(0));
  else
    line(time, process, type, op, true, op.value);
}

void HistoryWriter::line(double time, int64_t process, OpType type, const Operation& op, bool has_value,
                         std::optional<int64_t> value) {
  std::string v = !has_value            ? "null"
                  : op.f == OpKind::Cas ? fmt::format("[{},{}]", op.expected, op.value)
                                        : fmt::format("{}", *value);
  // fmt's "{}" prints the shortest text that reads back as the same double: byte-identical files.
  *out_ << fmt::format("{{\"time\":{},\"process\":{},\"type\":\"{}\",\"f\":\"{}\",\"key\":{},\"value\":{}}}\n", time,
                       process, op_type_name(type), op_kind_name(op.f), op.key, v);
  ++events_;
}

// ---------------------------------------------------------------------------------------------
// Reader

namespace {

const std::vector<std::string> kFields = {"time", "process", "type", "f", "key", "value"};

struct Value {
  enum Kind { Null, Number, String, Pair, Other } kind = Other;
  std::string_view text;           // Number: the digits; String: the contents
  std::string_view first, second;  // Pair: both numbers' texts ("null" for a null)
  int col = 0;
};

// A word from the file as it can be shown in a one-line message: control and non-ASCII bytes as \xNN.
std::string printable(std::string_view w) {
  std::string out;
  for (unsigned char c : w)
    out += c >= 0x20 && c < 0x7f ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
  return out;
}

class LineParser {
 public:
  LineParser(const std::string& file, int line, std::string_view s) : file_(file), line_(line), s_(s) {}

  [[noreturn]] void fail(int col, const std::string& msg) const {
    throw ConfigError(fmt::format("{}:{}:{}: error: {}", file_, line_, col, msg));
  }
  int col() const { return static_cast<int>(i_) + 1; }

  // Fills `out[field index]`; every field at most once.
  void parse(Value (&out)[6], bool (&seen)[6]) {
    skip_ws();
    if (!eat('{')) fail(col(), "expected '{' to start an event; each line of a history is one JSON object");
    skip_ws();
    if (eat('}')) fail(col() - 1, "empty event; every event has time, process, type, f, key and value");
    while (true) {
      skip_ws();
      int key_col = col();
      if (peek() != '"') fail(col(), "expected a field name in double quotes");
      std::string name(string_body());
      size_t idx = 0;
      while (idx < kFields.size() && kFields[idx] != name) ++idx;
      if (idx == kFields.size()) {
        std::string hint = nearest(name, kFields);
        fail(key_col, fmt::format("unknown field '{}'{}; an event has time, process, type, f, key and value",
                                  printable(name), hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      }
      if (seen[idx]) fail(key_col, fmt::format("field '{}' appears twice", name));
      seen[idx] = true;
      skip_ws();
      if (!eat(':')) fail(col(), fmt::format("expected ':' after \"{}\"", name));
      skip_ws();
      out[idx] = value();
      skip_ws();
      if (eat(',')) continue;
      if (eat('}')) break;
      if (i_ >= s_.size()) fail(col(), "the line ends before the event's closing '}'");
      fail(col(), fmt::format("expected ',' or '}}' after a value, found '{}' (a missing '\"'?)", peek()));
    }
    skip_ws();
    if (i_ < s_.size()) fail(col(), "unexpected text after the event's closing '}'; one event per line");
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (peek() != c || i_ >= s_.size()) return false;
    ++i_;
    return true;
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  // REQUIRES: at '"'. History strings are plain words: no escapes.
  std::string_view string_body() {
    int start_col = col();
    ++i_;
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') fail(col(), "escapes are not used in history files; names and words are plain");
      ++i_;
    }
    if (i_ >= s_.size()) fail(start_col, "unterminated string; close it with '\"'");
    ++i_;
    return s_.substr(start, i_ - start - 1);
  }
  std::string_view number_text() {
    size_t start = i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' || s_[i_] == '+' ||
                              s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E'))
      ++i_;
    return s_.substr(start, i_ - start);
  }
  bool word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  Value value() {
    Value v;
    v.col = col();
    char c = peek();
    if (c == '"') {
      v.kind = Value::String;
      v.text = string_body();
    } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      v.kind = Value::Number;
      v.text = number_text();
    } else if (word("null")) {
      v.kind = Value::Null;
    } else if (c == '[') {
      ++i_;
      skip_ws();
      v.first = word("null") ? std::string_view("null") : number_text();
      skip_ws();
      if (!eat(',')) fail(col(), "expected ',' between the two values of a cas: [expected, new]");
      skip_ws();
      v.second = word("null") ? std::string_view("null") : number_text();
      skip_ws();
      if (!eat(']')) fail(col(), "expected ']' after the two values of a cas: [expected, new]");
      v.kind = Value::Pair;
    } else if (c == '\0') {
      fail(col(), "the line ends where a value was expected");
    } else {
      fail(col(), "expected a value: a number, a string, null or [expected, new]");
    }
    return v;
  }

  const std::string& file_;
  int line_;
  std::string_view s_;
  size_t i_ = 0;
};

bool is_json_integer(std::string_view t) {
  size_t i = t.size() > 0 && t[0] == '-' ? 1 : 0;
  if (i >= t.size()) return false;
  for (; i < t.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
  return true;
}

std::optional<int64_t> to_int(std::string_view t) {
  if (!is_json_integer(t)) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
  return v;
}

// The index of `val` in `words` (the names of `field`), or a failure naming the nearest one.
size_t pick(const LineParser& p, const Value& val, const std::vector<std::string>& words, const char* field) {
  std::string w = val.kind == Value::String ? std::string(val.text) : std::string();
  for (size_t i = 0; i < words.size(); ++i)
    if (words[i] == w) return i;
  std::string hint = nearest(w, words);
  std::string list;
  for (size_t i = 0; i < words.size(); ++i) list += (i ? ", " : "") + words[i];
  if (val.kind != Value::String) p.fail(val.col, fmt::format("'{}' must be a string, one of {}", field, list));
  p.fail(val.col, fmt::format("unknown {} '{}'{}; known: {}", field, printable(w),
                              hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint), list));
}

// One line's event, its fields checked, with the columns the messages about it point at.
struct Event {
  int line = 0;
  double time = 0;
  int64_t process = 0;
  OpType type = OpType::Invoke;
  OpKind f = OpKind::Read;
  int64_t key = 0;
  std::optional<int64_t> value;
  int64_t expected = 0;
  int process_col = 0, f_col = 0, key_col = 0, value_col = 0;
};

// The value of an event, by operation: a read's result (ok only), a write's value, a cas's pair.
void read_op_value(const LineParser& p, const Value& vv, Event& ev) {
  if (ev.f == OpKind::Read) {
    if (ev.type == OpType::Ok) {
      if (vv.kind == Value::Number) {
        ev.value = to_int(vv.text);
        if (!ev.value) p.fail(vv.col, "a read's value must be an integer (64-bit) or null (never written)");
      } else if (vv.kind != Value::Null) {
        p.fail(vv.col, "a read's value must be an integer (64-bit) or null (never written)");
      }
    } else if (vv.kind != Value::Null) {
      p.fail(vv.col, fmt::format("a read's {} carries no value; write null",
                                 ev.type == OpType::Invoke ? "invocation" : "failed or unknown completion"));
    }
  } else if (ev.f == OpKind::Write) {
    ev.value = vv.kind == Value::Number ? to_int(vv.text) : std::nullopt;
    if (!ev.value) p.fail(vv.col, "a write's value must be an integer (64-bit), the value written");
  } else {
    std::optional<int64_t> a = vv.kind == Value::Pair ? to_int(vv.first) : std::nullopt;
    std::optional<int64_t> b = vv.kind == Value::Pair ? to_int(vv.second) : std::nullopt;
    if (!a || !b) p.fail(vv.col, "a cas's value must be [expected, new], two integers (64-bit)");
    ev.expected = *a;
    ev.value = b;
  }
}

// Reads a history line by line: each event is checked on its own, then against the operation its
// process has in flight (one at most). The operations go to `History` as they complete.
class HistoryReader {
 public:
  HistoryReader(const std::string& name, const KeyRange& keep) : name_(name), keep_(keep) {}

  // REQUIRES: `text` is not blank and at most kMaxHistoryLineBytes long.
  void read_line(const std::string& text, int line_no) {
    LineParser p(name_, line_no, text);
    Event ev = read_event(p, line_no);
    ++h_.events;
    if (ev.type == OpType::Invoke)
      invoke(p, ev);
    else
      complete(p, ev);
  }

  // The operations still in flight at the end of the file never completed: their outcome is unknown.
  History finish() {
    for (auto& [process, op] : pending_) {
      op.outcome = OpType::Info;
      ++h_.operations;
      ++h_.info;
      ++h_.never_completed;
      store(op);
    }
    return std::move(h_);
  }

 private:
  // Parses the line's fields and checks each one's type and range.
  Event read_event(LineParser& p, int line_no) {
    Value v[6];
    bool seen[6] = {};
    p.parse(v, seen);
    for (size_t i = 0; i < kFields.size(); ++i)
      if (!seen[i])
        p.fail(1, fmt::format("missing field '{}'; every event has time, process, type, f, key and value", kFields[i]));
    Value &vt = v[0], &vp = v[1], &vty = v[2], &vf = v[3], &vk = v[4], &vv = v[5];
    Event ev;
    ev.line = line_no;
    ev.process_col = vp.col;
    ev.f_col = vf.col;
    ev.key_col = vk.col;
    ev.value_col = vv.col;
    ev.time = read_time(p, vt, line_no);

    std::optional<int64_t> process = vp.kind == Value::Number ? to_int(vp.text) : std::nullopt;
    if (!process || *process < 0) p.fail(vp.col, "'process' must be an integer, 0 or more (the client process id)");
    ev.process = *process;

    static const std::vector<std::string> kTypes = {"invoke", "ok", "fail", "info"};
    static const std::vector<std::string> kKinds = {"read", "write", "cas"};
    ev.type = static_cast<OpType>(pick(p, vty, kTypes, "type"));
    ev.f = static_cast<OpKind>(pick(p, vf, kKinds, "f"));

    std::optional<int64_t> key = vk.kind == Value::Number ? to_int(vk.text) : std::nullopt;
    if (!key) p.fail(vk.col, "'key' must be an integer (64-bit)");
    ev.key = *key;

    read_op_value(p, vv, ev);
    return ev;
  }

  // 'time': simulated seconds, never before the previous event's.
  double read_time(const LineParser& p, const Value& vt, int line_no) {
    double time = -1;
    if (vt.kind == Value::Number) {
      auto [ptr, ec] = std::from_chars(vt.text.data(), vt.text.data() + vt.text.size(), time);
      if (ec != std::errc() || ptr != vt.text.data() + vt.text.size()) time = -1;
    }
    if (vt.kind != Value::Number || !std::isfinite(time) || time < 0)
      p.fail(vt.col, "'time' must be a finite number of simulated seconds, 0 or more");
    if (time < last_time_)
      p.fail(vt.col, fmt::format("time {} is before the time {} on line {}; list the events in time order", time,
                                 last_time_, last_time_line_));
    last_time_ = time;
    last_time_line_ = line_no;
    return time;
  }

  // An invocation: the process's operation in flight from now on.
  void invoke(const LineParser& p, const Event& ev) {
    auto it = pending_.find(ev.process);
    if (it != pending_.end())
      p.fail(ev.process_col, fmt::format("process {} invokes an operation while its {} on line {} is still in flight; a "
                                         "process has one operation outstanding (complete it with ok, fail or info "
                                         "first)",
                                         ev.process, op_kind_name(it->second.f), it->second.invoke_line));
    HistoryOp op;
    op.process = ev.process;
    op.f = ev.f;
    op.key = ev.key;
    op.value = ev.value;
    op.expected = ev.expected;
    op.call = ev.time;
    op.invoke_line = ev.line;
    pending_.emplace(ev.process, op);
  }

  // A completion: it must be of the operation its process invoked; that operation is then done.
  void complete(const LineParser& p, const Event& ev) {
    auto it = pending_.find(ev.process);
    if (it == pending_.end())
      p.fail(ev.process_col, fmt::format("process {} completes an operation it never invoked; add its invoke event "
                                         "before this line",
                                         ev.process));
    HistoryOp op = it->second;
    if (op.f != ev.f)
      p.fail(ev.f_col, fmt::format("the completion is a {} but process {} invoked a {} on line {}", op_kind_name(ev.f),
                                   ev.process, op_kind_name(op.f), op.invoke_line));
    if (op.key != ev.key)
      p.fail(ev.key_col, fmt::format("the completion names key {} but process {} invoked key {} on line {}", ev.key,
                                     ev.process, op.key, op.invoke_line));
    if (ev.f != OpKind::Read && (op.value != ev.value || op.expected != ev.expected))
      p.fail(ev.value_col, fmt::format("the completion's value differs from the one invoked on line {}; a {} completes "
                                       "with the value it was invoked with",
                                       op.invoke_line, op_kind_name(ev.f)));
    pending_.erase(it);
    if (ev.f == OpKind::Read) op.value = ev.value;
    op.outcome = ev.type;
    op.complete_line = ev.line;
    if (ev.type != OpType::Info) op.ret = ev.time;
    ++h_.operations;
    if (ev.type == OpType::Ok) ++h_.ok;
    if (ev.type == OpType::Fail) ++h_.failed;
    if (ev.type == OpType::Info) ++h_.info;
    store(op);
  }

  // Counts a complete operation, and keeps it when its key is in range and the budget allows.
  void store(const HistoryOp& op) {
    ++h_.operations_per_key[op.key];
    if (h_.dropped_for_memory || op.key < keep_.first || op.key > keep_.last) return;
    if (++kept_ > keep_.max_kept) {
      h_.by_key.clear();
      h_.dropped_for_memory = true;
      return;
    }
    h_.by_key[op.key].push_back(op);
  }

  const std::string& name_;
  const KeyRange& keep_;
  History h_;
  uint64_t kept_ = 0;
  std::map<int64_t, HistoryOp> pending_;  // process -> its invocation; ordered for the end-of-file pass
  double last_time_ = 0;
  int last_time_line_ = 0;
};

}  // namespace

History parse_history(std::istream& in, const std::string& name, const KeyRange& keep) {
  HistoryReader reader(name, keep);
  std::string text;
  int line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (text.size() > kMaxHistoryLineBytes)
      throw ConfigError(
          fmt::format("{}:{}:{}: error: line is {} bytes long; a history event is one short JSON object "
                      "(at most {} bytes)",
                      name, line_no, kMaxHistoryLineBytes + 1, text.size(), kMaxHistoryLineBytes));
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines separate nothing
    reader.read_line(text, line_no);
  }
  if (in.bad()) throw ConfigError(fmt::format("{}: error: reading failed after line {}", name, line_no));
  return reader.finish();
}

History read_history(const std::string& path, const KeyRange& keep) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw ConfigError(fmt::format("{}: error: no such file", path));
  if (S_ISDIR(st.st_mode)) throw ConfigError(fmt::format("{}: error: is a directory; give a history file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: error: cannot be read (check its permissions)", path));
  return parse_history(in, path, keep);
}

// ---------------------------------------------------------------------------------------------
// Generator

uint64_t generate_register_history(const HistoryGenParams& p, HistoryWriter& out) {
  if (p.processes <= 0 || p.keys <= 0) throw std::invalid_argument("history generator: processes and keys must be > 0");
  Rng rng(p.seed);
  enum Kind { Invoke = 0, TakeEffect = 1, Complete = 2 };
  struct Event {
    double time;
    uint64_t seq;  // ties in time resolve in scheduling order: the same seed, the same file
    int process;
    Kind kind;
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };
  struct Proc {
    Operation op;
    OpType outcome = OpType::Ok;
    double ret = 0;
    std::optional<int64_t> read_value;
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events;
  std::vector<Proc> procs(static_cast<size_t>(p.processes));
  std::vector<std::optional<int64_t>> current(static_cast<size_t>(p.keys)), previous(current);
  std::vector<int64_t> next_value(static_cast<size_t>(p.keys), 1);
  uint64_t seq = 0, issued = 0, stale = 0;
  for (int i = 0; i < p.processes; ++i) events.push({rng.exponential(p.mean_think_s), seq++, i, Invoke});
  while (!events.empty()) {
    Event e = events.top();
    events.pop();
    Proc& pr = procs[static_cast<size_t>(e.process)];
    if (e.kind == Invoke) {
      if (issued >= p.operations) continue;  // this process is done
      ++issued;
      auto key = static_cast<int64_t>(rng.below(static_cast<uint64_t>(p.keys)));
      bool write = rng.uniform() < 0.5;
      pr.op = write ? Operation::write(key, next_value[static_cast<size_t>(key)]++) : Operation::read(key);
      pr.outcome = OpType::Ok;
      pr.read_value.reset();
      bool applies = true;
      if (write) {
        double r = rng.uniform();
        if (r < p.fail_fraction) {
          pr.outcome = OpType::Fail;
          applies = false;
        } else if (r < p.fail_fraction + p.info_fraction) {
          pr.outcome = OpType::Info;
          applies = rng.uniform() < 0.5;
        }
      }
      double latency = rng.uniform() * 2 * p.mean_latency_s;
      pr.ret = e.time + latency;
      out.invoke(e.time, e.process, pr.op);
      if (applies) events.push({e.time + rng.uniform() * latency, seq++, e.process, TakeEffect});
      events.push({pr.ret, seq++, e.process, Complete});
    } else if (e.kind == TakeEffect) {
      auto k = static_cast<size_t>(pr.op.key);
      if (pr.op.f == OpKind::Read) {
        pr.read_value = current[k];
        if (p.stale_read_fraction > 0 && previous[k] != current[k] && rng.uniform() < p.stale_read_fraction) {
          pr.read_value = previous[k];
          ++stale;
        }
      } else {
        previous[k] = current[k];
        current[k] = pr.op.value;
      }
    } else {
      out.complete(e.time, e.process, pr.outcome, pr.read_value);
      events.push({e.time + rng.exponential(p.mean_think_s), seq++, e.process, Invoke});
    }
  }
  out.finish();
  return stale;
}

}  // namespace archsim
