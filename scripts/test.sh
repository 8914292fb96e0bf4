#!/usr/bin/env bash
# Second command of the README: install, build, and run the whole test suite under ctest, then
# the Slurm executor against a one-node cluster (scripts/slurm-test.sh) and the sanitizer subset
# (scripts/sanitize.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2
bash scripts/slurm-test.sh
bash scripts/sanitize.sh
