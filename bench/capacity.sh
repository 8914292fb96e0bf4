#!/usr/bin/env bash
# Times the searches of issue "where does this design break": `archsim capacity` on
# topologies/three-tier.yaml under p99 <= 50 ms at its own run length (12 s), the first wall and
# then a ladder of 4, and `archsim failures` on the same design, each from an empty folder. Prints
# one Markdown row per search: probes or runs, wall seconds, the answer.
#
# Usage: bench/capacity.sh           Environment: BUILD (default <repo>/build), JOBS (default 2).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
JOBS="${JOBS:-2}"
cmake --build "$BUILD" -j2 --target archsim >&2
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "| search | runs | wall s | answer |"
echo "|---|---|---|---|"
search() {
  local name="$1"; shift
  local start end
  start=$(date +%s.%N)
  "$BUILD/archsim" "$@" --out "$TMP/$name" --jobs "$JOBS" > "$TMP/$name.txt" 2> "$TMP/$name.err"
  end=$(date +%s.%N)
  local runs
  runs=$(find "$TMP/$name" -name summary.json | wc -l)
  local answer
  if [ -f "$TMP/$name/capacity.json" ]; then
    answer=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['ladder'])" "$TMP/$name/capacity.json")
  else
    answer=$(/usr/bin/python3 -c "import json,sys; print('single points of failure: ' + (', '.join(json.load(open(sys.argv[1]))['single_points_of_failure']) or 'none'))" "$TMP/$name/failures.json")
  fi
  printf '| %s | %s | %.1f | %s |\n' "$name" "$runs" "$(/usr/bin/python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$end")" "$answer"
}
search capacity-first-wall capacity "$ROOT/topologies/three-tier.yaml" --slo 'p99<=50ms'
search capacity-ladder-4 capacity "$ROOT/topologies/three-tier.yaml" --slo 'p99<=50ms' --steps 4
search failures failures "$ROOT/topologies/three-tier.yaml"
