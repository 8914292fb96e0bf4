#include "sim/report/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "models/common/kind.hpp"
#include "sim/support/location.hpp"

namespace archsim {

namespace {

std::string cell(std::string text) {
  std::string out;
  for (char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

std::string type_text(const ParamDecl& d) {
  std::string t = ParamTable::type_name(d.type);
  if (d.type == ParamType::Choice) {
    std::string list;
    for (const auto& c : d.choices) list += (list.empty() ? "" : ", ") + fmt::format("`{}`", c);
    t += " " + list;
  } else if (d.type == ParamType::Count) {
    t += fmt::format(" {}..{}", static_cast<int64_t>(d.min), static_cast<int64_t>(d.max));
  } else if (d.type == ParamType::Duration && !d.allow_zero) {
    t += " > 0";
  } else if (d.type == ParamType::Section) {
    t = d.shape;
  }
  if (d.unbounded) t += " or `unbounded`";
  if (!d.zero_word.empty()) t += fmt::format(" or `{}`", d.zero_word);
  return t;
}

std::string default_text(const Kind& k, const ParamDecl& d) {
  if (d.required) return "required";
  Component c;
  c.kind = &k;
  k.defaults(c);
  c.params = k.params().make();
  std::string v = d.show(c);
  if (!d.zero_word.empty() && v == "0") v = d.zero_word;
  return v.empty() ? "none" : "`" + v + "`";
}

std::string kinds_table() {
  std::string out = "| kind | what it is | crash | slow | disk_full |\n|---|---|---|---|---|\n";
  for (const Kind* k : kinds()) {
    const KindTraits& t = k->traits();
    auto yes = [](bool b) { return b ? "yes" : "-"; };
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", k->name(), cell(k->summary()), yes(t.can_crash),
                       yes(t.can_slow), yes(t.has_disk));
  }
  return out;
}

std::string params_table(const Kind& k) {
  std::string out = "| key | type | default | meaning and trade-off |\n|---|---|---|---|\n";
  for (const auto& d : k.params().decls())
    out += fmt::format("| `{}` | {} | {} | {} |\n", d.key, cell(type_text(d)), cell(default_text(k, d)), cell(d.doc));
  return out;
}

}  // namespace

std::string schema_begin(const std::string& part) {
  return fmt::format("<!-- archsim schema: {} (generated: do not edit by hand) -->", part);
}
std::string schema_end(const std::string& part) { return fmt::format("<!-- end of archsim schema: {} -->", part); }

std::string schema_part(const std::string& part) {
  if (part == "kinds") return kinds_table();
  const Kind* k = find_kind(part);
  if (!k) throw ConfigError(fmt::format("archsim schema: error: no kind '{}'; known: kinds, {}", part, kind_names()));
  return params_table(*k);
}

std::string schema_markdown() {
  std::string out = kinds_table();
  for (const Kind* k : kinds()) out += fmt::format("\n**{}** keys (besides `kind`, `region`, `cost`):\n\n{}", k->name(), params_table(*k));
  return out;
}

std::string regenerate_schema(const std::string& text, const std::string& path) {
  std::vector<std::string> parts = {"kinds"};
  for (const Kind* k : kinds()) parts.push_back(k->name());
  std::string out = text;
  for (const auto& part : parts) {
    std::string begin = schema_begin(part), end = schema_end(part);
    auto b = out.find(begin);
    auto e = out.find(end);
    if (b == std::string::npos || e == std::string::npos || e < b)
      throw ConfigError(fmt::format("archsim schema: error: {} has no generated part for {}; add the lines\n{}\n{}\n"
                                    "where it belongs",
                                    path, part == "kinds" ? "the table of kinds" : "kind '" + part + "'", begin, end));
    b += begin.size();
    out = out.substr(0, b) + "\n" + schema_part(part) + out.substr(e);
  }
  const std::string marker = "<!-- archsim schema: ";
  for (auto at = out.find(marker); at != std::string::npos; at = out.find(marker, at + 1)) {
    std::string name = out.substr(at + marker.size(), out.find(' ', at + marker.size()) - at - marker.size());
    if (std::find(parts.begin(), parts.end(), name) == parts.end())
      throw ConfigError(fmt::format("archsim schema: error: {} has a generated part for '{}', which is no kind; "
                                    "known: kinds, {}",
                                    path, name, kind_names()));
  }
  return out;
}

void update_schema(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("archsim schema: error: cannot read {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string updated = regenerate_schema(ss.str(), path);
  std::ofstream outf(path);
  outf << updated;
  if (!outf) throw ConfigError(fmt::format("archsim schema: error: cannot write {}", path));
}

}  // namespace archsim
