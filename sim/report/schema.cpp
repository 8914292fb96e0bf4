#include "sim/report/schema.hpp"

#include <fmt/format.h>

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
  }
  return t;
}

}  // namespace

std::string schema_markdown() {
  std::string out;
  out += "| kind | what it is | crash | slow | disk_full | params |\n|---|---|---|---|---|---|\n";
  for (const Kind* k : kinds()) {
    const KindTraits& t = k->traits();
    auto yes = [](bool b) { return b ? "yes" : "-"; };
    out += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", k->name(), cell(k->summary()), yes(t.can_crash),
                       yes(t.can_slow), yes(t.has_disk), k->params() ? "declared (below)" : "see its section");
  }
  for (const Kind* k : kinds()) {
    const ParamTable* table = k->params();
    if (!table) continue;
    std::shared_ptr<ParamBlock> defaults = table->make();
    out += fmt::format("\n**{}** keys{}:\n\n", k->name(),
                       table->station() ? " (besides the station keys replicas, cores, workers, queue, cpu, delay)" : "");
    out += "| key | type | default | meaning and trade-off |\n|---|---|---|---|\n";
    for (const auto& d : table->decls())
      out += fmt::format("| `{}` | {} | `{}` | {} |\n", d.key, cell(type_text(d)), cell(d.show(*defaults)), cell(d.doc));
  }
  return out;
}

void update_schema(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("archsim schema: error: cannot read {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto b = text.find(kSchemaBegin);
  auto e = text.find(kSchemaEnd);
  if (b == std::string::npos || e == std::string::npos || e < b)
    throw ConfigError(fmt::format("archsim schema: error: {} has no generated part; add the lines\n{}\n{}\nwhere it "
                                  "belongs",
                                  path, kSchemaBegin, kSchemaEnd));
  b += std::string(kSchemaBegin).size();
  std::string updated = text.substr(0, b) + "\n" + schema_markdown() + text.substr(e);
  std::ofstream outf(path);
  outf << updated;
  if (!outf) throw ConfigError(fmt::format("archsim schema: error: cannot write {}", path));
}

}  // namespace archsim
