#!/usr/bin/env bash
# Installs what is missing and builds build/archsim and the tests (Release, -j2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2
