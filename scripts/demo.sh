#!/usr/bin/env bash
# First command of the README: install, build, and run the demo (the three-tier topology).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/archsim run topologies/three-tier.yaml --out results/three-tier "$@"
echo "(files written to results/three-tier/)"
