#include "sim/config/yaml_source.hpp"
#include "sim/support/text.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <optional>
#include <set>

#include "sim/support/units.hpp"

namespace archsim {

namespace {

std::tuple<int, int, int> mark_key(const YAML::Mark& m) { return {m.line, m.column, m.pos}; }

}  // namespace

int Source::add_file(const std::string& path) {
  origins_.push_back(path);
  return static_cast<int>(origins_.size()) - 1;
}

// Walks `node` once per node (an alias is the same node: its mark and type repeat) and records it.
// Nodes without a mark (copies made for merge keys) are recorded only for an override.
void Source::record(const YAML::Node& node, int origin, size_t& budget, const std::string& text) {
  std::set<std::tuple<int, int, int, int>> seen;
  auto walk = [&](auto&& self, const YAML::Node& n, int depth) -> void {
    if (!n.IsDefined()) return;
    YAML::Mark m = n.Mark();
    if (m.is_null() && text.empty()) return;
    if (!m.is_null() && !seen.insert({m.line, m.column, m.pos, static_cast<int>(n.Type())}).second) return;
    if (!text.empty() && (++budget > 200000 || depth > 64))
      throw ConfigError(fmt::format("--set {}: error: the value holds more than 200000 values or is nested more than 64 "
                                    "levels deep",
                                    text));
    recorded_[mark_key(m)].emplace_back(n, origin);
    if (n.IsMap())
      for (auto it = n.begin(); it != n.end(); ++it) {
        self(self, it->first, depth + 1);
        self(self, it->second, depth + 1);
      }
    else if (n.IsSequence())
      for (auto it = n.begin(); it != n.end(); ++it) self(self, *it, depth + 1);
  };
  walk(walk, node, 0);
}

void Source::add_nodes(const YAML::Node& node, int file) {
  size_t budget = 0;
  record(node, file, budget, "");
}

void Source::add_override(const YAML::Node& node, const std::string& text) {
  size_t budget = 0;
  int origin = origins_.back() == "--set " + text ? static_cast<int>(origins_.size()) - 1 : add_file("--set " + text);
  record(node, origin, budget, text);
}

int Source::origin_of(const YAML::Node& node) const {
  if (recorded_.empty() || !node.IsDefined()) return 0;
  auto it = recorded_.find(mark_key(node.Mark()));
  if (it == recorded_.end()) return 0;
  for (auto r = it->second.rbegin(); r != it->second.rend(); ++r)
    if (r->first.is(node)) return r->second;
  return 0;
}

Location Source::location(const YAML::Node& node) const {
  int origin = origin_of(node);
  YAML::Mark m = node.Mark();
  if (m.is_null() || origins_[static_cast<size_t>(origin)].rfind("--set ", 0) == 0) return {0, 0, origin};
  return {m.line + 1, m.column + 1, origin};
}

std::string Source::where(const YAML::Node& node) const {
  Location loc = location(node);
  return format_where(origins_[static_cast<size_t>(loc.file)], loc);
}

std::string Source::dir_of(const YAML::Node& node) const {
  const std::string& name = origins_[static_cast<size_t>(origin_of(node))];
  const std::string& file = name.rfind("--set ", 0) == 0 ? path() : name;
  auto slash = file.rfind('/');
  return slash == std::string::npos ? "" : file.substr(0, slash + 1);
}

void Source::fail(const YAML::Node& node, const std::string& message) const {
  throw ConfigError(fmt::format("{}: error: {}", where(node), message));
}

void Source::fail_at(Location loc, const std::string& message) const {
  size_t k = loc.file >= 0 && static_cast<size_t>(loc.file) < origins_.size() ? static_cast<size_t>(loc.file) : 0;
  throw ConfigError(fmt::format("{}: error: {}", format_where(origins_[k], loc), message));
}

static const char* type_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "nothing (null)";
    default:
      return "nothing";
  }
}

MapReader::MapReader(const Source& src, const YAML::Node& node, const std::string& what,
                     std::vector<std::string> allowed)
    : src_(src), node_(node), what_(what) {
  if (!node.IsMap()) src.fail(node, fmt::format("{} must be a map of keys to values, found {}", what, type_name(node)));
  std::set<std::string> allowed_set(allowed.begin(), allowed.end());  // a latency table allows all of its own keys
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node k = it->first;  // a copy: the iterator hands out a temporary
    if (!k.IsScalar()) src.fail(k, fmt::format("keys of {} must be plain names", what));
    std::string key = k.Scalar();
    if (!allowed_set.count(key)) {
      std::string hint = nearest(key, allowed);
      if (!hint.empty())
        src.fail(k, fmt::format("unknown key '{}' in {}; did you mean '{}'?", key, what, hint));
      std::string all;
      for (const auto& a : allowed) all += (all.empty() ? "" : ", ") + a;
      src.fail(k, fmt::format("unknown key '{}' in {}; valid keys: {}", key, what, all));
    }
    if (entries_.count(key))
      src.fail(k, fmt::format("duplicate key '{}' in {} (first at line {})", key, what,
                              src.location(entries_[key].first).line));
    entries_[key] = {k, it->second};
    order_.push_back(key);
  }
}

YAML::Node MapReader::require(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) src_.fail(node_, fmt::format("{} needs '{}'", what_, key));
  return it->second.second;
}

YAML::Node MapReader::get(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return YAML::Node(YAML::NodeType::Undefined);
  return it->second.second;
}

Location MapReader::key_location(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return src_.location(node_);
  return src_.location(it->second.first);
}

static const std::string& scalar(const Source& src, const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) src.fail(node, fmt::format("{} must be a single value, found {}", what, type_name(node)));
  return node.Scalar();
}

std::string read_string(const Source& src, const YAML::Node& node, const std::string& what) {
  const std::string& s = scalar(src, node, what);
  if (s.empty()) src.fail(node, fmt::format("{} must not be empty", what));
  return s;
}

// A value as shown in a message; a long one (a 400-digit number) is cut short.
static std::string cut(const std::string& s) {
  if (s.size() <= 40) return s;
  return fmt::format("{}... ({} characters)", s.substr(0, 20), s.size());
}

// Whether `v` lies in [min, max] and converts to int64_t (2^63 compares equal to INT64_MAX as a double).
static bool in_range(std::optional<double> v, int64_t min, int64_t max) {
  return v && *v >= static_cast<double>(min) && *v <= static_cast<double>(max) && *v < 0x1p63;
}

int64_t read_int(const Source& src, const YAML::Node& node, const std::string& what, int64_t min, int64_t max) {
  const std::string& s = scalar(src, node, what);
  std::string why;
  auto v = parse_number(s, &why);
  bool too_large = !v && why.find("is too large") != std::string::npos;  // a number, beyond a double
  if ((!v && !too_large) || (v && *v != std::floor(*v)))
    src.fail(node, fmt::format("{} must be a whole number, got '{}'", what, cut(s)));
  if (!in_range(v, min, max)) src.fail(node, fmt::format("{} must be between {} and {}, got {}", what, min, max, cut(s)));
  return static_cast<int64_t>(*v);
}

int64_t read_int_or_unbounded(const Source& src, const YAML::Node& node, const std::string& what, int64_t min,
                              int64_t max) {
  if (node.IsScalar() && node.Scalar() == "unbounded") return -1;
  const std::string& s = scalar(src, node, what);
  std::string why;
  auto v = parse_number(s, &why);
  bool too_large = !v && why.find("is too large") != std::string::npos;
  if ((!v && !too_large) || (v && *v != std::floor(*v)))
    src.fail(node, fmt::format("{} must be a whole number or 'unbounded', got '{}'", what, cut(s)));
  if (!in_range(v, min, max))
    src.fail(node, fmt::format("{} must be between {} and {} (or 'unbounded'), got {}", what, min, max, cut(s)));
  return static_cast<int64_t>(*v);
}

double read_number(const Source& src, const YAML::Node& node, const std::string& what, double min, double max) {
  const std::string& s = scalar(src, node, what);
  std::string why;
  auto v = parse_number(s, &why);
  if (!v) src.fail(node, fmt::format("{}: {}", what, why));
  if (*v < min || *v > max)
    src.fail(node, fmt::format("{} must be between {:g} and {:g}, got {}", what, min, max, cut(s)));
  return *v;
}

bool read_bool(const Source& src, const YAML::Node& node, const std::string& what) {
  const std::string& s = scalar(src, node, what);
  if (s == "true") return true;
  if (s == "false") return false;
  src.fail(node, fmt::format("{} must be true or false, got '{}'", what, cut(s)));
}

double read_duration(const Source& src, const YAML::Node& node, const LatencyTable& table, const std::string& what,
                     bool allow_zero) {
  const std::string& s = scalar(src, node, what);
  double v = 0;
  if (auto named = table.lookup(s)) {
    v = *named;
  } else {
    std::string why;
    auto d = parse_duration(s, &why);
    if (!d) {
      bool wordlike = !s.empty() && (std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_');
      if (wordlike) {
        std::string hint = nearest(s, table.names());
        if (!hint.empty())
          src.fail(node, fmt::format("{}: '{}' is neither a duration nor a latency-table entry; did you mean '{}'?",
                                     what, cut(s), hint));
        src.fail(node, fmt::format("{}: '{}' is neither a duration (e.g. 500us) nor a latency-table entry "
                                   "(`archsim latency-table` lists them)",
                                   what, cut(s)));
      }
      src.fail(node, fmt::format("{}: {}", what, why));
    }
    v = *d;
  }
  if (v < 0) src.fail(node, fmt::format("{} must not be negative, got {}", what, cut(s)));
  if (!allow_zero && v == 0) src.fail(node, fmt::format("{} must be greater than zero", what));
  // Below the engine's clock resolution a duration is no time at all: timers and arrivals that
  // far apart land on the same instant (SimGrid's resolution; the native engine keeps the same).
  if (v > 0 && v < kTimeResolution)
    src.fail(node, fmt::format("{} of {} is below 1 ns, the engine's time resolution; use {}", what, cut(s),
                               allow_zero ? "0 or at least 1ns" : "at least 1ns"));
  if (v > 1e9) src.fail(node, fmt::format("{} of {} is absurdly long (over 30 years)", what, cut(s)));
  return v;
}

double read_size(const Source& src, const YAML::Node& node, const std::string& what) {
  const std::string& s = scalar(src, node, what);
  std::string why;
  auto v = parse_size(s, &why);
  if (!v) src.fail(node, fmt::format("{}: {}", what, why));
  if (*v < 0) src.fail(node, fmt::format("{} must not be negative, got {}", what, cut(s)));
  if (*v > 1e18) src.fail(node, fmt::format("{} of {} is absurdly large", what, cut(s)));
  return *v;
}

double read_rate(const Source& src, const YAML::Node& node, const std::string& what) {
  const std::string& s = scalar(src, node, what);
  std::string why;
  auto v = parse_rate(s, &why);
  if (!v) src.fail(node, fmt::format("{}: {}", what, why));
  if (*v <= 0) src.fail(node, fmt::format("{} must be greater than zero, got {}", what, cut(s)));
  if (*v > 1e9) src.fail(node, fmt::format("{} of {} is beyond what a simulation can replay (max 1G/s)", what, cut(s)));
  return *v;
}

double read_bandwidth(const Source& src, const YAML::Node& node, const std::string& what) {
  const std::string& s = scalar(src, node, what);
  std::string why;
  auto v = parse_bandwidth(s, &why);
  if (!v) src.fail(node, fmt::format("{}: {}", what, why));
  if (*v <= 0) src.fail(node, fmt::format("{} must be greater than zero, got {}", what, cut(s)));
  if (*v > 1e15) src.fail(node, fmt::format("{} of {} is absurdly large", what, cut(s)));
  return *v;
}

Distribution read_distribution(const Source& src, const YAML::Node& node, const LatencyTable& table,
                               const std::string& what) {
  if (node.IsScalar()) return Distribution::constant(read_duration(src, node, table, what));
  MapReader m(src, node, what, {"dist", "mean", "median", "p99", "min", "max", "values", "of"});
  std::string dist = read_string(src, m.require("dist"), what + ".dist");
  auto only = [&](std::vector<std::string> allowed) {
    for (const auto& k : m.keys())
      if (k != "dist" && std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        src.fail_at(m.key_location(k), fmt::format("'{}' does not apply to a {} distribution in {}", k, dist, what));
  };
  if (dist == "constant") {
    only({"mean"});
    return Distribution::constant(read_duration(src, m.require("mean"), table, what + ".mean"));
  }
  if (dist == "exponential") {
    only({"mean"});
    return Distribution::exponential(read_duration(src, m.require("mean"), table, what + ".mean", false));
  }
  if (dist == "lognormal") {
    only({"median", "p99"});
    double median = read_duration(src, m.require("median"), table, what + ".median", false);
    double p99 = read_duration(src, m.require("p99"), table, what + ".p99", false);
    if (p99 <= median) src.fail(m.get("p99"), fmt::format("{}: p99 must be greater than the median", what));
    return Distribution::lognormal(median, p99);
  }
  if (dist == "uniform") {
    only({"min", "max"});
    double lo = read_duration(src, m.require("min"), table, what + ".min");
    double hi = read_duration(src, m.require("max"), table, what + ".max");
    if (hi < lo) src.fail(m.get("max"), fmt::format("{}: max must not be below min", what));
    return Distribution::uniform(lo, hi);
  }
  if (dist == "empirical") {
    only({"values"});
    YAML::Node values = m.require("values");
    if (!values.IsSequence() || values.size() == 0)
      src.fail(values, fmt::format("{}.values must be a non-empty list of [duration, probability] pairs", what));
    std::vector<std::pair<double, double>> points;
    double total = 0;
    for (const auto& v : values) {
      if (!v.IsSequence() || v.size() != 2)
        src.fail(v, fmt::format("{}.values: each entry must be [duration, probability]", what));
      double t = read_duration(src, v[0], table, what + ".values duration");
      double p = read_number(src, v[1], what + ".values probability", 0, 1);
      if (p <= 0) src.fail(v[1], fmt::format("{}.values: probabilities must be greater than zero", what));
      total += p;
      points.emplace_back(t, p);
    }
    if (std::fabs(total - 1) > 1e-6)
      src.fail(values, fmt::format("{}.values: probabilities add up to {:g}, not 1", what, total));
    return Distribution::empirical(std::move(points));
  }
  if (dist == "mixture") {
    // {dist: mixture, of: [[0.99, {dist: uniform, min: 1ms, max: 2ms}], [0.01, 50ms]]}
    only({"of"});
    YAML::Node of = m.require("of");
    if (!of.IsSequence() || of.size() == 0)
      src.fail(of, fmt::format("{}.of must be a non-empty list of [probability, distribution] pairs", what));
    std::vector<std::pair<double, Distribution>> parts;
    double total = 0;
    for (const auto& v : of) {
      if (!v.IsSequence() || v.size() != 2)
        src.fail(v, fmt::format("{}.of: each entry must be [probability, distribution]", what));
      double p = read_number(src, v[0], what + ".of probability", 0, 1);
      if (p <= 0) src.fail(v[0], fmt::format("{}.of: probabilities must be greater than zero", what));
      total += p;
      parts.emplace_back(p, read_distribution(src, v[1], table, what + ".of"));
    }
    if (std::fabs(total - 1) > 1e-6) src.fail(of, fmt::format("{}.of: probabilities add up to {:g}, not 1", what, total));
    return Distribution::mixture(std::move(parts));
  }
  std::vector<std::string> kinds = {"constant", "exponential", "lognormal", "uniform", "empirical", "mixture"};
  std::string hint = nearest(dist, kinds);
  src.fail(m.get("dist"), fmt::format("unknown distribution '{}' in {}{}; known: constant, exponential, lognormal, "
                                      "uniform, empirical, mixture",
                                      dist, what, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
}

std::vector<std::string> read_string_list(const Source& src, const YAML::Node& node, const std::string& what) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(read_string(src, node, what));
    return out;
  }
  if (!node.IsSequence()) src.fail(node, fmt::format("{} must be a name or a list of names", what));
  for (const auto& n : node) out.push_back(read_string(src, n, "each entry of " + what));
  return out;
}

namespace {

// One `--set path=value`, applied: walks the path, making what is missing on the way.
class Assignment {
 public:
  Assignment(Source& src, const std::string& text) : src_(src), text_(text) {}

  void apply(YAML::Node& root) {
    auto eq = text_.find('=');
    if (eq == std::string::npos || eq == 0) fail("expected path=value, e.g. --set components.app.replicas=16");
    split(text_.substr(0, eq));
    YAML::Node value = parse_value(text_.substr(eq + 1));
    YAML::Node cur;
    cur.reset(root);
    for (size_t i = 0; i + 1 < parts_.size(); ++i) {
      YAML::Node next = step(cur, i);
      cur.reset(next);
    }
    set(cur, parts_.size() - 1, value);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw ConfigError(fmt::format("--set {}: error: {}", text_, message));
  }

  void split(const std::string& path) {
    size_t start = 0;
    while (true) {
      size_t dot = path.find('.', start);
      parts_.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  }

  // The path up to and including part i ("components.app").
  std::string upto(size_t i) const {
    std::string s;
    for (size_t k = 0; k <= i; ++k) s += (k ? "." : "") + parts_[k];
    return s;
  }

  static std::optional<size_t> index_of(const std::string& p) {
    if (p.empty() || p.size() > 9 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    return static_cast<size_t>(std::stoul(p));
  }

  YAML::Node parse_value(const std::string& value) const {
    int depth = 0, deepest = 0;  // yaml-cpp recurses per level: bound the nesting before it parses
    for (char c : value) {
      if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
      if (c == ']' || c == '}') --depth;
    }
    if (deepest > 64) fail("the value is nested more than 64 levels deep");
    YAML::Node parsed;
    try {
      parsed = YAML::Load(value);
    } catch (const YAML::Exception& e) {
      fail(fmt::format("value is not valid YAML: {}", e.msg));
    }
    if (parsed.IsNull())
      fail("no value after '=' (a '#' starts a comment; quote the value if it holds one)");
    return parsed;
  }

  // What a missing part i is made as: a list when the next part is an index, else a map.
  YAML::Node fresh(size_t i) const {
    bool list = i + 1 < parts_.size() && index_of(parts_[i + 1]).has_value();
    return YAML::Node(list ? YAML::NodeType::Sequence : YAML::NodeType::Map);
  }

  // The node at part i below `cur`, made when missing. REQUIRES: i is not the last part.
  YAML::Node step(YAML::Node& cur, size_t i) {
    const std::string& p = parts_[i];
    if (cur.IsMap()) {
      std::vector<std::string> keys;
      for (auto it = cur.begin(); it != cur.end(); ++it) {
        if (!it->first.IsScalar()) continue;
        if (it->first.Scalar() == p && !it->second.IsNull()) return it->second;
        keys.push_back(it->first.Scalar());
      }
      std::string hint = nearest(p, keys);
      if (!hint.empty() && hint != p)
        fail(fmt::format("'{}' does not exist in {}; did you mean '{}{}'?", upto(i), src_.path(),
                         i ? upto(i - 1) + "." : "", hint));
      return make_key(cur, p, fresh(i));
    }
    if (cur.IsSequence()) return make_entry(cur, i, fresh(i), false);
    not_a_map(i);
  }

  // Sets `cur`'s key p to `value` (replacing a value there) and records both as this override's.
  YAML::Node make_key(YAML::Node& cur, const std::string& p, const YAML::Node& value) {
    cur[p] = value;
    for (auto it = cur.begin(); it != cur.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == p) {
        src_.add_override(it->first, text_);  // a new key may be the error ("unknown key")
        src_.add_override(it->second, text_);
        return it->second;
      }
    return cur[p];
  }

  // Entry parts_[i] of the list `cur` (one past the end appends): `value` replaces it when it is
  // the last part; on the way, an entry that is there is walked into and a missing one is made.
  YAML::Node make_entry(YAML::Node& cur, size_t i, const YAML::Node& value, bool last) {
    auto idx = index_of(parts_[i]);
    std::string list = i ? upto(i - 1) : "the document";
    if (!idx)
      fail(fmt::format("'{}' is a list: its entries are numbered from 0, and '{}' is not a number", list, parts_[i]));
    size_t n = cur.size();
    if (*idx > n)
      fail(fmt::format("'{}' is past the end of the list '{}', which has {} entr{} ({}{} appends one)", upto(i), list, n,
                       n == 1 ? "y" : "ies", n ? fmt::format("0 to {}; ", n - 1) : "", n));
    if (*idx == n) {
      cur.push_back(value);
    } else if (last || cur[*idx].IsNull()) {
      cur[*idx] = value;
    } else {
      return cur[*idx];
    }
    src_.add_override(cur[*idx], text_);
    return cur[*idx];
  }

  void set(YAML::Node& cur, size_t i, const YAML::Node& value) {
    if (cur.IsMap()) make_key(cur, parts_[i], value);
    else if (cur.IsSequence()) make_entry(cur, i, value, true);
    else not_a_map(i);
  }

  [[noreturn]] void not_a_map(size_t i) const {
    if (i == 0) fail("the document is not a map of keys to values");
    fail(fmt::format("'{}' is a single value, not a map", upto(i - 1)));
  }

  Source& src_;
  const std::string& text_;
  std::vector<std::string> parts_;
};

}  // namespace

void apply_override(Source& src, YAML::Node& root, const std::string& assignment) {
  // Control characters and invalid UTF-8 would reach the summary (the JSON writer throws on them).
  for (size_t i = 0, n; i < assignment.size(); i += n) {
    unsigned char c = static_cast<unsigned char>(assignment[i]);
    n = utf8_sequence_length(assignment, i);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      std::string shown;
      for (unsigned char b : assignment)
        shown += b < 0x20 || b >= 0x7F ? fmt::format("\\x{:02x}", b) : std::string(1, static_cast<char>(b));
      throw ConfigError(fmt::format("--set {}: error: {} 0x{:02x} cannot be part of a value; values are UTF-8 text",
                                    shown, n == 0 ? "the invalid UTF-8 byte" : "the control character", c));
    }
  }
  Assignment(src, assignment).apply(root);
}

std::string flow_text(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

}  // namespace archsim
