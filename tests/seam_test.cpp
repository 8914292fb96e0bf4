// The architecture's seams, checked on the sources: which folder may include which. CMake's links
// (CMakeLists.txt) say the same for libraries, but SimGrid's and yaml-cpp's headers sit in
// /usr/include, on every target's path, so only a look at the #include lines can enforce them.
//
//   SimGrid           only sim/engine/simgrid_engine.cpp
//   yaml-cpp          only sim/config/
//   models/           neither, and no configuration, scenario, report, analysis, experiment or
//                     CLI header (a kind's specification tests, *_test.cpp, may run whole
//                     topologies and are exempt from this last rule)
//   sim/engine/       only the engine's own headers
//   sim/support/      support and the engine seam (engine.hpp, ids.hpp)
//   sim/topology/     plain data: support, the kinds' specification headers and itself only
//   sim/config/       no scenario, report, analysis, experiment, CLI or engine header
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;
namespace fs = std::filesystem;

namespace {

struct Include {
  std::string file;  // relative to the source tree
  int line;
  std::string target;  // what is included, without the quotes or brackets
};

std::vector<Include> includes_under(const std::string& folder) {
  static const std::regex kInclude(R"(^\s*#\s*include\s*[<"]([^>"]+)[>"])");
  std::vector<Include> out;
  fs::path root(source_path(""));
  for (const auto& e : fs::recursive_directory_iterator(root / folder)) {
    auto ext = e.path().extension();
    if (ext != ".cpp" && ext != ".hpp") continue;
    std::ifstream in(e.path());
    std::string text;
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      std::smatch m;
      if (std::regex_search(line, m, kInclude))
        out.push_back({fs::relative(e.path(), root).generic_string(), n, m[1].str()});
    }
  }
  std::sort(out.begin(), out.end(), [](const Include& a, const Include& b) {
    return std::tie(a.file, a.line) < std::tie(b.file, b.line);
  });
  return out;
}

bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool is_test(const std::string& file) { return file.size() > 9 && file.substr(file.size() - 9) == "_test.cpp"; }

// Every include in `folder` that `allowed` refuses, as "file:line: <target>".
template <typename Rule>
std::vector<std::string> violations(const std::string& folder, Rule allowed) {
  std::vector<std::string> out;
  for (const auto& inc : includes_under(folder))
    if (!allowed(inc)) out.push_back(inc.file + ":" + std::to_string(inc.line) + ": " + inc.target);
  return out;
}

const std::vector<std::string> kAboveModels = {"sim/config/",   "sim/scenario/",   "sim/report/",
                                               "sim/analysis/", "sim/experiment/", "sim/cli/"};

bool names_any(const std::string& target, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (starts(target, p)) return true;
  return false;
}

}  // namespace

TEST_CASE("Seam: only the SimGrid engine includes SimGrid", "[seam]") {
  for (const char* folder : {"sim", "models", "tests"}) {
    auto bad = violations(folder, [](const Include& i) {
      return !starts(i.target, "simgrid/") || i.file == "sim/engine/simgrid_engine.cpp";
    });
    INFO(folder);
    CHECK(bad == std::vector<std::string>{});
  }
}

TEST_CASE("Seam: only configuration includes yaml-cpp", "[seam]") {
  for (const char* folder : {"sim", "models"}) {
    auto bad = violations(folder, [](const Include& i) {
      return !starts(i.target, "yaml-cpp/") || starts(i.file, "sim/config/");
    });
    INFO(folder);
    CHECK(bad == std::vector<std::string>{});
  }
}

TEST_CASE("Seam: models reach the engine only through its interface", "[seam]") {
  auto bad = violations("models", [](const Include& i) {
    if (is_test(i.file)) return true;
    if (starts(i.target, "sim/engine/")) return i.target == "sim/engine/engine.hpp" || i.target == "sim/engine/ids.hpp";
    return !names_any(i.target, kAboveModels);
  });
  CHECK(bad == std::vector<std::string>{});
}

TEST_CASE("Seam: the engine, support and configuration stay below what uses them", "[seam]") {
  auto engine = violations("sim/engine", [](const Include& i) {
    return !starts(i.target, "sim/") && !starts(i.target, "models/") ? true : starts(i.target, "sim/engine/");
  });
  CHECK(engine == std::vector<std::string>{});
  auto support = violations("sim/support", [](const Include& i) {
    if (starts(i.target, "models/")) return false;
    return !starts(i.target, "sim/") || starts(i.target, "sim/support/") || i.target == "sim/engine/engine.hpp" ||
           i.target == "sim/engine/ids.hpp";
  });
  CHECK(support == std::vector<std::string>{});
  auto config = violations("sim/config", [](const Include& i) {
    return !starts(i.target, "sim/engine/") &&
           !names_any(i.target, {"sim/scenario/", "sim/report/", "sim/analysis/", "sim/experiment/", "sim/cli/"});
  });
  CHECK(config == std::vector<std::string>{});
  auto topology = violations("sim/topology", [](const Include& i) {
    if (!starts(i.target, "sim/") && !starts(i.target, "models/")) return true;
    if (starts(i.target, "models/")) return i.target.find("_spec.hpp") != std::string::npos ||
                                            i.target == "models/common/resilience.hpp" ||
                                            i.target == "models/load_balancer/lb_policy.hpp";
    return starts(i.target, "sim/support/") || starts(i.target, "sim/topology/");
  });
  CHECK(topology == std::vector<std::string>{});
}

TEST_CASE("Seam: the check sees includes at all", "[seam]") {
  // A rule that finds nothing because the scan found nothing would pass for the wrong reason.
  auto all = includes_under("sim");
  CHECK(all.size() > 200);
  bool simgrid = false, yaml = false;
  for (const auto& i : all) {
    simgrid |= starts(i.target, "simgrid/");
    yaml |= starts(i.target, "yaml-cpp/");
  }
  CHECK(simgrid);
  CHECK(yaml);
}
