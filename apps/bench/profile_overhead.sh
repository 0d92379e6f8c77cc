#!/usr/bin/env bash
# The profiler's overhead on any program: runs COMMAND alternately without and with
# MULTIRANK_PROFILE (a fresh directory each time), RUNS times each, and prints the medians side by
# side: the whole command's wall time, and the program's own timed section when it prints
# "timed_seconds=<s>" (as multirank-tiny-tasks does). Alternating spreads a noisy machine's load
# over both.
# With -o OPTION, profiling is switched on by appending "OPTION DIR" to the command instead (the
# grayscale app's --profile).
# Usage: apps/bench/profile_overhead.sh [-r RUNS] [-o OPTION] -- COMMAND [ARGS...]
#   e.g. apps/bench/profile_overhead.sh -r 7 -- launch/mpirun.sh -np 2 build/bin/multirank-tiny-tasks
# COMMAND runs from the current directory, as given.
set -euo pipefail
runs=5
option=
usage="usage: apps/bench/profile_overhead.sh [-r RUNS] [-o OPTION] -- COMMAND [ARGS...]
  -r RUNS    runs of COMMAND with profiling off and as many with it on, alternately (default 5)
  -o OPTION  switch profiling on with COMMAND's OPTION DIR instead of MULTIRANK_PROFILE=DIR"
while [[ $# -gt 0 && $1 != -- ]]; do
  case $1 in
    -r) runs=${2-}; shift 2 || break ;;
    -o) option=${2-}; shift 2 || break ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "not a count of 1 or more: '$runs'" >&2; echo "$usage" >&2; exit 2; }
[[ ${1-} == -- ]] && shift
[[ $# -gt 0 ]] || { echo "$usage" >&2; exit 2; }
if ((EUID == 0)); then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "nan"}'; }

for ((i = 1; i <= runs; i++)); do
  for mode in off on; do
    out="$scratch/$mode-$i.txt"
    start=$(date +%s%N)
    if [[ $mode == on && -n $option ]]; then
      env -u MULTIRANK_PROFILE "$@" "$option" "$scratch/profile-$i" > "$out"
    elif [[ $mode == on ]]; then
      MULTIRANK_PROFILE="$scratch/profile-$i" "$@" > "$out"
    else
      env -u MULTIRANK_PROFILE "$@" > "$out"
    fi
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000 ))e-6" >> "$scratch/wall-$mode"
    sed -n 's/^timed_seconds=//p' "$out" >> "$scratch/timed-$mode"
    if [[ $mode == on && ! -s $scratch/profile-$i/summary.txt ]]; then
      echo "profiling on wrote no $scratch/profile-$i/summary.txt" >&2
      exit 1
    fi
    rm -rf "$scratch/profile-$i"
  done
done

printf '%-28s %14s %14s %8s\n' "median of $runs runs" "profile off" "profile on" "on/off"
for what in timed wall; do
  off=$(median < "$scratch/$what-off")
  on=$(median < "$scratch/$what-on")
  [[ $off == nan ]] && continue
  label=$([[ $what == timed ]] && echo "timed section (s)" || echo "whole command (s)")
  printf '%-28s %14.4f %14.4f %8.3f\n' "$label" "$off" "$on" "$(awk -v a="$on" -v b="$off" 'BEGIN {print a / b}')"
done
each() { awk '{printf "%.2f ", $1}' "$1"; }
echo "whole command, each run (s): off $(each "$scratch/wall-off")| on $(each "$scratch/wall-on")"
