#!/usr/bin/env bash
# Fuzzes the topology loader and validator with libFuzzer for a given time.
#   scripts/fuzz.sh [SECONDS=60] [JOBS=1]
# Seeds the corpus from topologies/, tests/topologies/ and tests/bad_inputs/; keeps what it learns
# in build-fuzz/corpus and writes any crashing input to build-fuzz/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=${2:-1}

need=()
for p in clang libclang-rt-14-dev libyaml-cpp-dev libfmt-dev libboost-graph-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y --no-install-recommends -qq "${need[@]}" >/dev/null
fi

mkdir -p build-fuzz/corpus
# The archsim_core sources (the loader reaches the cost presets, which reach the rest).
sources=($(find sim models -name '*.cpp' ! -name '*_test.cpp' | sort | grep -v -e sim/cli/main.cpp -e sim/report/plot_report.cpp))
if [ ! -x build-fuzz/fuzz_loader ] || [ -n "$(find sim models tests/fuzz_loader.cpp -newer build-fuzz/fuzz_loader -name '*.[ch]pp')" ]; then
  clang++ -std=c++20 -O1 -g -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    tests/fuzz_loader.cpp "${sources[@]}" $(pkg-config --cflags --libs simgrid) -lyaml-cpp -lfmt -o build-fuzz/fuzz_loader
fi
seeds=(build-fuzz/corpus topologies tests/topologies)
[ -d tests/bad_inputs ] && seeds+=(tests/bad_inputs)
parallel=(); [ "$jobs" -gt 1 ] && parallel=(-jobs="$jobs" -workers="$jobs")
./build-fuzz/fuzz_loader -max_total_time="$seconds" "${parallel[@]}" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=build-fuzz/ -print_final_stats=1 "${seeds[@]}"
