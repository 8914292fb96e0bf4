# A single-node Slurm cluster on loopback, for tests. Source this file, then:
#
#   slurm_cluster_start DIR   writes DIR/slurm.conf, starts munged, slurmctld and slurmd in the
#                             background (their PIDs in DIR/*.pid), exports SLURM_CONF and waits
#                             until the node is idle
#   slurm_cluster_stop DIR    stops each daemon by the PID it recorded (never by name)
#
# Needs root (the daemons run as root here) and the Debian packages slurmctld, slurmd,
# slurm-client and munge (scripts/install-slurm.sh). Nothing is written outside DIR except what
# the daemons keep in memory; the ports are Slurm's defaults (6817, 6818) on 127.0.0.1.

slurm_cluster_start() {
  local dir=$1
  local host
  host=$(hostname -s)
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge" "$dir/logs"
  chmod 700 "$dir/munge"
  # A fresh key for this cluster only.
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  local cpus
  cpus=$(nproc)
  cat > "$dir/slurm.conf" <<EOF
# Written by scripts/slurm-cluster.sh: one node, loopback only.
ClusterName=archsim-test
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=5
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid.slurm
SlurmdPidFile=$dir/slurmd.pid.slurm
SlurmctldLogFile=$dir/logs/slurmctld.log
SlurmdLogFile=$dir/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=sched_interval=2,bf_interval=2
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/logs/jobcomp.txt
RequeueExit=75
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=5
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$dir/slurm.conf

  munged --force --foreground --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid.munge" --log-file="$dir/logs/munged.log" \
    --seed-file="$dir/munge/munged.seed" > "$dir/logs/munged.out" 2>&1 &
  echo $! > "$dir/munged.pid"
  local i
  for i in $(seq 1 50); do [ -S "$dir/munge/munge.socket" ] && break; sleep 0.1; done
  if [ ! -S "$dir/munge/munge.socket" ]; then
    echo "slurm-cluster: munged did not start; see $dir/logs/munged.log" >&2
    return 1
  fi

  slurmctld -D -c -f "$dir/slurm.conf" > "$dir/logs/slurmctld.out" 2>&1 &
  echo $! > "$dir/slurmctld.pid"
  slurmd -D -f "$dir/slurm.conf" > "$dir/logs/slurmd.out" 2>&1 &
  echo $! > "$dir/slurmd.pid"

  # Wait until the node takes work (at most 60 s).
  local state=""
  for i in $(seq 1 120); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n1)
    case $state in idle) return 0 ;; esac
    sleep 0.5
  done
  echo "slurm-cluster: the node did not become idle (state '$state'); logs in $dir/logs" >&2
  return 1
}

slurm_cluster_stop() {
  local dir=$1 name pid i
  for name in slurmd slurmctld munged; do
    [ -f "$dir/$name.pid" ] || continue
    pid=$(cat "$dir/$name.pid")
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$dir/$name.pid"
  done
}
