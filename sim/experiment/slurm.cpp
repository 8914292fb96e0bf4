#include "sim/experiment/slurm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace archsim {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+=/:,%") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += shell_quote(a);
  }
  return s;
}

namespace {

std::string header(const SlurmJob& job, const std::string& name, const std::string& log) {
  std::string h = "#!/bin/bash\n";
  h += fmt::format("#SBATCH --job-name={}\n", shell_quote(name));
  h += "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n";
  h += fmt::format("#SBATCH --chdir={}\n", shell_quote(job.workdir));
  h += fmt::format("#SBATCH --output={}\n", shell_quote(job.slurm_dir + "/logs/" + log));
  if (!job.partition.empty()) h += fmt::format("#SBATCH --partition={}\n", shell_quote(job.partition));
  return h;
}

// Runs `argv` through the shell and returns its standard output; throws with its output on failure.
std::string capture(const std::vector<std::string>& argv) {
  std::string cmd = command_line(argv) + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw SlurmError("cannot run " + argv[0]);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  if (status != 0) {
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    throw SlurmError(fmt::format("`{}` failed: {}", cmd.substr(0, cmd.size() - 5), out));
  }
  return out;
}

bool on_path(const std::string& prog) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string p = path;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    std::error_code ec;
    if (!dir.empty() && fs::is_regular_file(fs::path(dir) / prog, ec)) return true;
    start = end + 1;
  }
  return false;
}

// "12345" or "12345;cluster" → "12345".
std::string job_id(std::string out) {
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  size_t nl = out.rfind('\n');  // warnings may come first
  if (nl != std::string::npos) out = out.substr(nl + 1);
  out = out.substr(0, out.find(';'));
  if (out.empty() || out.find_first_not_of("0123456789") != std::string::npos)
    throw SlurmError("sbatch printed no job id: '" + out + "'");
  return out;
}

}  // namespace

std::string slurm_array_script(const SlurmJob& job) {
  size_t tasks = (job.runs + job.chunk - 1) / job.chunk;
  std::string s = header(job, "archsim-" + job.name, "run-%A_%a.log");
  s += fmt::format("#SBATCH --array=0-{}{}\n", tasks - 1, job.throttle > 0 ? fmt::format("%{}", job.throttle) : "");
  s += "#SBATCH --requeue\n#SBATCH --open-mode=append\n";
  s += fmt::format(
      "# archsim experiment {}: array task i runs lines i*{}+1 .. (i+1)*{} of runs.tsv (a run's folder, a tab,\n"
      "# its command). Written by `archsim experiment --executor slurm`; see docs/experiments.md.\n",
      job.name, job.chunk, job.chunk);
  s += "set -u\n";
  s += fmt::format("runs={}\nchunk={}\n", shell_quote(job.slurm_dir + "/runs.tsv"), job.chunk);
  s += R"SH(first=$(( SLURM_ARRAY_TASK_ID * chunk + 1 ))
last=$(( first + chunk - 1 ))
transient=0
while IFS=$'\t' read -r dir cmd; do
  # Finished by an earlier attempt of this task or an earlier submission: nothing to do.
  if [ -f "$dir/summary.json" ] && [ "$(head -n 1 "$dir.cmd" 2>/dev/null)" = "$cmd" ]; then
    echo "$dir: finished already"
    continue
  fi
  mkdir -p "$(dirname "$dir")"
  rm -f "$dir/summary.json" "$dir.exit"
  printf '%s\n' "$cmd" > "$dir.cmd.tmp" && mv -f "$dir.cmd.tmp" "$dir.cmd"
  eval "$cmd" < /dev/null > /dev/null 2> "$dir.stderr"
  rc=$?
  printf '%s\n' "$rc" > "$dir.exit.tmp" && mv -f "$dir.exit.tmp" "$dir.exit"
  echo "$dir: exit $rc"
  # archsim's own exit codes are verdicts (0 ok, 1 internal error, 2 bad input, 3 some runs
  # failed): running again gives the same. Anything else (killed, missing binary) may not.
  case $rc in
    0|1|2|3) ;;
    *) transient=1 ;;
  esac
done < <(sed -n "${first},${last}p" "$runs")
)SH";
  s += fmt::format(
      "if [ \"$transient\" = 1 ]; then\n"
      "  echo \"some runs died: exit {} so that Slurm requeues this task (RequeueExit={})\"\n"
      "  exit {}\n"
      "fi\n",
      kTransientExit, kTransientExit, kTransientExit);
  return s;
}

std::string slurm_gather_script(const SlurmJob& job) {
  std::string s = header(job, "archsim-" + job.name + "-gather", "gather-%j.log");
  s += fmt::format("# archsim experiment {}: assembles results.csv and results.json once every array task has ended.\n",
                   job.name);
  s += command_line(job.gather_argv) + "\n";
  return s;
}

int slurm_max_array_size() {
  if (!on_path("scontrol")) return 1001;
  try {
    std::string out = capture({"scontrol", "show", "config"});
    size_t at = out.find("MaxArraySize");
    if (at == std::string::npos) return 1001;
    size_t eq = out.find('=', at);
    if (eq == std::string::npos) return 1001;
    int v = std::atoi(out.c_str() + eq + 1);
    return v > 0 ? v : 1001;
  } catch (const std::exception&) {
    return 1001;  // no controller reachable: sbatch will say so
  }
}

std::string submit_array_to_slurm(const SlurmJob& job) {
  if (!on_path("sbatch"))
    throw SlurmError(fmt::format(
        "sbatch is not on PATH; the scripts are in {}: submit them on the cluster's login node, or pass --dry-run",
        job.slurm_dir));
  return job_id(capture({"sbatch", "--parsable", job.slurm_dir + "/array.sbatch"}));
}

SlurmSubmission submit_to_slurm(const SlurmJob& job) {
  SlurmSubmission sub;
  sub.array_job = submit_array_to_slurm(job);
  sub.gather_job = job_id(capture({"sbatch", "--parsable", "--dependency=afterany:" + sub.array_job,
                                   job.slurm_dir + "/gather.sbatch"}));
  return sub;
}

int slurm_tasks_left(const std::string& id) {
  if (!on_path("squeue")) throw SlurmError("squeue is not on PATH: cannot follow Slurm job " + id);
  const auto first_failure = std::chrono::steady_clock::now();
  while (true) {
    try {
      // One line per pending or running task; a pending array's unstarted tasks share one line
      // ("123_[4-9]"), so -r expands them.
      std::string out = capture({"squeue", "-h", "-r", "-j", id, "-o", "%i"});
      int n = 0;
      for (char c : out) n += c == '\n';
      return n;
    } catch (const SlurmError& ex) {
      // squeue refuses a job id its controller has already purged: that job has ended.
      if (std::string(ex.what()).find("Invalid job id") != std::string::npos) return 0;
      if (std::chrono::steady_clock::now() - first_failure > std::chrono::seconds(60))
        throw SlurmError(fmt::format("cannot follow Slurm job {} for a minute: {}", id, ex.what()));
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
  }
}

void wait_for_slurm_job(const std::string& id, double poll_seconds, const std::function<void(int)>& progress) {
  // Short jobs end within a second or two: ask often at first, then every poll_seconds.
  double pause = std::min(0.1, poll_seconds);
  while (true) {
    int left = slurm_tasks_left(id);
    progress(left);
    if (left == 0) return;
    std::this_thread::sleep_for(std::chrono::duration<double>(pause));
    pause = std::min(2 * pause, poll_seconds);
  }
}

}  // namespace archsim
