#include "sim/config/strict_yaml.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace archsim {

namespace {

// Bounds on what a file may hold, checked before the document is built. A topology needs a few levels of nesting and
// a few thousand values (an experiment fewer); yaml-cpp spends about 4 us and 400 bytes on each value, so 4 MiB of `[a, a, ...]` would
// take seconds and a gigabyte.
constexpr size_t kMaxNesting = 64;
constexpr long kMaxValues = 200000;

// 1-based line and byte column of byte `pos` of `text`, as yaml-cpp counts them (a leading byte-order mark is not).
Location location_of(const std::string& text, size_t pos) {
  Location loc{1, 1};
  for (size_t i = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      loc.col = 1;
    } else {
      ++loc.col;
    }
  }
  return loc;
}

// The byte offset of a 0-based line and column (a yaml-cpp mark); npos when it is outside the text.
size_t offset_of(const std::string& text, int line, int column) {
  size_t pos = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  for (int l = 0; l < line; ++l) {
    pos = text.find('\n', pos);
    if (pos == std::string::npos) return pos;
    ++pos;
  }
  pos += static_cast<size_t>(column);
  return pos < text.size() ? pos : std::string::npos;
}

// Scans the bytes before YAML sees them, up to `stop`: refuses control characters (a NUL cuts the text short for
// yaml-cpp) and invalid UTF-8 (it would reach the JSON summary), and bounds how deeply `[` and `{` nest (yaml-cpp's
// scanner reads a whole run of opening brackets ahead of its own depth limit: seconds and a gigabyte for a few
// million). Returns the flow brackets still open at `stop`, innermost last, as (bracket, offset).
std::vector<std::pair<char, size_t>> prescan(const std::string& text, const Source& src, const DocumentKind& kind,
                                             size_t stop = std::string::npos) {
  std::vector<std::pair<char, size_t>> open;
  enum { Plain, Comment, Double, Single } state = Plain;
  bool escaped = false;
  auto fail = [&](size_t pos, const std::string& message) { src.fail_at(location_of(text, pos), message); };
  size_t end = std::min(stop, text.size());
  for (size_t i = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0; i < end; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t n = utf8_sequence_length(text, i);
      if (n == 0) fail(i, fmt::format("byte 0x{:02x} is not valid UTF-8; save the file as UTF-8 text", c));
      i += n - 1;
      escaped = false;
      continue;
    }
    if (c == 0) fail(i, fmt::format("the file contains a NUL byte; {} is a UTF-8 text file", kind.a_noun));
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
      fail(i, fmt::format("the file contains the control character 0x{:02x}; {} is plain UTF-8 text", c, kind.a_noun));
    char prev = i == 0 ? '\n' : text[i - 1];
    bool space_before = prev == ' ' || prev == '\t' || prev == '\n' || prev == '\r';
    bool token_start = space_before || prev == '[' || prev == '{' || prev == ',' || prev == ':';
    switch (state) {
      case Comment:
        if (c == '\n') state = Plain;
        break;
      case Double:
        if (escaped) escaped = false;
        else if (c == '\\') escaped = true;
        else if (c == '"') state = Plain;
        break;
      case Single:
        if (c == '\'') {
          if (i + 1 < end && text[i + 1] == '\'') ++i;
          else state = Plain;
        }
        break;
      case Plain:
        if (c == '#' && space_before) {
          state = Comment;
        } else if (c == '"' && token_start) {
          state = Double;
        } else if (c == '\'' && token_start) {
          state = Single;
        } else if ((c == '[' || c == '{') && token_start) {
          open.emplace_back(static_cast<char>(c), i);
          if (open.size() > kMaxNesting)
            fail(i, fmt::format("lists and maps are nested more than {} levels deep; {} needs only a few",
                                kMaxNesting, kind.a_noun));
        } else if ((c == ']' || c == '}') && !open.empty() && open.back().first == (c == ']' ? '[' : '{')) {
          open.pop_back();
        }
        break;
    }
  }
  return open;
}

// Walks the parser's events once before the document is built: counts the values, bounds the nesting of block
// lists and maps, and catches a quoted string that is never closed (yaml-cpp 0.7 silently runs it to the end of
// the file).
class Census : public YAML::EventHandler {
 public:
  Census(const std::string& text, const Source& src, const DocumentKind& kind) : text_(text), src_(src), kind_(kind) {
    line_starts_.push_back(text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0);
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
  YAML::Mark document;  // where the last document started

  void OnDocumentStart(const YAML::Mark& m) override { document = m; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { value(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { value(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override {
    value(m);
    check_quotes(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(m);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(m);
  }
  void OnMapEnd() override { --depth_; }

 private:
  void fail(const YAML::Mark& m, const std::string& message) const { src_.fail_at({m.line + 1, m.column + 1}, message); }
  void value(const YAML::Mark& m) {
    if (++values_ > kMaxValues)
      fail(m, fmt::format("the file holds more than {} values; {} needs far fewer", kMaxValues, kind_.a_noun));
  }
  void open(const YAML::Mark& m) {
    value(m);
    if (++depth_ > kMaxNesting)
      fail(m, fmt::format("lists and maps are nested more than {} levels deep; {} needs only a few",
                          kMaxNesting, kind_.a_noun));
  }
  void check_quotes(const YAML::Mark& m) {
    if (m.line < 0 || static_cast<size_t>(m.line) >= line_starts_.size()) return;
    size_t p = line_starts_[static_cast<size_t>(m.line)] + static_cast<size_t>(m.column);
    while (p < text_.size()) {  // past the node's &anchor and !tag
      char c = text_[p];
      if (c == '&' || c == '!') {
        while (p < text_.size() && !std::isspace(static_cast<unsigned char>(text_[p]))) ++p;
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++p;
      } else {
        break;
      }
    }
    if (p >= text_.size() || (text_[p] != '"' && text_[p] != '\'')) return;
    char q = text_[p];
    for (size_t i = p + 1; i < text_.size(); ++i) {
      if (q == '"' && text_[i] == '\\') {
        ++i;
      } else if (text_[i] == q) {
        if (q == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') ++i;
        else return;
      }
    }
    src_.fail_at(location_of(text_, p), fmt::format("invalid YAML: this {}-quoted string is never closed; add the "
                                                    "closing {}",
                                                    q == '"' ? "double" : "single", q));
  }

  const std::string& text_;
  const Source& src_;
  const DocumentKind& kind_;
  std::vector<size_t> line_starts_;
  long values_ = 0;
  size_t depth_ = 0;
};

// A yaml-cpp parse error as a line that says what to do.
[[noreturn]] void fail_yaml(const std::string& text, const Source& src, const DocumentKind& kind,
                            const YAML::Exception& e) {
  if (e.mark.is_null()) throw ConfigError(fmt::format("{}: error: invalid YAML: {}", src.path(), e.msg));
  Location loc{e.mark.line + 1, e.mark.column + 1};
  // A tab in the indentation of the broken line is the likeliest cause, whatever yaml-cpp calls it.
  size_t line_start = offset_of(text, e.mark.line, 0);
  for (size_t i = line_start; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i)
    if (text[i] == '\t')
      src.fail_at(location_of(text, i), "invalid YAML: a tab character in the indentation; YAML indents with spaces");
  std::string msg = e.msg;
  auto is = [&](const char* m) { return msg == m; };
  // An unclosed bracket: name the one left open where yaml-cpp stopped; when its mark is before any (it reports
  // 1:1 at the end of a file without a final newline), point at the one left open at the end.
  auto unclosed = [&](char bracket) -> std::string {
    char closing = bracket == '[' ? ']' : '}';
    for (bool at_end : {false, true}) {
      auto open = prescan(text, src, kind, at_end ? std::string::npos : offset_of(text, e.mark.line, e.mark.column));
      for (auto it = open.rbegin(); it != open.rend(); ++it)
        if (it->first == bracket) {
          Location at = location_of(text, it->second);
          std::string m = fmt::format("invalid YAML: the '{}' at line {}, column {} is never closed; add the matching "
                                      "'{}' (or a missing comma)",
                                      bracket, at.line, at.col, closing);
          if (at_end) src.fail_at(at, m);
          return m.substr(std::string("invalid YAML: ").size());
        }
    }
    return fmt::format("a '{}' is not closed by a matching '{}' before this point", bracket, closing);
  };
  auto stray_closing = [&]() -> std::string {
    size_t at = offset_of(text, e.mark.line, e.mark.column);
    if (at == std::string::npos || (text[at] != ']' && text[at] != '}'))
      return "a closing bracket here has no matching opening one";
    char opening = text[at] == ']' ? '[' : '{';
    auto open = prescan(text, src, kind, at);
    if (!open.empty() && open.back().first != opening) {
      Location o = location_of(text, open.back().second);
      return fmt::format("this '{}' comes before the '{}' at line {}, column {} is closed", text[at], open.back().first,
                         o.line, o.col);
    }
    return fmt::format("this '{}' has no matching '{}'", text[at], opening);
  };
  if (dynamic_cast<const YAML::DeepRecursion*>(&e))
    msg = fmt::format("lists and maps are nested too deeply; {} needs only a few levels", kind.a_noun);
  else if (is(YAML::ErrorMsg::END_OF_MAP_FLOW))
    msg = unclosed('{');
  else if (is(YAML::ErrorMsg::END_OF_SEQ_FLOW))
    msg = unclosed('[');
  else if (is(YAML::ErrorMsg::END_OF_MAP))
    msg = "this line does not continue the map above it; keys of one map start in the same column, and `key:` "
          "lines do not mix with `- ` items at one level";
  else if (is(YAML::ErrorMsg::END_OF_SEQ))
    msg = "this line does not continue the list above it; items of one list start with '- ' in the same column";
  else if (is(YAML::ErrorMsg::MAP_VALUE))
    msg = "unexpected ':' here; check the indentation of this line, and quote a value that contains ': '";
  else if (is(YAML::ErrorMsg::BLOCK_ENTRY))
    msg = "unexpected '- ' list item here; check the indentation of this line";
  else if (is(YAML::ErrorMsg::FLOW_END))
    msg = stray_closing();
  else if (is(YAML::ErrorMsg::TAB_IN_INDENTATION))
    msg = "a tab character in the indentation; YAML indents with spaces";
  else if (is(YAML::ErrorMsg::UNKNOWN_ANCHOR))
    msg = "this alias (*name) refers to no anchor (&name) defined before it";
  else if (is(YAML::ErrorMsg::UNKNOWN_TOKEN))
    msg = "a value cannot start with '@' or '`' (reserved in YAML); quote it";
  else if (msg.rfind(YAML::ErrorMsg::INVALID_ESCAPE, 0) == 0)
    msg += " (in a double-quoted string; write \\\\ for a backslash, or use single quotes)";
  src.fail_at(loc, "invalid YAML: " + msg);
}

}  // namespace

namespace {

size_t count_values(const YAML::Node& n) {
  size_t c = 1;
  if (n.IsMap() || n.IsSequence())
    for (auto it = n.begin(); it != n.end(); ++it) c += count_values(n.IsMap() ? it->second : *it);
  return c;
}

// YAML merge keys (`<<: *base`, or `<<: [*a, *b]` where the first given wins): the keys of the
// merged maps that the map does not give itself, copied in; yaml-cpp reads `<<` as a plain key.
// Copies, not shared nodes, so that --set on one map leaves the others alone. `budget` bounds
// the values copied (merges of merges grow like aliases do).
void apply_merge_keys(YAML::Node node, const Source& src, const DocumentKind& kind, size_t& budget,
                      std::set<std::pair<int, int>>& done, int depth) {
  if (depth > 64 || !(node.IsMap() || node.IsSequence())) return;  // the census refused deeper documents
  // Each map and list once: an alias is the node it names, at the same place (a billion laughs
  // would otherwise be walked a billion times).
  if (!done.insert({node.Mark().line, node.Mark().column}).second) return;
  if (node.IsSequence()) {
    for (auto child : node) apply_merge_keys(child, src, kind, budget, done, depth + 1);
    return;
  }
  YAML::Node merge;  // a default Node is a null one, not an undefined one: `found` says
  bool found = false;
  Location merge_at;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "<<") {
      merge.reset(it->second);
      found = true;
      merge_at = {it->first.Mark().line + 1, it->first.Mark().column + 1};
    }
    apply_merge_keys(it->second, src, kind, budget, done, depth + 1);
  }
  if (!found) return;
  std::vector<YAML::Node> sources;
  if (merge.IsSequence())
    for (auto m : merge) sources.push_back(m);
  else
    sources.push_back(merge);
  for (const auto& m : sources)
    if (!m.IsMap())
      src.fail_at(merge_at, "a merge key takes a map or a list of maps: `<<: *base` where `base` is an anchored map, or `<<: [*a, *b]`");
  node.remove("<<");
  for (const auto& m : sources)
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (!it->first.IsScalar() || node[it->first.Scalar()]) continue;
      YAML::Node copy = YAML::Clone(it->second);
      budget += count_values(copy);
      if (budget > static_cast<size_t>(kMaxValues))
        src.fail(m, fmt::format("the merge keys expand the file past {} values; {} needs far fewer", kMaxValues,
                                kind.a_noun));
      node[it->first.Scalar()] = copy;
    }
}

}  // namespace

YAML::Node parse_yaml(const std::string& text, const Source& src, const DocumentKind& kind) {
  prescan(text, src, kind);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    Census census(text, src, kind);
    parser.HandleNextDocument(census);
    if (parser.HandleNextDocument(census))
      src.fail_at({census.document.line + 1, census.document.column + 1},
                  fmt::format("a second YAML document starts here; {} file holds one document (remove the '---')",
                              kind.a_noun));
    YAML::Node root = YAML::Load(text);
    size_t budget = 0;
    std::set<std::pair<int, int>> done;
    apply_merge_keys(root, src, kind, budget, done, 0);
    return root;
  } catch (const YAML::Exception& e) {
    fail_yaml(text, src, kind, e);
  }
}

YAML::Node read_yaml_file(const std::string& path, const Source& src, const DocumentKind& kind) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) throw ConfigError(fmt::format("{}: error: no such file", path));
  if (S_ISDIR(st.st_mode))
    throw ConfigError(fmt::format("{}: error: is a directory; give {} YAML file", path, kind.a_noun));
  const auto max_bytes = static_cast<std::streamsize>(kind.max_bytes);
  if (st.st_size > max_bytes)
    throw ConfigError(fmt::format("{}: error: file is {} bytes; {} over {} are refused", path, st.st_size, kind.plural,
                                  kind.max_text));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: error: cannot be read (check its permissions)", path));
  // Read at most one byte past the limit: a pipe or a device (/dev/zero) has no size to check up front.
  std::string text(kind.max_bytes + 1, '\0');
  in.read(text.data(), max_bytes + 1);
  if (in.bad()) throw ConfigError(fmt::format("{}: error: cannot be read", path));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kind.max_bytes)
    throw ConfigError(fmt::format("{}: error: more than {} to read; {} over {} are refused", path, kind.max_text,
                                  kind.plural, kind.max_text));
  return parse_yaml(text, src, kind);
}

}  // namespace archsim
