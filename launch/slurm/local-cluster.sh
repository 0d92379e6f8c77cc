#!/usr/bin/env bash
# A throw-away single-node Slurm on loopback (Debian's slurm-wlm 22.05 and munge), all state in one
# directory so several can coexist: `up DIR` starts munged, slurmctld and slurmd and waits until the
# node is idle; `down DIR` stops them. Needs root. Usage: local-cluster.sh up|down|status DIR
set -euo pipefail

usage() { echo "usage: $0 up|down|status DIR" >&2; exit 2; }
(($# == 2)) || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
conf=$dir/slurm.conf
log() { echo "local-cluster: $*" >&2; }

# Exit status 3: this machine cannot host the cluster (tests report that as skipped, with the reason).
unavailable() { log "unavailable: $*"; exit 3; }

# A TCP port nobody listens on, from a range away from Slurm's defaults (6817/6818).
free_port() {
  local used port
  used=$(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u)
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 20000))
    grep -qx "$port" <<<"$used" || { echo "$port"; return; }
  done
  log "no free TCP port found"; exit 1
}

write_config() {
  local node ctld_port slurmd_port cpus
  node=$(hostname -s)
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  while [[ $slurmd_port == "$ctld_port" ]]; do slurmd_port=$(free_port); done
  cpus=$(nproc)
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
  chmod a+x "$dir"   # munged (user munge) must reach its files inside
  runuser -u munge -- test -x "$dir" ||
    { log "user munge cannot reach $dir: a parent directory is private (pick one under /tmp)"; exit 1; }
  cat >"$conf" <<EOF
# Written by launch/slurm/local-cluster.sh: one node, loopback only, everything under $dir.
ClusterName=multirank
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to scontrol for an hour (there is no slurmdbd, so no sacct here);
# the job completion log keeps one line per finished job with its state and exit code.
MinJobAge=3600
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
KillWait=10
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  local key=$dir/munge/munge.key
  id munge >/dev/null 2>&1 || unavailable "no munge user (apt-get install munge)"
  # munged insists on its own files: key and directory owned by munge, unreadable to others.
  [[ -f $key ]] || { head -c 1024 /dev/urandom >"$key"; }
  chown -R munge:munge "$dir/munge"
  chmod 0711 "$dir/munge"   # clients need to reach the socket; the key stays 0400
  chmod 0400 "$key"
  runuser -u munge -- munged --key-file="$key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
    --seed-file="$dir/munge/munged.seed"
}

# Stop the daemon whose pid is in FILE: TERM, up to 10 s, then KILL.
stop_pidfile() {
  local file=$1 pid
  [[ -s $file ]] || return 0
  pid=$(<"$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$file"
}

node_state() { SLURM_CONF=$conf sinfo -h -N -o '%T' 2>/dev/null | head -n1; }

up() {
  ((EUID == 0)) || unavailable "needs root (slurmd and munged)"
  local tool
  for tool in munged slurmctld slurmd sbatch sinfo runuser ss; do
    command -v "$tool" >/dev/null || unavailable "$tool not installed (launch/install-deps.sh installs it)"
  done
  # slurmd 22.05 starts its cgroup plugin whatever ProctrackType says, and refuses to run without it.
  mountpoint -q /sys/fs/cgroup || unavailable "no cgroup filesystem at /sys/fs/cgroup (slurmd needs one)"
  [[ -f $conf ]] && { log "$dir already holds a cluster; run down first"; exit 1; }
  write_config
  start_munge || { log "munged failed"; down; exit 1; }
  slurmctld -f "$conf" || { log "slurmctld failed; $dir/log/slurmctld.log:"; tail -n 20 "$dir/log/slurmctld.log" >&2; down; exit 1; }
  slurmd -f "$conf" || { log "slurmd failed; $dir/log/slurmd.log:"; tail -n 20 "$dir/log/slurmd.log" >&2; down; exit 1; }
  local state=
  for _ in $(seq 300); do
    state=$(node_state)
    [[ $state == idle ]] && break
    sleep 0.2
  done
  if [[ $state != idle ]]; then
    log "node not idle after 60 s (state '${state:-none}'); last log lines:"
    tail -n 10 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
    down
    exit 1
  fi
  log "node $(hostname -s) idle; use: export SLURM_CONF=$conf"
  echo "export SLURM_CONF=$conf"
}

down() {
  # Jobs first, so slurmd does not leave orphaned job processes behind.
  if [[ -f $conf ]] && [[ -s $dir/slurmctld.pid ]]; then
    SLURM_CONF=$conf timeout 10 scancel --full --quiet --user=root 2>/dev/null || true
  fi
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  stop_pidfile "$dir/munge/munged.pid"
  rm -f "$conf"
  log "stopped (logs kept in $dir/log)"
}

case $action in
  up) up ;;
  down) down ;;
  status) SLURM_CONF=$conf sinfo -N ;;
  *) usage ;;
esac
