#!/usr/bin/env bash
# rsh agent for the namespace hosts of launch/hosts/netns-hosts.sh: mpirun calls it as it would
# call ssh (`rsh-agent.sh [ssh options] HOST COMMAND...`) and it runs COMMAND on HOST. Give it to
# mpirun with `--mca plm_rsh_agent launch/hosts/rsh-agent.sh`; it finds the hosts in $NETNS_HOSTS_DIR.
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
: "${NETNS_HOSTS_DIR:?rsh-agent: NETNS_HOSTS_DIR is not set (netns-hosts.sh up prints it)}"

# ssh options Open MPI may pass (-x, -o Opt=val, -p N) mean nothing here.
while [[ ${1-} == -* ]]; do
  case $1 in
    -o|-p|-l|-i|-F) shift 2 ;;
    *) shift ;;
  esac
done
(($# >= 2)) || { echo "usage: $0 [options] HOST COMMAND..." >&2; exit 2; }
host=$1
shift
# Like ssh: the command words are joined and run by a shell on the remote side.
exec "$here/netns-hosts.sh" exec "$NETNS_HOSTS_DIR" "$host" /bin/bash -c "$*"
