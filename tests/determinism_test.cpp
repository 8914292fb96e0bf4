// Determinism as a property: every shipped topology, run twice with the same seed, writes a
// byte-identical summary.json; with another seed it writes a different one. Runs are shortened
// to 2 s so the whole corpus stays quick, except those whose faults start later (they run whole).
#include <catch2/catch.hpp>
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;

namespace {
std::vector<std::string> shipped_topologies() {
  std::vector<std::string> out;
  std::string dir = source_path("topologies");
  DIR* d = opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.substr(n.size() - 5) == ".yaml") out.push_back(dir + "/" + n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string summary_of(const std::string& file, const std::string& seed) {
  std::string dir = write_temp("marker", "") + ".out";
  Outcome o = run_archsim({"run", file, "--seed", seed, "--set", "run.duration=2s", "--set", "run.warmup=0.5s", "--out", dir});
  if (o.exit_code == 2 && o.err.find("after the run ends") != std::string::npos)
    o = run_archsim({"run", file, "--seed", seed, "--out", dir});
  INFO(file << ": " << o.err);
  REQUIRE(o.exit_code == 0);
  std::ifstream in(dir + "/summary.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("Determinism: same topology and seed give byte-identical summaries", "[determinism]") {
  auto files = shipped_topologies();
  REQUIRE(files.size() >= 3);
  for (const auto& file : files) {
    INFO(file);
    std::string a = summary_of(file, "7");
    std::string b = summary_of(file, "7");
    std::string c = summary_of(file, "8");
    CHECK(a == b);
    CHECK(a != c);
  }
}
