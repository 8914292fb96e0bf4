#!/usr/bin/env bash
# Installs what is missing and builds (Release, -j2): with no arguments everything (build/archsim,
# the test programs and the benchmark helpers); with arguments only those CMake targets, e.g.
# `bash scripts/build.sh archsim` for the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
if [ $# -eq 0 ]; then
  cmake --build build -j2
else
  cmake --build build -j2 --target "$@"
fi
