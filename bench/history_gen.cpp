// history_gen: writes a simulated register history (sim/support/history.hpp, generate_register_history) for
// `archsim check`: 20 client processes over a few hundred keys, linearizable unless --stale asks
// for stale reads. bench/check.sh times the checker on it.
//
//   history_gen --operations 100000 --processes 20 --keys 300 [--stale 0.001] [--seed 1] [--out FILE]
#include <CLI/CLI.hpp>
#include <iostream>

#include "sim/support/history.hpp"

int main(int argc, char** argv) {
  archsim::HistoryGenParams p;
  std::string out;
  CLI::App app{"history_gen: a simulated key-value register history as JSON lines"};
  app.add_option("--operations", p.operations, "operations invoked in all")->check(CLI::PositiveNumber);
  app.add_option("--processes", p.processes, "client processes, one operation outstanding each")
      ->check(CLI::PositiveNumber);
  app.add_option("--keys", p.keys, "keys, chosen uniformly")->check(CLI::PositiveNumber);
  app.add_option("--seed", p.seed, "random seed");
  app.add_option("--latency", p.mean_latency_s, "mean invocation-to-completion time, seconds");
  app.add_option("--think", p.mean_think_s, "mean completion-to-next-invocation time, seconds");
  app.add_option("--fail", p.fail_fraction, "fraction of writes that fail")->check(CLI::Range(0.0, 1.0));
  app.add_option("--info", p.info_fraction, "fraction of writes with an unknown outcome")->check(CLI::Range(0.0, 1.0));
  app.add_option("--stale", p.stale_read_fraction, "fraction of reads returning the previous value")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--out", out, "output file (default: stdout)");
  CLI11_PARSE(app, argc, argv);
  try {
    uint64_t stale = 0;
    if (out.empty()) {
      archsim::HistoryWriter w(std::cout);
      stale = archsim::generate_register_history(p, w);
    } else {
      archsim::HistoryWriter w(out);
      stale = archsim::generate_register_history(p, w);
    }
    std::cerr << "history_gen: " << p.operations << " operations, " << stale << " stale reads injected\n";
  } catch (const std::exception& e) {
    std::cerr << "history_gen: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
