// Bad input never crashes archsim. Every file of tests/bad_inputs/ (and the cases generated here:
// a 10 MB file, a directory, an unreadable file, NUL, control and non-UTF-8 bytes, bombs too big
// to commit, bad --set overrides) must exit 2 with exactly one line on stderr, the one in its
// .expected file (`file:line:col: error: ...`), print nothing on stdout, create no --out folder
// and finish within 5 s. `{kinds}` in an .expected file is the registry's list of kinds. ctest runs this from the repository root, so the corpus is named by
// relative paths and the expected lines start with them.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "models/common/kind.hpp"
#include "tests/run_helpers.hpp"

using namespace archsim::testing;
namespace fs = std::filesystem;

namespace {

constexpr double kMaxSeconds = 5.0;

std::string fresh_dir() {
  char tpl[] = "/tmp/archsim-bad-XXXXXX";
  return mkdtemp(tpl);
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// `archsim run <file> [extra] --out <fresh>/out` must refuse with exactly `expected`, and
// `archsim validate <file> [extra]` must say the same first.
void check_refused(const std::string& file, const std::string& expected, const std::vector<std::string>& extra = {}) {
  INFO("input: " << file);
  std::string scratch = fresh_dir();
  std::string out_dir = scratch + "/out";
  std::vector<std::string> run{"run", file};
  run.insert(run.end(), extra.begin(), extra.end());
  run.insert(run.end(), {"--out", out_dir});
  auto t0 = std::chrono::steady_clock::now();
  Outcome o = run_archsim(run);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(o.exit_code == 2);
  CHECK(o.err == expected + "\n");
  CHECK(o.out.empty());
  CHECK_FALSE(fs::exists(out_dir));
  CHECK(seconds < kMaxSeconds);

  std::vector<std::string> validate{"validate", file};
  validate.insert(validate.end(), extra.begin(), extra.end());
  Outcome v = run_archsim(validate);
  CHECK(v.exit_code == 2);
  CHECK(first_line(v.err) == expected);
  CHECK(v.out.empty());
  fs::remove_all(scratch);
}

// A valid design, for the --set cases.
const char* kGood =
    "name: shop\n"
    "network:\n"
    "  links: []\n"
    "components:\n"
    "  users:\n"
    "    kind: client\n"
    "    arrival: {process: poisson, rate: 100/s}\n"
    "    requests: {read: {weight: 1}}\n"
    "    target: app\n"
    "  app: {kind: service, cpu: 1ms}\n"
    "run: {duration: 2s}\n";

}  // namespace

TEST_CASE("Bad input: every malformed topology exits 2 with its one-line message and writes nothing", "[bad_inputs]") {
  SECTION("the corpus in tests/bad_inputs/") {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator("tests/bad_inputs"))
      if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 60);
    for (const auto& path : files) {
      std::string file = path.generic_string();
      INFO("corpus file: " << file);
      fs::path expected_path = path;
      expected_path.replace_extension(".expected");
      std::ifstream in(expected_path);
      REQUIRE(in);  // every case says what it expects
      std::string expected;
      std::getline(in, expected);
      // `{kinds}` stands for the registry's list (models/kinds.cpp), so a new kind edits no case.
      if (auto k = expected.find("{kinds}"); k != std::string::npos) expected.replace(k, 7, archsim::kind_names());
      REQUIRE(expected.rfind(file + ":", 0) == 0);
      check_refused(file, expected);
    }
  }

  SECTION("every .expected file has its .yaml") {
    for (const auto& entry : fs::directory_iterator("tests/bad_inputs"))
      if (entry.path().extension() == ".expected") {
        INFO(entry.path());
        CHECK(fs::exists(fs::path(entry.path()).replace_extension(".yaml")));
      }
  }

  SECTION("files that cannot be read as a topology") {
    std::string dir = fresh_dir();
    std::string big = dir + "/10mb.yaml";
    write_file(big, std::string(10 * 1024 * 1024, '#'));
    check_refused(big, big + ": error: file is 10485760 bytes; topologies over 4 MiB are refused");

    std::string folder = dir + "/folder.yaml";
    fs::create_directory(folder);
    check_refused(folder, folder + ": error: is a directory; give a topology YAML file");

    std::string missing = dir + "/missing.yaml";
    check_refused(missing, missing + ": error: no such file");

    // A device has no size to check up front; the loader stops reading past 4 MiB.
    check_refused("/dev/zero", "/dev/zero: error: more than 4 MiB to read; topologies over 4 MiB are refused");

    // Root reads any file whatever its mode, so the check only means something for other users.
    if (geteuid() != 0) {
      std::string locked = dir + "/locked.yaml";
      write_file(locked, kGood);
      chmod(locked.c_str(), 0);
      check_refused(locked, locked + ": error: cannot be read (check its permissions)");
      chmod(locked.c_str(), 0644);
    }
    fs::remove_all(dir);
  }

  SECTION("bytes that are not UTF-8 text") {
    std::string dir = fresh_dir();
    std::string nul = dir + "/nul.yaml";
    write_file(nul, std::string("name: shop\0x\ncomponents: {}\n", 28));
    check_refused(nul, nul + ":1:11: error: the file contains a NUL byte; a topology is a UTF-8 text file");

    std::string latin1 = dir + "/latin1.yaml";
    write_file(latin1, "name: caf\xe9\ncomponents: {}\n");
    check_refused(latin1, latin1 + ":1:10: error: byte 0xe9 is not valid UTF-8; save the file as UTF-8 text");

    std::string utf16 = dir + "/utf16.yaml";
    const char utf16_bytes[] = "\xff\xfen\0a\0m\0e\0:\0 \0x\0\n\0";  // "name: x" in UTF-16 with its BOM
    write_file(utf16, std::string(utf16_bytes, sizeof utf16_bytes - 1));
    check_refused(utf16, utf16 + ":1:1: error: byte 0xff is not valid UTF-8; save the file as UTF-8 text");

    std::string control = dir + "/control.yaml";
    write_file(control, "name: shop\ncomponents:\n  app\x1b: {kind: service}\n");
    check_refused(control,
                  control + ":3:6: error: the file contains the control character 0x1b; a topology is plain UTF-8 text");
    fs::remove_all(dir);
  }

  SECTION("bombs too big to commit fail fast") {
    std::string dir = fresh_dir();
    // 4 million '[': yaml-cpp's scanner read them all ahead of its depth limit (3.5 s, 1 GB).
    std::string deep = dir + "/deep.yaml";
    write_file(deep, "components: " + std::string(4000000, '['));
    check_refused(deep,
                  deep + ":1:77: error: lists and maps are nested more than 64 levels deep; a topology needs only a few");

    // Two million values in 4 MB: yaml-cpp spent 9 s and 1 GB building them.
    std::string wide = dir + "/wide.yaml";
    std::string text = "name: [";
    for (int i = 0; i < 2000000; ++i) text += "a,";
    write_file(wide, text + "a]\n");
    check_refused(wide, wide + ":1:400002: error: the file holds more than 200000 values; a topology needs far fewer");
    fs::remove_all(dir);
  }

  SECTION("bad --set values and paths name the override") {
    std::string good = write_temp("good.yaml", kGood);
    REQUIRE(run_archsim({"validate", good}).exit_code == 0);
    struct Case {
      std::string set, error;
    };
    std::vector<Case> cases = {
        {"components.app.replicas=0", "replicas must be between 1 and 100000, got 0"},
        {"components.app.replicas=1e400", "replicas must be between 1 and 100000, got 1e400"},
        {"components.app.replicas=",
         "no value after '=' (a '#' starts a comment; quote the value if it holds one)"},
        {"components.app.cpu=5", "cpu: duration '5' has no unit; write it with one, e.g. 500us, 1.5ms or 2s"},
        {"components.app.cpu=-1ms", "cpu must not be negative, got -1ms"},
        {"components.app.cpu=[1ms, 2ms]", "cpu must be a map of keys to values, found a list"},
        {"components.app.cpu=[1ms", "value is not valid YAML: end of sequence flow not found"},
        {"faults=[{crash: app, at: 1s}", "value is not valid YAML: end of sequence flow not found"},
        {"faults={crash: app, at: 1s}", "faults must be a list, e.g. [{crash: cache/0, at: 5s, for: 10s}]"},
        {"faults=[{crash: app, at: 1s, for: 1x}]", "for: expected a duration such as 500us, 1.5ms or 2s, got '1x'"},
        {"faults.2={crash: app, at: 1s}",
         "'faults.2' is past the end of the list 'faults', which has 0 entries (0 appends one)"},
        {"network.links.1.rtt=1ms",
         "'network.links.1' is past the end of the list 'network.links', which has 0 entries (0 appends one)"},
        {"network.links.x=1ms",
         "'network.links' is a list: its entries are numbered from 0, and 'x' is not a number"},
        {"components.app.replicsa=2", "unknown key 'replicsa' in component 'app'; did you mean 'replicas'?"},
        {"components.users.arrival.rate=.inf", "rate: expected a rate such as 500/s or 20k/s, got '.inf'"},
        {"run.warmup=2s", "run.warmup (2s) must be shorter than run.duration (2s)"},
        {"run.seed=9223372036854775808", "run.seed must be between 0 and 9223372036854775807, got 9223372036854775808"},
        {"name=caf\xe9", "the invalid UTF-8 byte 0xe9 cannot be part of a value; values are UTF-8 text"},
        {"components.app.cpu.mean=1ms", "'components.app.cpu' is a single value, not a map"},
        {"components.ap.replicas=2",
         "'components.ap' does not exist in " + good + "; did you mean 'components.app'?"},
        {"noequals", "expected path=value, e.g. --set components.app.replicas=16"},
        {"=3", "expected path=value, e.g. --set components.app.replicas=16"},
    };
    for (const auto& c : cases) {
      std::string shown = c.set == "name=caf\xe9" ? "name=caf\\xe9" : c.set;
      check_refused(good, "--set " + shown + ": error: " + c.error, {"--set", c.set});
    }
  }
}
