#!/usr/bin/env bash
# The Slurm executor end to end on a one-node cluster on loopback: installs Slurm and munge from
# Debian when missing, starts munged, slurmctld and slurmd in a temporary folder, runs a sweep
# through `archsim experiment --executor slurm` (one run is killed on its first attempt, so the
# requeue path runs too), checks that results.csv equals the local executor's byte for byte; then
# runs a capacity search and a failure sweep through `--executor slurm` and checks that their
# capacity.json and failures.json equal the local executor's; and stops every daemon by its PID.
#
#   bash scripts/slurm-test.sh          the 10-point check (.ci/run runs it after the test suite)
#   bash scripts/slurm-test.sh 100      a 100-point sweep, timed against the local executor
#
# Skips with a message, and exit 0, only where apt-get is unavailable and Slurm is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
points=${1:-10}
archsim=$root/build/archsim
[ -x "$archsim" ] || { echo "slurm-test: build/archsim is missing: run scripts/build.sh first" >&2; exit 1; }

if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null || ! command -v sbatch > /dev/null; then
  if ! command -v apt-get > /dev/null; then
    echo "slurm-test: SKIPPED: Slurm is not installed and apt-get is unavailable to install it" >&2
    exit 0
  fi
  bash scripts/install-deps.sh slurmctld slurmd slurm-client munge
fi

work=$(mktemp -d /tmp/archsim-slurm.XXXXXX)
source scripts/slurm-cluster.sh
cleanup() {
  slurm_cluster_stop "$work/cluster"
  rm -rf "$work"
}
trap cleanup EXIT

t_start=$(date +%s.%N)
slurm_cluster_start "$work/cluster"
t_up=$(date +%s.%N)

# The experiment: a small service swept over load and cores; `points` points of one replication.
cat > "$work/tiny.yaml" <<'YAML'
name: tiny
components:
  users:
    kind: client
    arrival: {process: poisson, rate: 200/s}
    requests: {get: {weight: 0.9}, put: {weight: 0.1, op: write}}
    target: app
  app: {kind: service, replicas: 1, cores: 1, cpu: 1ms, calls: [db]}
  db: {kind: database, read: {io: 1ms}}
run: {duration: 1.5s, warmup: 0.5s}
YAML
rates=$(seq -s ', ' 50 50 $((points / 2 * 50)) | sed 's/\([0-9]\+\)/\1\/s/g')
cat > "$work/sweep.yaml" <<YAML
name: sweep
description: $points points of a small service under rising load, one and two cores
topology: tiny.yaml
sweep:
  components.users.arrival.rate: [$rates]
  components.app.cores: [1, 2]
YAML

# Runs through this wrapper die by SIGKILL on their first attempt at one point, as an OOM kill
# would: the array task exits 75 and Slurm requeues it (RequeueExit=75 in the cluster's conf).
cat > "$work/flaky-archsim" <<WRAP
#!/bin/bash
case "\$*" in
  *"rate=100/s --set components.app.cores=2 "*)
    if [ ! -f "$work/killed-once" ]; then touch "$work/killed-once"; kill -9 \$\$; fi ;;
esac
exec "$archsim" "\$@"
WRAP
chmod +x "$work/flaky-archsim"

cd "$work"
t0=$(date +%s.%N)
"$archsim" experiment sweep.yaml --executor slurm --chunk 2 --out slurm-out --archsim "$work/flaky-archsim"
ids=$(awk '{print $2}' slurm-out/slurm/jobs.txt | paste -sd, -)
deadline=$((SECONDS + 600))
while squeue -h -j "$ids" 2> /dev/null | grep -q .; do
  if [ $SECONDS -gt $deadline ]; then echo "slurm-test: jobs $ids still queued after 600 s" >&2; squeue >&2; exit 1; fi
  sleep 0.5
done
t1=$(date +%s.%N)
"$archsim" experiment sweep.yaml --out local-out --archsim "$work/flaky-archsim" 2> local.log
t2=$(date +%s.%N)

fail=0
if [ ! -f slurm-out/results.csv ]; then
  echo "slurm-test: FAILED: the gather job wrote no results.csv; its log:" >&2
  cat slurm-out/slurm/logs/gather-*.log >&2 || true
  fail=1
elif ! cmp -s slurm-out/results.csv local-out/results.csv; then
  echo "slurm-test: FAILED: results.csv differs between the executors" >&2
  diff slurm-out/results.csv local-out/results.csv >&2 || true
  fail=1
fi
rows=$(($(wc -l < local-out/results.csv) - 1))
if [ "$rows" -ne "$points" ]; then echo "slurm-test: FAILED: $rows rows, expected $points" >&2; fail=1; fi
if [ ! -f killed-once ] || ! grep -q "exit 75" slurm-out/slurm/logs/run-*.log; then
  echo "slurm-test: FAILED: the killed run was not requeued" >&2
  fail=1
fi
requeued=$(grep -c "ExitCode=75:0" "$work/cluster/logs/jobcomp.txt" || true)

# The searches wait for their arrays: a capacity search and a failure sweep through Slurm write the
# same capacity.json and failures.json as on this machine. Each executor runs from its own folder
# with the same relative paths, so the folders and commands in those files are the same text.
mkdir -p "$work/search-slurm" "$work/search-local"
t3=$(date +%s.%N)
(cd "$work/search-slurm" &&
  "$archsim" capacity ../tiny.yaml --slo 'p99<=20ms' --max-replications 3 --executor slurm --out cap > cap.txt 2> cap.log &&
  "$archsim" failures ../tiny.yaml --set run.duration=4s --executor slurm --out fail > fail.txt 2> fail.log) || {
  echo "slurm-test: FAILED: a search through --executor slurm failed; its log:" >&2
  tail -n 20 "$work"/search-slurm/*.log >&2
  fail=1
}
t4=$(date +%s.%N)
(cd "$work/search-local" &&
  "$archsim" capacity ../tiny.yaml --slo 'p99<=20ms' --max-replications 3 --out cap > cap.txt 2> cap.log &&
  "$archsim" failures ../tiny.yaml --set run.duration=4s --out fail > fail.txt 2> fail.log)
t5=$(date +%s.%N)
for f in cap/capacity.json fail/failures.json; do
  if ! cmp -s "$work/search-slurm/$f" "$work/search-local/$f"; then
    echo "slurm-test: FAILED: $f differs between the executors" >&2
    diff "$work/search-slurm/$f" "$work/search-local/$f" >&2 || true
    fail=1
  fi
done
if ! grep -q "in Slurm array job" "$work/search-slurm/cap.log"; then
  echo "slurm-test: FAILED: the capacity search submitted no array job" >&2
  fail=1
fi
arrays=$(grep -c "in Slurm array job" "$work/search-slurm/cap.log" "$work/search-slurm/fail.log" | awk -F: '{s += $2} END {print s}')
awk -v s="$(awk "BEGIN{print $t4 - $t3}")" -v l="$(awk "BEGIN{print $t5 - $t4}")" -v a="$arrays" \
  -v same="$([ $fail = 0 ] && echo yes || echo NO)" \
  'BEGIN{printf "slurm-test: capacity + failures: slurm %.1f s (%s array jobs, waited for); local %.1f s; capacity.json and failures.json identical: %s\n", s, a, l, same}' >&2
awk -v n="$points" -v up="$(awk "BEGIN{print $t_up - $t_start}")" -v s="$(awk "BEGIN{print $t1 - $t0}")" \
  -v l="$(awk "BEGIN{print $t2 - $t1}")" -v r="$requeued" -v same="$([ $fail = 0 ] && echo yes || echo NO)" \
  'BEGIN{printf "slurm-test: %s points: cluster up in %.1f s; slurm executor %.1f s (%s task requeued); local executor %.1f s; results.csv identical: %s\n", n, up, s, r, l, same}' >&2
exit $fail
