#include "tests/run_helpers.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>

namespace archsim::testing {

namespace {
std::string slurp(int fd) {
  std::string s;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}
}  // namespace

Outcome run_archsim(const std::vector<std::string>& args) {
  char out_tpl[] = "/tmp/archsim-out-XXXXXX";
  char err_tpl[] = "/tmp/archsim-err-XXXXXX";
  int out_fd = mkstemp(out_tpl);
  int err_fd = mkstemp(err_tpl);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    std::vector<char*> argv;
    std::string bin = ARCHSIM_BIN;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Outcome o;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  lseek(out_fd, 0, SEEK_SET);
  lseek(err_fd, 0, SEEK_SET);
  o.out = slurp(out_fd);
  o.err = slurp(err_fd);
  close(out_fd);
  close(err_fd);
  unlink(out_tpl);
  unlink(err_tpl);
  return o;
}

nlohmann::json run_json(const std::string& file, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"run", file, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  Outcome o = run_archsim(args);
  INFO("stderr: " << o.err);
  REQUIRE(o.exit_code == 0);
  return nlohmann::json::parse(o.out);
}

std::string write_temp(const std::string& name, const std::string& text) {
  char dir_tpl[] = "/tmp/archsim-test-XXXXXX";
  std::string dir = mkdtemp(dir_tpl);
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string source_path(const std::string& relative) { return std::string(ARCHSIM_SOURCE_DIR) + "/" + relative; }

std::string topology(const std::string& name) { return source_path("tests/topologies/" + name); }

const nlohmann::json& run_once(const std::string& file, const std::vector<std::string>& extra) {
  static std::map<std::vector<std::string>, nlohmann::json> done;
  std::vector<std::string> key{file};
  key.insert(key.end(), extra.begin(), extra.end());
  auto it = done.find(key);
  if (it == done.end()) it = done.emplace(key, run_json(file, extra)).first;
  return it->second;
}

NetworkPlan instant_network() {
  NetworkPlan p;
  p.intra_region_rtt = 0;
  p.host_bandwidth = 1e15;
  p.regions = {"default"};
  p.route.assign(1, std::vector<std::vector<std::pair<int, bool>>>(1));
  return p;
}

}  // namespace archsim::testing
