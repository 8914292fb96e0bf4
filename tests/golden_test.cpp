// The results of every shipped topology, every test topology and every point of every shipped
// experiment, held as hashes of their summary.json at a fixed seed and a short duration
// (tests/golden/summaries.txt). The same runs check that each one's critical path accounts for its
// latency: the shares add up to 1 within rounding and none is negative.
//
// A change that only moves or reshapes code must leave every hash as it is. A change meant to
// change results regenerates the file deliberately, and its commit says which entries changed and
// why:
//   ARCHSIM_GOLDEN_UPDATE=1 ./build/golden_test
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;
namespace fs = std::filesystem;

namespace {

const char* kGoldenFile = "tests/golden/summaries.txt";
const std::vector<std::string> kShort = {"--set", "run.duration=2s", "--set", "run.warmup=0.5s"};

std::vector<std::string> shipped(const std::string& folder) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(source_path(folder)))
    if (e.path().extension() == ".yaml") out.push_back(folder + "/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// FNV-1a, 64 bits: enough to tell two summaries apart, and the same on every platform.
std::string hash_of(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return fmt::format("{:016x}", h);
}

// Runs `args` shortened; a topology whose faults start after the short run ends runs whole.
Outcome run_short(std::vector<std::string> args) {
  std::vector<std::string> shortened = args;
  shortened.insert(shortened.end(), kShort.begin(), kShort.end());
  Outcome o = run_archsim(shortened);
  if (o.exit_code == 2 && o.err.find("after the run ends") != std::string::npos) o = run_archsim(args);
  return o;
}

// Every piece of a completed request's latency is counted once: by component and cause (and the
// unattributed rest, which a kind that does not break its answers down leaves), the shares of the
// time above the p99 and of all time each add up to 1, and none is negative (synchronous
// replication once counted the primary's CPU again as waiting downstream).
void check_critical_path(const std::string& topo, const nlohmann::json& j) {
  if (!j.contains("critical_path") || !j["critical_path"].contains("rows")) return;
  const auto& rows = j["critical_path"]["rows"];
  if (rows.empty()) return;
  for (const char* k : {"share_above_p99", "share_all"}) {
    double sum = 0;
    for (const auto& r : rows) {
      INFO(topo << ": " << r.dump());
      CHECK(r[k].get<double>() >= 0);
      sum += r[k].get<double>();
    }
    INFO(topo << ": " << k);
    CHECK(sum == Approx(1).margin(1e-3));
  }
}

std::map<std::string, std::string> current_hashes() {
  std::map<std::string, std::string> h;
  std::vector<std::string> topologies = shipped("topologies");
  for (const auto& t : shipped("tests/topologies")) topologies.push_back(t);
  for (const auto& topo : topologies) {
    std::string dir = write_temp("marker", "") + ".out";
    Outcome o = run_short({"run", source_path(topo), "--seed", "1", "--out", dir});
    INFO(topo << ": " << o.err);
    REQUIRE(o.exit_code == 0);
    std::string summary = read_all(fs::path(dir) / "summary.json");
    h[topo] = hash_of(summary);
    check_critical_path(topo, nlohmann::json::parse(summary));
  }
  for (const auto& exp : shipped("experiments")) {
    std::string dir = write_temp("marker", "") + ".out";
    Outcome o = run_short({"experiment", source_path(exp), "--replications", "1", "--jobs", "2", "--out", dir});
    INFO(exp << ": " << o.err);
    REQUIRE(o.exit_code == 0);
    for (const auto& point : fs::directory_iterator(fs::path(dir) / "points")) {
      fs::path summary = point.path() / "r1" / "summary.json";
      INFO(summary);
      REQUIRE(fs::exists(summary));
      h[exp + ":" + point.path().filename().string()] = hash_of(read_all(summary));
    }
  }
  return h;
}

std::map<std::string, std::string> golden_hashes() {
  std::map<std::string, std::string> h;
  std::ifstream in(source_path(kGoldenFile));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string name, hash;
    ss >> name >> hash;
    h[name] = hash;
  }
  return h;
}

}  // namespace

TEST_CASE("Golden: every shipped topology and experiment point gives the summary it gave", "[golden]") {
  auto now = current_hashes();
  const char* update = std::getenv("ARCHSIM_GOLDEN_UPDATE");
  if (update && std::string(update) == "1") {
    std::ofstream out(source_path(kGoldenFile));
    out << "# summary.json hashes (FNV-1a 64) at seed 1, run.duration=2s, run.warmup=0.5s (whole runs where a\n"
           "# fault starts later; experiments: replication 1). Written by ARCHSIM_GOLDEN_UPDATE=1 golden_test.\n";
    for (const auto& [name, hash] : now) out << name << " " << hash << "\n";
    WARN("rewrote " << kGoldenFile << " with " << now.size() << " entries");
    return;
  }
  auto golden = golden_hashes();
  REQUIRE(!golden.empty());
  std::vector<std::string> changed;
  for (const auto& [name, hash] : now) {
    auto it = golden.find(name);
    if (it == golden.end()) changed.push_back(name + ": new (not in " + kGoldenFile + ")");
    else if (it->second != hash) changed.push_back(name + ": " + it->second + " -> " + hash);
  }
  for (const auto& [name, hash] : golden)
    if (!now.count(name)) changed.push_back(name + ": gone");
  std::string list;
  for (const auto& c : changed) list += c + "\n";
  INFO("changed:\n" << list);
  CHECK(changed.empty());
  CHECK(now.size() >= 70);
}
