#!/usr/bin/env bash
# Several "hosts" on one machine, for multi-node runs without a cluster: each host is a network +
# UTS + mount namespace with its own hostname, address on a private bridge, /etc/hosts and scratch
# directory (DIR/scratch shows each host's own copy). Nothing is added to the root namespace.
#   netns-hosts.sh up DIR [N [SLOTS]]   start node1..nodeN (default 3 hosts, 1 slot each; SLOTS
#                                       as 2,3,4 gives the hosts 2, 3, 4, 2, 3, ... slots in turn)
#   netns-hosts.sh exec DIR HOST CMD... run CMD on HOST (what launch/hosts/rsh-agent.sh does)
#   netns-hosts.sh take DIR HOST kill|unplug
#                                       take HOST away mid-run: kill every process on it, or put
#                                       its link down (its processes live on, cut off)
#   netns-hosts.sh down DIR             stop them; DIR/hosts/*/scratch stays for inspection
# Needs root. `up` writes DIR/hostfile for mpirun and prints the variable the rsh agent reads.
set -euo pipefail

subnet_prefix=10.77.0   # private to the bridge's namespace, so it can never clash with the machine's
subnet=$subnet_prefix.0/24

log() { echo "netns-hosts: $*" >&2; }
usage() { sed -n '5,11s/^#   //p' "${BASH_SOURCE[0]}" >&2; exit 2; }
# Exit status 3: this machine cannot host the namespaces (tests report that as skipped, with the reason).
unavailable() { log "unavailable: $*"; exit 3; }

(($# >= 2)) || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
shift 2

# Start a process that holds new namespaces (unshare FLAGS), runs SETUP in them, then sleeps until
# killed. Prints its pid once SETUP has finished. Its output goes to LOG, so nobody waiting on our
# stdout (a test runner) waits for it too.
start_holder() {
  local log=$1 ready=$2 setup=$3
  shift 3
  rm -f "$ready"
  unshare "$@" -- bash -c "set -e; $setup; touch '$ready'; exec sleep infinity" \
    </dev/null >>"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    [[ -e $ready ]] && { echo "$pid"; return; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill "$pid" 2>/dev/null || true
  log "namespace set-up failed: $(tail -n 5 "$log")"
  return 1
}

in_ns() { local pid=$1; shift; nsenter -t "$pid" -n -- "$@"; }

up() {
  local n=${1:-3} slots=${2:-1} i name pid switch
  [[ $n =~ ^[1-9][0-9]?$ && $slots =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || usage
  local -a slot_cycle
  IFS=, read -r -a slot_cycle <<<"$slots"
  ((EUID == 0)) || unavailable "needs root (network, UTS and mount namespaces)"
  local tool
  for tool in unshare nsenter ip; do
    command -v "$tool" >/dev/null || unavailable "$tool not installed (launch/install-deps.sh installs it)"
  done
  [[ -e $dir/switch.pid ]] && { log "$dir already holds hosts; run down first"; exit 1; }
  unshare --net --uts --mount true 2>/dev/null || unavailable "this machine forbids new namespaces (unshare --net --uts --mount failed)"

  mkdir -p "$dir/hosts" "$dir/scratch"
  : >"$dir/hostfile"
  printf '127.0.0.1 localhost\n' >"$dir/etc-hosts"
  for ((i = 1; i <= n; i++)); do
    printf '%s.%d node%d\n' "$subnet_prefix" $((10 + i)) "$i" >>"$dir/etc-hosts"
    printf 'node%d slots=%d\n' "$i" "${slot_cycle[(i - 1) % ${#slot_cycle[@]}]}" >>"$dir/hostfile"
  done

  switch=$(start_holder "$dir/switch.log" "$dir/switch.ready" \
    "ip link set lo up; ip link add br0 type bridge; ip link set br0 up" --net) || { down; exit 1; }
  echo "$switch" >"$dir/switch.pid"

  for ((i = 1; i <= n; i++)); do
    name=node$i
    mkdir -p "$dir/hosts/$name/scratch" "$dir/hosts/$name/tmp"
    # The bind mounts exist only in this host's mount namespace: the machine itself is untouched.
    pid=$(start_holder "$dir/hosts/$name/holder.log" "$dir/hosts/$name/ready" \
      "hostname $name; ip link set lo up; mount --bind '$dir/hosts/$name/scratch' '$dir/scratch'; mount --bind '$dir/etc-hosts' /etc/hosts" \
      --net --uts --mount --propagation private) || { down; exit 1; }
    echo "$pid" >"$dir/hosts/$name/pid"
    in_ns "$switch" ip link add "v$i" type veth peer name eth0 netns "$pid"
    in_ns "$switch" ip link set "v$i" master br0 up
    in_ns "$pid" ip addr add "$subnet_prefix.$((10 + i))/24" dev eth0
    in_ns "$pid" ip link set eth0 up
  done
  log "hosts node1..node$n up on $subnet; hostfile $dir/hostfile"
  echo "export NETNS_HOSTS_DIR=$dir NETNS_HOSTS_SUBNET=$subnet"
}

# Run CMD inside HOST's namespaces, in the same directory, with its own TMPDIR (Open MPI puts its
# session directory there, and the hosts share the machine's /tmp).
host_exec() {
  (($# >= 2)) || usage
  local name=$1 pidfile=$dir/hosts/$1/pid
  shift
  [[ -s $pidfile ]] || { log "no host $name in $dir"; exit 1; }
  TMPDIR=$dir/hosts/$name/tmp exec nsenter -t "$(<"$pidfile")" -n -u -m --wd="$PWD" -- "$@"
}

stop_holder() {
  local pidfile=$1 pid
  [[ -s $pidfile ]] || return 0
  pid=$(<"$pidfile")
  kill "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# SIGKILL every process on the host whose namespace holder is HOLDER, but the holder itself. One
# stat call lists every process's namespace.
kill_host_processes() {
  local holder=$1 ns other
  ns=$(stat -L -c %i "/proc/$holder/ns/net" 2>/dev/null) || return 0
  for other in $(stat -L -c '%i %n' /proc/[0-9]*/ns/net 2>/dev/null |
                 awk -v ns="$ns" -v self="$holder" '$1 == ns { split($2, p, "/"); if (p[3] != self) print p[3] }'); do
    kill -9 "$other" 2>/dev/null || true
  done
}

# A host taken away as a cluster loses one: its power cut (kill) or its cable pulled (unplug).
take() {
  (($# == 2)) && [[ $2 == kill || $2 == unplug ]] || usage
  local name=$1 how=$2 pidfile=$dir/hosts/$1/pid
  [[ -s $pidfile ]] || { log "no host $name in $dir"; exit 1; }
  case $how in
    kill) kill_host_processes "$(<"$pidfile")" ;;
    unplug) in_ns "$(<"$pidfile")" ip link set eth0 down ;;
  esac
  log "host $name taken away ($how)"
}

down() {
  local pidfile
  for pidfile in "$dir"/hosts/*/pid; do
    [[ -s $pidfile ]] || continue
    # A namespace lives as long as any process in it: whatever still runs on that host (a rank
    # of an interrupted run) goes with it.
    kill_host_processes "$(<"$pidfile")"
    stop_holder "$pidfile"
  done
  stop_holder "$dir/switch.pid"
  log "hosts in $dir stopped"
}

case $action in
  up) up "$@" ;;
  exec) host_exec "$@" ;;
  take) take "$@" ;;
  down) down ;;
  *) usage ;;
esac
