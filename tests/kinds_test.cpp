// The registry of component kinds (models/kinds.cpp) and what is generated from it: the kind
// lists in messages and the generated part of docs/topology.md.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "models/common/kind.hpp"
#include "sim/config/loader.hpp"
#include "sim/report/schema.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;
using namespace archsim::testing;

TEST_CASE("Kinds: every kind is registered once, named, described and found by name", "[kinds]") {
  std::set<std::string> names;
  REQUIRE(kinds().size() >= 9);
  for (const Kind* k : kinds()) {
    INFO(k->name());
    CHECK(names.insert(k->name()).second);
    CHECK(std::string(k->traits().plural).size() > 0);
    CHECK(std::string(k->summary()).size() > 20);
    CHECK(find_kind(k->name()) == k);
    CHECK(kind_names().find(k->name()) != std::string::npos);
  }
  CHECK(find_kind("nope") == nullptr);
  CHECK(kinds_with(&KindTraits::can_slow) == "services, caches and databases");
}

TEST_CASE("Kinds: every key is declared with its type, default and meaning", "[kinds]") {
  const auto readers = config_readers();
  for (const Kind* k : kinds()) {
    INFO(k->name());
    const ParamTable& t = k->params();
    Component c;
    c.kind = k;
    k->defaults(c);
    c.params = t.make();
    std::set<std::string> keys;
    for (const auto& d : t.decls()) {
      INFO(d.key);
      CHECK(keys.insert(d.key).second);
      CHECK(d.doc.size() > 20);
      CHECK(t.find(d.key) == &d);
      if (d.type == ParamType::Section) {
        CHECK(!d.shape.empty());
        CHECK(!d.reader.empty());
      } else {
        CHECK(!d.show(c).empty());
      }
      if (!d.reader.empty()) CHECK(std::find(readers.begin(), readers.end(), d.reader) != readers.end());
    }
  }
}

TEST_CASE("Kinds: an unknown kind is refused with the registry's list", "[kinds]") {
  std::string f = write_temp("unknown-kind.yaml", R"(name: unknown-kind
components:
  users: {kind: client, arrival: {process: constant, rate: 10/s}, requests: {get: {weight: 1}}, target: app}
  app: {kind: servise}
)");
  auto out = run_archsim({"validate", f});
  CHECK(out.exit_code == 2);
  CHECK(out.err == f + ":4:15: error: unknown kind 'servise' (did you mean 'service'?); known: " + kind_names() + "\n");
}

TEST_CASE("Kinds: docs/topology.md holds what `archsim schema` generates", "[kinds][docs]") {
  std::ifstream in(source_path("docs/topology.md"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  INFO("run: ./build/archsim schema --update docs/topology.md");
  CHECK(regenerate_schema(text, "docs/topology.md") == text);
  for (const Kind* k : kinds()) {
    INFO(k->name());
    CHECK(text.find(schema_begin(k->name())) != std::string::npos);
  }
  auto out = run_archsim({"schema"});
  CHECK(out.exit_code == 0);
  CHECK(out.out == schema_markdown());
}

TEST_CASE("Kinds: a docs file without a kind's part is refused with the lines to add", "[kinds][docs]") {
  std::string text = schema_begin("kinds") + "\n" + schema_end("kinds") + "\n";
  try {
    regenerate_schema(text, "x.md");
    FAIL("accepted a file without the kinds' parts");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("x.md has no generated part for kind 'client'; add the lines") != std::string::npos);
  }
}
