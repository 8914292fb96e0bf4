// Folders archsim writes into: missing parents are made (like `mkdir -p`); a folder that cannot be
// made is bad input (exit 2, one line naming the path and the reason) and nothing is written.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;
namespace fs = std::filesystem;

namespace {

const char* kSmall =
    "name: small\n"
    "components:\n"
    "  users:\n"
    "    kind: client\n"
    "    arrival: {process: poisson, rate: 200/s}\n"
    "    requests: {get: {weight: 1}}\n"
    "    target: app\n"
    "  app: {kind: service, cpu: 1ms, calls: [db]}\n"
    "  db: {kind: database, read: {io: 1ms}}\n"
    "run: {duration: 1.5s, warmup: 0.5s}\n";

const char* kRunFiles[] = {"summary.json",  "components.csv", "latency_histogram.csv", "timeseries.csv",
                           "type_timeseries.csv", "topology.dot", "topology.yaml", "overrides.txt"};

// A fresh folder holding the small topology; returns the folder.
fs::path scratch() { return fs::path(write_temp("small.yaml", kSmall)).parent_path(); }

// A regular file at `dir/name`, for a path to run into.
fs::path regular_file(const fs::path& dir, const std::string& name) {
  fs::path p = dir / name;
  std::ofstream(p) << "not a folder\n";
  return p;
}

// Everything under `dir`, for "nothing was written".
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("Output folders: run --out makes every missing parent", "[output]") {
  fs::path d = scratch();
  fs::path out = d / "a" / "b" / "c";
  Outcome o = run_archsim({"run", (d / "small.yaml").string(), "--out", out.string()});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  CHECK(o.out.find("bottleneck:") != std::string::npos);
  for (const char* f : kRunFiles) CHECK(fs::is_regular_file(out / f));

  SECTION("and report writes its page and figures there") {
    Outcome r = run_archsim({"report", out.string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(fs::is_regular_file(out / "report.html"));
    CHECK(fs::is_regular_file(out / "figures" / "index.json"));
  }
  SECTION("report refuses a folder whose figures/ is a regular file, and writes nothing") {
    regular_file(out, "figures");
    auto before = listing(out);
    Outcome r = run_archsim({"report", out.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == fmt::format("archsim report: error: cannot create the folder {}/figures: {}/figures is a file, not "
                               "a folder; choose a folder that can be created and written\n",
                               out.string(), out.string()));
    CHECK(listing(out) == before);
    CHECK(run_archsim({"plot", out.string()}).exit_code == 2);
    CHECK(listing(out) == before);
  }
}

TEST_CASE("Output folders: run --out below a regular file is bad input and makes nothing", "[output]") {
  fs::path d = scratch();
  fs::path file = regular_file(d, "f");
  auto before = listing(d);
  Outcome o = run_archsim({"run", (d / "small.yaml").string(), "--out", (file / "x" / "y").string()});
  CHECK(o.exit_code == 2);
  CHECK(o.out.empty());
  CHECK(o.err == fmt::format("archsim run --out: error: cannot create the folder {}/x/y: {} is a file, not a folder; "
                             "choose a folder that can be created and written\n",
                             file.string(), file.string()));
  CHECK(listing(d) == before);

  SECTION("a run refused for another reason makes no --out folder") {
    Outcome s = run_archsim({"run", (d / "small.yaml").string(), "--out", (d / "new" / "out").string(), "--check"});
    CHECK(s.exit_code == 2);
    CHECK(s.err.find("this topology has none") != std::string::npos);
    CHECK(listing(d) == before);
  }
  SECTION("so is --out naming the regular file itself") {
    Outcome s = run_archsim({"run", (d / "small.yaml").string(), "--out", file.string()});
    CHECK(s.exit_code == 2);
    CHECK(s.err.find("is a file, not a folder") != std::string::npos);
    CHECK(listing(d) == before);
  }
  SECTION("and --history below a regular file") {
    std::string store = topology("store-cp.yaml");
    before = listing(d);
    Outcome h = run_archsim({"run", store, "--set", "run.duration=3s", "--history", (file / "h.jsonl").string()});
    INFO(h.err);
    CHECK(h.exit_code == 2);
    CHECK(h.err == fmt::format("archsim run --history: error: cannot create the folder {}: {} is a file, not a folder; "
                               "choose a folder that can be created and written\n",
                               file.string(), file.string()));
    CHECK(listing(d) == before);
    Outcome ok = run_archsim({"run", store, "--set", "run.duration=3s", "--history", (d / "p" / "q" / "h.jsonl").string()});
    INFO(ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(fs::file_size(d / "p" / "q" / "h.jsonl") > 0);
  }
}

TEST_CASE("Output folders: experiment --out makes missing parents and refuses a regular file", "[output]") {
  fs::path d = scratch();
  std::ofstream(d / "exp.yaml") << "topology: small.yaml\ndescription: rates\nsweep:\n  components.users.arrival.rate: [100/s, 200/s]\n";
  fs::path out = d / "r" / "s" / "t";
  Outcome o = run_archsim({"experiment", (d / "exp.yaml").string(), "--out", out.string(), "--jobs", "2"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  CHECK(fs::is_regular_file(out / "results.csv"));
  CHECK(fs::is_regular_file(out / "commands.txt"));
  int runs = 0;
  for (const auto& e : fs::recursive_directory_iterator(out / "points"))
    runs += e.path().filename() == "summary.json";
  CHECK(runs == 2);

  SECTION("report writes the experiment's page") {
    Outcome r = run_archsim({"report", out.string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(fs::is_regular_file(out / "report.html"));
  }
  SECTION("below a regular file: exit 2, the message, nothing made") {
    fs::path file = regular_file(d, "g");
    auto before = listing(d);
    Outcome e = run_archsim({"experiment", (d / "exp.yaml").string(), "--out", (file / "u").string()});
    CHECK(e.exit_code == 2);
    CHECK(e.out.empty());
    CHECK(e.err == fmt::format("archsim experiment --out: error: cannot create the folder {}/u: {} is a file, "
                               "not a folder; choose a folder that can be created and written\n",
                               file.string(), file.string()));
    CHECK(listing(d) == before);
  }
}
