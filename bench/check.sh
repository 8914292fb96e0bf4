#!/usr/bin/env bash
# Times `archsim check` on generated register histories (bench/history_gen.cpp): 20 client
# processes over 300 keys, N operations (default 100000), linearizable, then with 0.2% of reads
# stale (not linearizable). Prints one Markdown row per history: verdict, exit code, wall seconds
# and peak RSS (/usr/bin/time), the fastest of REPEAT runs (default 3).
#
# Usage: bench/check.sh [N]        Environment: BUILD (default <repo>/build), KEYS (default 300),
#                                  REPEAT (default 3), SEED (default 1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
N="${1:-100000}"
KEYS="${KEYS:-300}"
REPEAT="${REPEAT:-3}"
SEED="${SEED:-1}"

cmake --build "$BUILD" -j2 --target archsim history_gen >&2
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "| history | operations | keys | verdict | exit | wall s | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for variant in linearizable stale; do
  stale=0
  [ "$variant" = stale ] && stale=0.002
  "$BUILD/history_gen" --operations "$N" --keys "$KEYS" --seed "$SEED" --stale "$stale" --out "$TMP/h.jsonl"
  best=""
  for _ in $(seq "$REPEAT"); do
    set +e
    /usr/bin/time -f "%e %M" -o "$TMP/time" "$BUILD/archsim" check "$TMP/h.jsonl" >"$TMP/out"
    code=$?
    set -e
    read -r wall rss < <(tail -1 "$TMP/time")
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; best_rss=$rss; fi
  done
  echo "| $variant | $N | $KEYS | $(head -1 "$TMP/out") | $code | $best | $((best_rss / 1024)) |"
done
