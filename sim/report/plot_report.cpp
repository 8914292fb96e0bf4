#include "sim/report/plot_report.hpp"
#include "models/common/kind.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "sim/support/units.hpp"

#ifndef ARCHSIM_PLOTS_DIR_DEFAULT
#define ARCHSIM_PLOTS_DIR_DEFAULT "plots"
#endif

namespace archsim {

std::string plots_dir() {
  const char* env = std::getenv("ARCHSIM_PLOTS_DIR");
  if (env && *env) return env;
  return ARCHSIM_PLOTS_DIR_DEFAULT;
}

std::string python_interpreter() {
  const char* env = std::getenv("ARCHSIM_PYTHON");
  if (env && *env) return env;
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

int run_plot_script(const std::string& script, const std::vector<std::string>& args) {
  std::vector<std::string> argv_s{python_interpreter(), plots_dir() + "/" + script};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "archsim: cannot start %s\n", argv[0]);
    ::_exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

namespace {

std::string arrival_text(const ArrivalSpec& a) {
  switch (a.process) {
    case ArrivalSpec::Process::Poisson:
      return fmt::format("poisson, {}", format_rate(a.rate));
    case ArrivalSpec::Process::Constant:
      return fmt::format("constant, {}", format_rate(a.rate));
    case ArrivalSpec::Process::Closed:
      return fmt::format("closed loop, {} users, think {}", a.users, a.think_time.describe());
    case ArrivalSpec::Process::Trace:
      return fmt::format("trace {}", a.trace_file);
  }
  return "";
}

std::string optional_count(int64_t v) { return v < 0 ? "unbounded" : std::to_string(v); }

}  // namespace

nlohmann::json assumptions_json(const Topology& t) {
  nlohmann::json j;
  j["topology"] = t.name;
  j["file"] = t.file;
  j["run"] = {{"duration_s", t.run.duration}, {"warmup_s", t.run.warmup}, {"seed", t.run.seed}};
  nlohmann::json net;
  net["intra_region_rtt_ms"] = t.network.intra_region_rtt * 1e3;
  net["host_bandwidth_gbps"] = t.network.host_bandwidth / 1e9;
  net["links"] = nlohmann::json::array();
  for (const auto& l : t.network.links)
    net["links"].push_back({{"a", l.a}, {"b", l.b}, {"rtt_ms", l.rtt * 1e3}, {"bandwidth_gbps", l.bandwidth / 1e9}});
  j["network"] = net;
  j["regions"] = t.regions;
  j["components"] = nlohmann::json::array();
  for (const auto& c : t.components) {
    nlohmann::json cj{{"name", c.name}, {"kind", c.kind->name()}};
    if (!c.region.empty()) cj["region"] = c.region;
    if (c.kind->traits().client) {
      cj["arrival"] = arrival_text(c.arrival);
      if (c.arrival.rate > 0) cj["rate_per_s"] = c.arrival.rate;
      double total = 0;
      for (const auto& r : c.requests) total += r.weight;
      nlohmann::json mix = nlohmann::json::array();
      for (const auto& r : c.requests)
        mix.push_back({{"type", r.name},
                       {"share", total > 0 ? r.weight / total : 0.0},
                       {"op", r.op == Op::Write ? "write" : "read"},
                       {"request_bytes", r.request_bytes},
                       {"response_bytes", r.response_bytes}});
      cj["mix"] = mix;
      cj["target"] = c.target;
      cj["timeout"] = c.timeout > 0 ? format_duration(c.timeout) : "none";
    } else {
      cj["replicas"] = c.replicas;
      cj["cores"] = c.cores;
      cj["workers"] = optional_count(c.workers);
      cj["queue"] = optional_count(c.queue);
      if (!c.cpu.is_zero()) cj["cpu"] = c.cpu.describe();
      if (!c.delay.is_zero()) cj["delay"] = c.delay.describe();
      if (!c.lb_targets.empty()) {
        cj["policy"] = to_string(c.policy);
        cj["targets"] = c.lb_targets;
      }
      if (!c.cache.backend.empty()) {
        cj["capacity"] = c.cache.capacity;
        cj["hit"] = c.cache.hit.describe();
        cj["backend"] = c.cache.backend;
      }
      if (c.kind->traits().has_disk) {
        cj["read"] = fmt::format("io {}, cpu {}", c.read_profile.io.describe(), c.read_profile.cpu.describe());
        cj["write"] = fmt::format("io {}, cpu {}", c.write_profile.io.describe(), c.write_profile.cpu.describe());
        cj["io_parallelism"] = c.io_parallelism;
      }
    }
    j["components"].push_back(cj);
  }
  return j;
}

}  // namespace archsim
