#!/usr/bin/env bash
# The archsim benchmark: how far archsim is from the SimGrid floor and the raw limit.
#
# Three programs simulate the same four-tier model (client -> lb -> 8 app replicas -> cache -> db;
# see bench/four-tier.yaml and the header comments of bench/s4u_floor.cpp and bench/raw_loop.cpp):
#   archsim    the real simulator, on bench/four-tier.yaml with run.duration = N / rate, warm-up 0,
#              in each of its network modes (--network auto, flow, latency);
#   s4u_floor  a minimal hand-written SimGrid S4U program (the least any S4U program pays);
#   raw_loop   a plain C++ priority-queue event loop without SimGrid (the raw limit).
# archsim runs first: its cache's hit ratio emerges from an LRU, and the measured ratio is handed
# to the two floor programs (which draw hit/miss with a fixed probability), so all three simulate
# the same miss traffic.
#
# Usage:
#   bench/run.sh [N]              the comparison table for N requests (default 1000000)
#   bench/run.sh --memory [N1 N2] archsim's peak RSS for N1 and N2 requests (default 1M and 5M)
#                                 and their ratio, in each --network mode (MODES="auto flow latency"
#                                 by default; target: within 10%: memory must not grow with N)
#   bench/run.sh --regions [S]    the 3-region design (bench/three-region.yaml) for S simulated
#                                 seconds (default 1), --network auto against flow
# Environment: RATE (requests/s, default 20000), SEED (default 1), REPEAT (rounds of the three
# programs, interleaved; the fastest run of each is reported; default 1), BUILD (build directory,
# default <repo>/build).
#
# Builds what is missing or stale: archsim through CMake (target archsim only), the two floor
# programs with g++ -O2 into $BUILD/bench/. Wall time is the whole process (start to exit, as seen
# by this script, the same way for all three); peak RSS is /usr/bin/time's maximum resident set
# size. Output is Markdown, ready to paste into a README; progress goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
BIN="$BUILD/bench"
RATE="${RATE:-20000}"
SEED="${SEED:-1}"
REPEAT="${REPEAT:-1}"
TOPOLOGY="$ROOT/bench/four-tier.yaml"
ARCHSIM="$BUILD/archsim"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/archsim-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

log() { echo "$@" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }

for tool in g++ pkg-config python3 cmake; do
  command -v "$tool" >/dev/null || die "needs $tool"
done
[[ -x /usr/bin/time ]] || die "needs GNU time at /usr/bin/time (apt-get install time) for the peak RSS"

# ---- building ------------------------------------------------------------------------------------

build_archsim() {
  local stale=""
  if [[ ! -x "$ARCHSIM" ]]; then
    stale="missing"
  elif [[ -n "$(find "$ROOT/sim" "$ROOT/models" "$ROOT/CMakeLists.txt" -newer "$ARCHSIM" -print -quit)" ]]; then
    stale="older than its sources"
  fi
  [[ -z "$stale" ]] && return 0
  log "building archsim ($stale) in $BUILD"
  [[ -f "$BUILD/CMakeCache.txt" ]] || cmake -S "$ROOT" -B "$BUILD" >&2
  cmake --build "$BUILD" --target archsim -j"$(nproc)" >&2
}

build_bench() {  # name, extra flags...
  local name="$1"; shift
  local src="$ROOT/bench/$name.cpp" out="$BIN/$name"
  if [[ ! -x "$out" || "$src" -nt "$out" ]]; then
    log "building $out"
    mkdir -p "$BIN"
    g++ -O2 -std=c++20 "$src" "$@" -o "$out"
  fi
}

build_all() {
  build_archsim
  # shellcheck disable=SC2046
  build_bench s4u_floor $(pkg-config --cflags --libs simgrid)
  build_bench raw_loop
}

# ---- running -------------------------------------------------------------------------------------

# measure OUT_PREFIX CMD...: runs CMD once, stdout to OUT_PREFIX.json, and writes
# "wall_s rss_kb cpu_s" to OUT_PREFIX.res (cpu_s = user + system time).
measure() {
  local prefix="$1"; shift
  local t0 t1
  t0=$(date +%s.%N)
  if ! /usr/bin/time -f "%M %U %S" -o "$prefix.rss" "$@" >"$prefix.json" 2>"$prefix.err"; then
    cat "$prefix.err" >&2
    die "failed: $*"
  fi
  t1=$(date +%s.%N)
  local rss user sys
  read -r rss user sys < <(tail -n 1 "$prefix.rss")
  echo "$(python3 -c "print(f'{$t1 - $t0:.3f}')") $rss $(python3 -c "print(f'{$user + $sys:.2f}')")" >"$prefix.res"
}

# best_of NAME CMD...: runs CMD once; keeps it as $WORK/NAME.{json,res} if it is the fastest run
# of NAME so far.
best_of() {
  local name="$1"; shift
  log "  $name: $*"
  measure "$WORK/$name.try" "$@"
  local wall best
  wall=$(cut -d' ' -f1 "$WORK/$name.try.res")
  log "    $wall s wall, $(cut -d' ' -f3 "$WORK/$name.try.res") s CPU"
  best=$( [[ -f "$WORK/$name.res" ]] && cut -d' ' -f1 "$WORK/$name.res" || echo inf)
  if python3 -c "import sys; sys.exit(0 if $wall < float('$best') else 1)"; then
    cp "$WORK/$name.try.json" "$WORK/$name.json"
    cp "$WORK/$name.try.res" "$WORK/$name.res"
  fi
}

duration_for() {  # N -> simulated seconds for N requests at RATE
  python3 -c "print(f'{$1 / $RATE:.9g}')"
}

run_archsim() {  # name N [network mode]
  local d
  d=$(duration_for "$2")
  best_of "$1" "$ARCHSIM" run "$TOPOLOGY" --json --seed "$SEED" --network "${3:-auto}" \
    --set "run.duration=${d}s" --set run.warmup=0s --set "components.users.arrival.rate=${RATE}/s"
}

machine() {
  local cpu
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
  local rev
  rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
  [[ -n "$(git -C "$ROOT" status --porcelain -- sim models CMakeLists.txt 2>/dev/null)" ]] && rev="$rev+uncommitted"
  echo "archsim $rev, $(nproc) x ${cpu:-unknown CPU}, $(uname -sr), SimGrid $(pkg-config --modversion simgrid), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# ---- the comparison ------------------------------------------------------------------------------

compare() {
  local n="$1"
  build_all
  local machine_line
  machine_line=$(machine)
  # Rounds of archsim, floor, raw (interleaved, so that a busy spell on the machine does not fall
  # on one program only); the fastest run of each is reported. archsim's hit ratio is the same in
  # every round (same seed).
  local hit="" round
  for ((round = 1; round <= REPEAT; round++)); do
    log "round $round/$REPEAT, $n requests at $RATE/s"
    run_archsim archsim "$n" auto
    run_archsim flow "$n" flow
    run_archsim latency "$n" latency
    if [[ -z "$hit" ]]; then
      hit=$(python3 -c "import json; print(json.load(open('$WORK/archsim.json'))['components']['cache']['hit_ratio'])")
      log "  archsim's cache hit ratio: $hit (handed to the floor programs)"
    fi
    best_of floor "$BIN/s4u_floor" "$n" "$RATE" 8 "$hit" "$SEED" 4 32
    best_of raw "$BIN/raw_loop" "$n" "$RATE" 8 "$hit" "$SEED" 4 32
  done

  python3 - "$WORK" "$n" "$RATE" "$hit" "$REPEAT" "$machine_line" "$(cut -d' ' -f1 /proc/loadavg)" "$(nproc)" <<'EOF'
import json, sys
work, n, rate, hit, repeat, machine, load_after, cpus = sys.argv[1:9]

def load(name):
    j = json.load(open(f"{work}/{name}.json"))
    wall, rss, cpu = open(f"{work}/{name}.res").read().split()
    if name in ("archsim", "flow", "latency"):
        req, lat = j["requests"]["completed"], j["latency_ms"]["mean"]
    else:
        req, lat = j["requests"], j["mean_latency_ms"]
    wall = float(wall)
    return {"req": int(req), "wall": wall, "cpu": float(cpu), "rps": int(req) / wall, "rss": int(rss) / 1024,
            "lat": float(lat)}

rows = [("archsim --network auto", load("archsim")), ("archsim --network flow", load("flow")),
        ("archsim --network latency", load("latency")), ("s4u_floor", load("floor")), ("raw_loop", load("raw"))]
r = dict(rows)
print(f"Four-tier benchmark: N = {int(n):,} requests at {int(float(rate)):,}/s, cache hit ratio {float(hit):.4f} "
      f"(archsim's LRU; given to the floor programs), best of {repeat}.")
print(f"Machine: {machine}.")
print()
print("| program | requests | wall s | CPU s | simulated requests / wall s | peak RSS MB | mean latency ms |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, x in rows:
    print(f"| {name} | {x['req']:,} | {x['wall']:.3f} | {x['cpu']:.2f} | {x['rps']:,.0f} | {x['rss']:.1f} "
          f"| {x['lat']:.4f} |")
for a, b in (("archsim --network auto", "raw_loop"), ("archsim --network flow", "s4u_floor"),
             ("archsim --network flow", "archsim --network auto"), ("s4u_floor", "raw_loop")):
    x, y = r[a], r[b]
    cpu = f"{x['cpu'] / y['cpu']:.2f}x" if y['cpu'] > 0 else "-"
    print(f"| {a} / {b} | | {x['wall'] / y['wall']:.2f}x | {cpu} | {x['rps'] / y['rps']:.3f}x "
          f"| {x['rss'] / y['rss']:.2f}x | {x['lat'] / y['lat']:.4f}x |")
print()
if float(load_after) > int(cpus) - 0.5 or float(machine.rsplit(": ", 1)[1].split()[0]) > int(cpus) - 0.5:
    print(f"**Warning:** the machine was busy (load average {load_after} after the runs, {cpus} CPUs): wall times "
          "include waiting for a CPU; the CPU s column is the fairer comparison.")
    print()
print("Wall time is the whole process; CPU s = user + system time; requests / wall s = completed requests / wall "
      "time; peak RSS from /usr/bin/time. "
      "archsim runs for N / rate simulated seconds, so it completes about N requests (Poisson count minus those in "
      "flight at the end); the floor programs run exactly N to completion.")
EOF
}

# ---- memory: archsim's peak RSS must not grow with N ---------------------------------------------

memory() {
  local n1="$1" n2="$2"
  build_archsim
  local machine_line
  machine_line=$(machine)
  local modes="${MODES:-auto flow latency}"
  for mode in $modes; do
    log "archsim memory check, --network $mode: $n1 and $n2 requests"
    run_archsim "mem1-$mode" "$n1" "$mode"
    run_archsim "mem2-$mode" "$n2" "$mode"
  done
  python3 - "$WORK" "$n1" "$n2" "$RATE" "$machine_line" $modes <<'EOF'
import json, sys
work, n1, n2, rate, machine = sys.argv[1:6]
modes = sys.argv[6:]
print(f"archsim memory check at {int(float(rate)):,} requests/s ({machine}).")
print()
print("| --network | requests asked | requests completed | wall s | peak RSS MB | cache hit ratio |")
print("|---|---:|---:|---:|---:|---:|")
verdicts = []
for mode in modes:
    rows = []
    for name, n in (("mem1", n1), ("mem2", n2)):
        j = json.load(open(f"{work}/{name}-{mode}.json"))
        wall, rss, cpu = open(f"{work}/{name}-{mode}.res").read().split()
        rows.append((int(n), j["requests"]["completed"], float(wall), int(rss) / 1024, j["components"]["cache"]["hit_ratio"]))
    for n, c, w, m, h in rows:
        print(f"| {mode} | {n:,} | {c:,} | {w:.1f} | {m:.1f} | {h:.4f} |")
    ratio = rows[1][3] / rows[0][3]
    verdicts.append((mode, ratio, "PASS" if abs(ratio - 1) <= 0.10 else "FAIL"))
print()
for mode, ratio, verdict in verdicts:
    print(f"--network {mode}: peak RSS ratio {int(n2):,} / {int(n1):,} requests: {ratio:.3f} ({verdict}: target within 10%).")
EOF
}

# ---- the 3-region design: auto against flow ------------------------------------------------------

regions() {
  local s="$1"
  build_archsim
  local machine_line
  machine_line=$(machine)
  for mode in auto flow; do
    log "3-region design, $s s simulated, --network $mode"
    best_of "r-$mode" "$ARCHSIM" run "$ROOT/bench/three-region.yaml" --json --seed "$SEED" --network "$mode" \
      --set "run.duration=${s}s" --set run.warmup=0s --force
  done
  python3 - "$WORK" "$s" "$machine_line" <<'EOF'
import json, sys
work, s, machine = sys.argv[1:4]
rows = []
for mode in ("auto", "flow"):
    j = json.load(open(f"{work}/r-{mode}.json"))
    wall, rss, cpu = open(f"{work}/r-{mode}.res").read().split()
    l = j["latency_ms"]
    rows.append((mode, j["requests"]["completed"], float(wall), float(cpu), int(rss) / 1024, l["p50"], l["p99"],
                 j["throughput_rps"]))
print(f"3-region design (bench/three-region.yaml), {s} s simulated, warm-up 0 ({machine}).")
print()
print("| --network | requests | wall s | CPU s | requests / wall s | peak RSS MB | p50 ms | p99 ms | throughput /s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for m, c, w, cpu, rss, p50, p99, thr in rows:
    print(f"| {m} | {c:,} | {w:.2f} | {cpu:.2f} | {c / w:,.0f} | {rss:.1f} | {p50:.3f} | {p99:.3f} | {thr:,.0f} |")
print()
print(f"flow / auto wall time: {rows[1][2] / rows[0][2]:.1f}x")
EOF
}

# ---- main ----------------------------------------------------------------------------------------

if [[ "${1:-}" == "--memory" ]]; then
  memory "${2:-1000000}" "${3:-5000000}"
elif [[ "${1:-}" == "--regions" ]]; then
  regions "${2:-1}"
elif [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
else
  n="${1:-1000000}"
  [[ "$n" =~ ^[0-9]+$ && "$n" -gt 0 ]] || die "N must be a positive whole number, got '$n'"
  compare "$n"
fi
