#!/usr/bin/env bash
# First command of the README: install, build, run the demo (the three-tier topology) and print
# its summary; then sweep it in load (experiments/hockey-stick.yaml, shortened) and write both
# HTML reports with their figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/archsim run topologies/three-tier.yaml --out results/three-tier "$@"
echo
echo "Sweeping the load (experiments/hockey-stick.yaml, 4 s per point, 2 replications)..."
./build/archsim experiment experiments/hockey-stick.yaml --out results/hockey-stick \
  --set run.duration=4s --set run.warmup=1s --replications 2
./build/archsim report results/three-tier
./build/archsim report results/hockey-stick
echo
echo "Reports: results/three-tier/report.html and results/hockey-stick/report.html (figures in */figures/)"
