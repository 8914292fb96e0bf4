#!/usr/bin/env bash
# First command of the README: install, build archsim (not the test programs), run the demo (the
# three-tier topology) and print its summary; then sweep it in load (experiments/hockey-stick.yaml)
# and write both HTML reports with their figures into results/.
#
# ARCHSIM_DEMO_DURATION sets the demo run's run.duration (the file's is 12s, warm-up included) and
# ARCHSIM_DEMO_SWEEP_DURATION each sweep point's (default 4s, of which 1s warm-up); CI shortens
# both. Extra arguments go to the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh archsim
run_sets=()
if [ -n "${ARCHSIM_DEMO_DURATION:-}" ]; then run_sets=(--set run.duration="$ARCHSIM_DEMO_DURATION"); fi
sweep_s=${ARCHSIM_DEMO_SWEEP_DURATION:-4s}
./build/archsim run topologies/three-tier.yaml "${run_sets[@]}" --out results/three-tier "$@"
echo
echo "Sweeping the load (experiments/hockey-stick.yaml, $sweep_s per point, 2 replications)..."
./build/archsim experiment experiments/hockey-stick.yaml --out results/hockey-stick \
  --set run.duration="$sweep_s" --set run.warmup=1s --replications 2
./build/archsim report results/three-tier
./build/archsim report results/hockey-stick
echo
echo "Reports: results/three-tier/report.html and results/hockey-stick/report.html (figures in */figures/)"
