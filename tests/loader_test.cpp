// Loading and validating topologies: every class of schema error names file:line:col and says
// what to do. The documents are small and built here; the first line of each is line 1.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "models/common/kind.hpp"
#include "sim/config/loader.hpp"
#include "sim/config/validate.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim;

namespace {

// A valid two-component design; tests replace one line to break it.
const char* kBase =
    "name: t\n"                                            // 1
    "components:\n"                                        // 2
    "  users:\n"                                           // 3
    "    kind: client\n"                                   // 4
    "    arrival: {process: poisson, rate: 100/s}\n"       // 5
    "    requests:\n"                                      // 6
    "      read: {weight: 1}\n"                            // 7
    "    target: app\n"                                    // 8
    "  app:\n"                                             // 9
    "    kind: service\n"                                  // 10
    "    cpu: 1ms\n"                                       // 11
    "run: {duration: 10s}\n";                              // 12

std::string replace_line(const std::string& doc, int line, const std::string& text) {
  std::string out;
  int n = 1;
  size_t start = 0;
  while (start < doc.size()) {
    size_t end = doc.find('\n', start);
    std::string l = doc.substr(start, end - start);
    out += (n == line ? text : l) + "\n";
    start = end + 1;
    ++n;
  }
  return out;
}

// The ConfigError message of loading and validating `doc`, or "" when it is fine.
std::string error_of(const std::string& doc, const std::vector<std::string>& sets = {}) {
  try {
    Topology t = load_topology_text(doc, "t.yaml", sets);
    validate_topology(t);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("Loader: the base document is valid", "[loader]") {
  CHECK(error_of(kBase) == "");
  Topology t = load_topology_text(kBase, "t.yaml");
  CHECK(t.components.size() == 2);
  CHECK(t.components[0].arrival.rate == 100.0);
  CHECK(t.regions == std::vector<std::string>{"default"});
  CHECK(t.network.intra_region_rtt == 500e-6);
}

TEST_CASE("Loader: each schema error names its line and column", "[loader]") {
  SECTION("YAML syntax errors point at the broken spot") {
    std::string e = error_of(replace_line(kBase, 11, "    cpu: [1ms"));
    CHECK(e.rfind("t.yaml:12:", 0) == 0);
    CHECK(e.find("invalid YAML") != std::string::npos);
  }
  SECTION("an unknown key suggests the nearest valid one") {
    CHECK(error_of(replace_line(kBase, 11, "    replicsa: 3")) ==
          "t.yaml:11:5: error: unknown key 'replicsa' in component 'app'; did you mean 'replicas'?");
  }
  SECTION("a duration without unit asks for one") {
    CHECK(error_of(replace_line(kBase, 11, "    cpu: 5")) ==
          "t.yaml:11:10: error: cpu: duration '5' has no unit; write it with one, e.g. 500us, 1.5ms or 2s");
  }
  SECTION("an unknown unit lists the known ones") {
    std::string e = error_of(replace_line(kBase, 5, "    arrival: {process: poisson, rate: 100/fortnight}"));
    CHECK(e.rfind("t.yaml:5:39: error: rate: unknown unit '/fortnight'", 0) == 0);
  }
  SECTION("a wrong type says what was expected") {
    CHECK(error_of(replace_line(kBase, 11, "    cpu: [1ms, 2ms]")) ==
          "t.yaml:11:10: error: cpu must be a map of keys to values, found a list");
  }
  SECTION("a negative duration is refused") {
    CHECK(error_of(replace_line(kBase, 11, "    cpu: -1ms")) == "t.yaml:11:10: error: cpu must not be negative, got -1ms");
  }
  SECTION("a zero rate is refused") {
    CHECK(error_of(replace_line(kBase, 5, "    arrival: {process: poisson, rate: 0/s}")) ==
          "t.yaml:5:39: error: rate must be greater than zero, got 0/s");
  }
  SECTION("an absurd replica count is refused") {
    CHECK(error_of(replace_line(kBase, 11, "    replicas: 1e12")) ==
          "t.yaml:11:15: error: replicas must be between 1 and 100000, got 1e12");
  }
  SECTION("a dangling reference suggests the component meant") {
    CHECK(error_of(replace_line(kBase, 8, "    target: ap")) ==
          "t.yaml:8:13: error: target 'ap' of 'users' names no component; did you mean 'app'?");
  }
  SECTION("a self-call is refused") {
    CHECK(error_of(replace_line(kBase, 11, "    calls: [app]")) == "t.yaml:11:13: error: 'app' calls itself");
  }
  SECTION("a call cycle is refused at the edge that closes it") {
    std::string doc = replace_line(kBase, 11, "    calls: [b]\n  b:\n    kind: service\n    calls: [app]");
    CHECK(error_of(doc) ==
          "t.yaml:14:13: error: call cycle: 'b' calls 'app', which leads back to 'b'; requests would never finish");
  }
  SECTION("a duplicate component name is refused") {
    std::string doc = replace_line(kBase, 11, "    cpu: 1ms\n  app:\n    kind: service");
    CHECK(error_of(doc) == "t.yaml:12:3: error: duplicate component name 'app'");
  }
  SECTION("a duplicate key is refused") {
    CHECK(error_of(replace_line(kBase, 11, "    cpu: 1ms\n    cpu: 2ms")) ==
          "t.yaml:12:5: error: duplicate key 'cpu' in component 'app' (first at line 11)");
  }
  SECTION("an unknown kind suggests the nearest") {
    CHECK(error_of(replace_line(kBase, 10, "    kind: servise")) ==
          "t.yaml:10:11: error: unknown kind 'servise' (did you mean 'service'?); known: " + kind_names());
  }
  SECTION("an unknown region is refused") {
    CHECK(error_of(replace_line(kBase, 11, "    region: mars")) ==
          "t.yaml:11:13: error: unknown region 'mars'; regions: default");
  }
  SECTION("shadowing a built-in latency needs override: true") {
    std::string doc = replace_line(kBase, 1, "name: t\nlatency_table:\n  same_dc_rtt: 1ms");
    CHECK(error_of(doc).rfind("t.yaml:3:3: error: latency_table entry 'same_dc_rtt' shadows a built-in entry", 0) == 0);
    std::string ok = replace_line(kBase, 1, "name: t\nlatency_table:\n  same_dc_rtt: {value: 1ms, override: true}");
    CHECK(error_of(ok) == "");
    CHECK(load_topology_text(ok, "t.yaml").network.intra_region_rtt == 500e-6);
  }
  SECTION("a latency-table name can be used as a duration, and a typo in one is caught") {
    CHECK(error_of(replace_line(kBase, 11, "    cpu: ssd_random_read")) == "");
    CHECK(error_of(replace_line(kBase, 11, "    cpu: ssd_randon_read")) ==
          "t.yaml:11:10: error: cpu: 'ssd_randon_read' is neither a duration nor a latency-table entry; did you mean "
          "'ssd_random_read'?");
  }
  SECTION("a lognormal needs p99 above the median") {
    CHECK(error_of(replace_line(kBase, 11, "    cpu: {dist: lognormal, median: 2ms, p99: 1ms}")) ==
          "t.yaml:11:46: error: cpu: p99 must be greater than the median");
  }
  SECTION("empirical probabilities must add up to one") {
    CHECK(error_of(replace_line(kBase, 11, "    cpu: {dist: empirical, values: [[1ms, 0.5], [2ms, 0.4]]}")) ==
          "t.yaml:11:36: error: cpu.values: probabilities add up to 0.9, not 1");
  }
  SECTION("warm-up must be shorter than the run") {
    CHECK(error_of(replace_line(kBase, 12, "run: {duration: 10s, warmup: 10s}")) ==
          "t.yaml:12:30: error: run.warmup (10s) must be shorter than run.duration (10s)");
  }
  SECTION("an empty file says what a topology needs") {
    CHECK(error_of("").rfind("t.yaml: error: the file is empty", 0) == 0);
  }
  SECTION("regions without a link between them cannot call each other") {
    std::string doc = replace_line(kBase, 1, "name: t\nregions: [a, b]");
    doc = replace_line(doc, 12, "    region: b");
    CHECK(error_of(doc) == "t.yaml:9:13: error: 'users' (region a) calls 'app' (region b), but no network link joins "
                           "the two regions; add one under network.links");
  }
}

TEST_CASE("Loader: --set overrides any scalar and names itself in errors", "[loader]") {
  Topology t = load_topology_text(kBase, "t.yaml", {"components.app.replicas=16", "run.duration=30s"});
  CHECK(t.components[1].replicas == 16);
  CHECK(t.run.duration == 30.0);
  SECTION("a bad value names the override, not a line of the file") {
    CHECK(error_of(kBase, {"components.app.cpu=5"}) ==
          "--set components.app.cpu=5: error: cpu: duration '5' has no unit; write it with one, e.g. 500us, 1.5ms or 2s");
  }
  SECTION("a path near an existing one is taken for a typo and refused with the one meant") {
    CHECK(error_of(kBase, {"components.ap.replicas=2"}) ==
          "--set components.ap.replicas=2: error: 'components.ap' does not exist in t.yaml; did you mean "
          "'components.app'?");
  }
  SECTION("a new component made by a path alone is read strictly, naming the override") {
    CHECK(error_of(kBase, {"components.nope.replicas=2"}).rfind(
              "--set components.nope.replicas=2: error: component 'nope' needs `kind:`", 0) == 0);
  }
  SECTION("a new key under an existing map goes through the strict loader") {
    CHECK(error_of(kBase, {"components.app.replicsa=2"}).find("did you mean 'replicas'?") != std::string::npos);
  }
}

TEST_CASE("Loader: --set takes YAML flow values, and whole numbers in a path index lists", "[loader]") {
  // System under consideration: kBase (no faults, no network) with overrides that write lists and
  // maps. Expectations: a flow value replaces or creates the node; `faults.0.at` reaches into the
  // first entry; one past the end appends; a missing map on the way is made.
  SECTION("a flow list replaces the faults, and an index changes one entry") {
    Topology t = load_topology_text(kBase, "t.yaml",
                                    {"faults=[{crash: app, at: 2s, for: 1s}, {crash: app, at: 5s}]", "faults.1.at=6s"});
    REQUIRE(t.faults.size() == 2);
    CHECK(t.faults[0].at == 2.0);
    CHECK(t.faults[1].at == 6.0);
  }
  SECTION("an index one past the end appends, to a list made for it when there is none") {
    Topology t = load_topology_text(kBase, "t.yaml", {"faults.0={crash: app, at: 2s}", "faults.1.crash=app",
                                                      "faults.1.at=4s"});
    REQUIRE(t.faults.size() == 2);
    CHECK(t.faults[1].at == 4.0);
  }
  SECTION("a flow map replaces a component's value") {
    Topology t = load_topology_text(kBase, "t.yaml", {"components.app.cpu={dist: exponential, mean: 2ms}"});
    CHECK(t.components[1].cpu.mean() == Approx(0.002));
  }
  SECTION("a missing map is made when the path names a new key") {
    Topology t = load_topology_text(kBase, "t.yaml", {"network.intra_region_rtt=2ms"});
    CHECK(t.network.intra_region_rtt == 0.002);
  }
  SECTION("an index past the end says how long the list is") {
    CHECK(error_of(kBase, {"faults=[{crash: app, at: 2s}]", "faults.3.at=1s"}) ==
          "--set faults.3.at=1s: error: 'faults.3' is past the end of the list 'faults', which has 1 entry (0 to 0; 1 "
          "appends one)");
  }
  SECTION("an error inside a flow value names the override") {
    CHECK(error_of(kBase, {"faults=[{crash: ap, at: 2s}]"}).rfind("--set faults=[{crash: ap, at: 2s}]: error: ", 0) == 0);
    CHECK(error_of(kBase, {"faults={crash: app}"}) ==
          "--set faults={crash: app}: error: faults must be a list, e.g. [{crash: cache/0, at: 5s, for: 10s}]");
  }
}

namespace {

// Writes `files` (name → text) into one fresh folder; returns the folder, ending in '/'.
std::string write_files(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string dir = std::filesystem::path(archsim::testing::write_temp("marker", "")).parent_path().string() + "/";
  for (const auto& [name, text] : files) {
    std::filesystem::create_directories(std::filesystem::path(dir + name).parent_path());
    std::ofstream(dir + name) << text;
  }
  return dir;
}

std::string load_error(const std::string& path, const std::vector<std::string>& sets = {}) {
  try {
    validate_topology(load_topology(path, sets));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("Loader: a topology that extends another is the base with its keys merged over it", "[loader]") {
  // System under consideration: base.yaml is kBase; the files below extend it.
  // Expectations: maps merge key by key, lists and scalars replace, null removes; an error names
  // the file (and line) that wrote the value; cycles are refused.
  const std::string child =
      "extends: ../base.yaml\n"                                 // 1
      "name: child\n"                                          // 2
      "components:\n"                                          // 3
      "  app: {replicas: 3}\n"                                 // 4
      "  cache: {kind: cache, capacity: 100, backend: app}\n"  // 5
      "run: {duration: 4s}\n";                                 // 6
  std::string dir = write_files({{"base.yaml", kBase}, {"sub/child.yaml", child}});

  SECTION("maps merge key by key, keeping the base's order; scalars replace") {
    Topology t = load_topology(dir + "sub/child.yaml");
    CHECK(t.name == "child");
    REQUIRE(t.components.size() == 3);
    CHECK(t.components[0].name == "users");
    CHECK(t.components[1].name == "app");
    CHECK(t.components[1].replicas == 3);
    CHECK(t.components[1].cpu.mean() == Approx(0.001));  // the base's, kept
    CHECK(t.components[2].name == "cache");
    CHECK(t.run.duration == 4.0);
    CHECK(!t.merged_yaml.empty());
  }
  SECTION("the merged copy is a topology of its own, with the same result") {
    Topology t = load_topology(dir + "sub/child.yaml");
    std::ofstream(dir + "merged.yaml") << t.merged_yaml;
    Topology again = load_topology(dir + "merged.yaml");
    CHECK(again.name == "child");
    CHECK(again.components.size() == 3);
    CHECK(again.components[1].replicas == 3);
    CHECK(again.merged_yaml.empty());
  }
  SECTION("a null removes the base's key, and a list replaces the base's list") {
    std::string d = write_files({{"base.yaml", kBase},
                                 {"c.yaml", "extends: base.yaml\nrun: {duration: ~}\nregions: [a]\n"
                                            "components: {app: {region: a}, users: {region: a}}\n"}});
    Topology t = load_topology(d + "c.yaml");
    CHECK(t.run.duration == 60.0);  // the default: the base's 10s is gone
    CHECK(t.regions == std::vector<std::string>{"a"});
  }
  SECTION("an error in the extending file names its line") {
    std::string d = write_files({{"base.yaml", kBase}, {"c.yaml", "extends: base.yaml\ncomponents:\n  app: {cpu: 5}\n"}});
    CHECK(load_error(d + "c.yaml") ==
          d + "c.yaml:3:14: error: cpu: duration '5' has no unit; write it with one, e.g. 500us, 1.5ms or 2s");
  }
  SECTION("an error in a value the base gave names the base's line") {
    std::string bad = replace_line(kBase, 11, "    cpu: 7");
    std::string d = write_files({{"base.yaml", bad}, {"c.yaml", "extends: base.yaml\nname: c\n"}});
    CHECK(load_error(d + "c.yaml") ==
          d + "base.yaml:11:10: error: cpu: duration '7' has no unit; write it with one, e.g. 500us, 1.5ms or 2s");
    // A semantic check (validate) names the base's line too: the target it gave does not exist.
    std::string dangling = replace_line(kBase, 8, "    target: ap");
    std::string d2 = write_files({{"base.yaml", dangling}, {"c.yaml", "extends: base.yaml\nname: c\n"}});
    CHECK(load_error(d2 + "c.yaml").rfind(d2 + "base.yaml:8:13: error: ", 0) == 0);
  }
  SECTION("a chain of three, and an override on top, each name their own source") {
    std::string d = write_files({{"a.yaml", kBase},
                                 {"b.yaml", "extends: a.yaml\ncomponents: {app: {replicas: 2}}\n"},
                                 {"c.yaml", "extends: b.yaml\ncomponents: {app: {cores: 0}}\n"}});
    CHECK(load_error(d + "c.yaml") == d + "c.yaml:2:27: error: cores must be between 1 and 1024, got 0");
    Topology t = load_topology(d + "c.yaml", {"components.app.cores=2"});
    CHECK(t.components[1].replicas == 2);
    CHECK(t.components[1].cores == 2);
    CHECK(load_error(d + "c.yaml", {"components.app.replicas=0"}) ==
          "--set components.app.replicas=0: error: replicas must be between 1 and 100000, got 0");
  }
  SECTION("a cycle is refused at the extends that closes it") {
    std::string d = write_files({{"a.yaml", "extends: b.yaml\nname: a\n"}, {"b.yaml", "extends: a.yaml\nname: b\n"}});
    CHECK(load_error(d + "a.yaml") == fmt::format("{}b.yaml:1:10: error: extends 'a.yaml' makes a cycle: {}a.yaml extends "
                                                  "{}b.yaml extends {}a.yaml; a base cannot extend the files built on it",
                                                  d, d, d, d));
  }
  SECTION("a base that is not a topology map is refused in its own name") {
    std::string d = write_files({{"list.yaml", "- a\n- b\n"}, {"c.yaml", "extends: list.yaml\nname: c\n"}});
    CHECK(load_error(d + "c.yaml") == d + "list.yaml:1:1: error: a topology that another extends must be a map of keys "
                                          "to values (name, components, ...)");
  }
  SECTION("a syntax error in the base names the base") {
    std::string d = write_files({{"b.yaml", "name: [x\n"}, {"c.yaml", "extends: b.yaml\n"}});
    CHECK(load_error(d + "c.yaml").rfind(d + "b.yaml:", 0) == 0);
  }
}

TEST_CASE("Validate: unreachable components are reported as warnings", "[loader]") {
  std::string doc = replace_line(kBase, 11, "    cpu: 1ms\n  orphan:\n    kind: service");
  Topology t = load_topology_text(doc, "t.yaml");
  auto warnings = validate_topology(t);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "t.yaml:12:3: warning: no client can reach 'orphan'; it will receive no requests");
}

TEST_CASE("Validate: a direct region link slower than a path through another region is a warning", "[loader]") {
  // A measured RTT table that breaks the triangle inequality: a<->c 300 ms direct, 230 ms via b.
  // Expectations: one warning at the slow link, naming the path that carries the traffic instead;
  // with a<->c at 200 ms, none.
  auto doc = [](const std::string& rtt) {
    return "name: t\nregions: [a, b, c]\nnetwork:\n  links:\n"
           "    - {between: [a, b], rtt: 80ms, bandwidth: 10Gbps}\n"
           "    - {between: [a, c], rtt: " + rtt + ", bandwidth: 10Gbps}\n"
           "    - {between: [b, c], rtt: 150ms, bandwidth: 10Gbps}\n"
           "components:\n"
           "  users: {kind: client, region: a, arrival: {process: poisson, rate: 10/s}, requests: {get: {}}, target: app}\n"
           "  app: {kind: service, region: c, cpu: 1ms}\n";
  };
  auto warnings = validate_topology(load_topology_text(doc("300ms"), "t.yaml"));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].rfind("t.yaml:6:7: warning: the link a<->c (rtt 300ms) is slower than the path a -> b -> c (230ms)", 0) == 0);
  CHECK(validate_topology(load_topology_text(doc("200ms"), "t.yaml")).empty());
}
