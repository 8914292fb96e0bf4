// `archsim plot` and `archsim report`: the figures and the HTML report are drawn by Python scripts
// in plots/ (Debian's python3-matplotlib); this is the small C++ side that finds them, runs them,
// and hands them what only the C++ loader knows: the topology's key numbers with units resolved.
//
// Left out on purpose: any plotting in C++. The scripts read the documented files of a run or an
// experiment folder (docs/outputs.md), so they also work on folders written by older builds.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/topology/topology.hpp"

namespace archsim {

// The plots/ folder: $ARCHSIM_PLOTS_DIR if set, else the source tree's plots/ at build time.
std::string plots_dir();

// The Python that has matplotlib: $ARCHSIM_PYTHON if set, else /usr/bin/python3 (Debian's, where
// python3-matplotlib installs) when it exists, else `python3` from PATH. A python3 earlier on PATH
// (pyenv, a virtualenv) usually lacks Debian's matplotlib.
std::string python_interpreter();

// Runs `python <plots_dir>/<script> args...` with stdout and stderr inherited; returns its exit
// code (127 when it could not be started, 128+signal when killed).
int run_plot_script(const std::string& script, const std::vector<std::string>& args);

// The assumptions a report states: client rates and mixes, replicas/cores/workers/queue per
// component, the network and the run, each with its unit.
nlohmann::json assumptions_json(const Topology& t);

}  // namespace archsim
