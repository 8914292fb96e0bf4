// The registry of component kinds (models/kinds.cpp) and what is generated from it: the kind
// lists in messages and the generated part of docs/topology.md.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "models/common/kind.hpp"
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

TEST_CASE("Kinds: declared parameters show their defaults and name their type", "[kinds]") {
  for (const Kind* k : kinds()) {
    const ParamTable* t = k->params();
    if (!t) continue;
    INFO(k->name());
    auto defaults = t->make();
    std::set<std::string> keys;
    for (const auto& d : t->decls()) {
      INFO(d.key);
      CHECK(keys.insert(d.key).second);
      CHECK(d.doc.size() > 20);
      CHECK(!d.show(*defaults).empty());
      CHECK(t->find(d.key) == &d);
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
  auto b = text.find(kSchemaBegin);
  auto e = text.find(kSchemaEnd);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  b += std::string(kSchemaBegin).size() + 1;
  INFO("run: ./build/archsim schema --update docs/topology.md");
  CHECK(text.substr(b, e - b) == schema_markdown());
  auto out = run_archsim({"schema"});
  CHECK(out.exit_code == 0);
  CHECK(out.out == schema_markdown());
}
