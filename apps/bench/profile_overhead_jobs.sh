#!/usr/bin/env bash
# The profiler's overhead on the two jobs issue #5 names, each through apps/bench/profile_overhead.sh
# (profiling off and on alternately, medians, the whole command's wall time from launch to exit):
# 10^5 tiny tasks (multirank-tiny-tasks --repeat 1: one map of square(int), chunksize 1), and the
# article's grayscale job (build/bin/grayscale, off vs --profile DIR) on copies of the photographs
# apps/bench/grayscale_side_by_side.sh uses.
# Needs a build (launch/build.sh) and launch/install-bench-deps.sh (the photographs); runs from
# any directory.
set -euo pipefail
usage="usage: apps/bench/profile_overhead_jobs.sh [--runs N] [--copies K] [--np P]
  --runs N    runs of each job with profiling off and as many with it on (default 5)
  --copies K  copies of the 12 photographs for the grayscale job (default 8)
  --np P      ranks of each job (default 2)"
runs=5 copies=8 np=2
while (($#)); do
  case $1 in
    --runs) runs=${2-}; shift 2 || break ;;
    --copies) copies=${2-}; shift 2 || break ;;
    --np) np=${2-}; shift 2 || break ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
for count in "$runs" "$copies" "$np"; do
  [[ $count =~ ^[1-9][0-9]*$ ]] || { echo "not a count of 1 or more: '$count'" >&2; echo "$usage" >&2; exit 2; }
done
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
photos=/usr/share/backgrounds/mate/nature

source apps/bench/requirements.bash
need_built build/bin/grayscale build/bin/multirank-tiny-tasks
need_package openmpi-bin mpirun
need_package mate-backgrounds "$photos"
check_requirements

work=$(mktemp -d /tmp/profile-overhead.XXXXXX)
trap 'rm -rf "$work"' EXIT
apps/bench/photo_set.sh "$work/images" "$copies"

echo "== 10^5 tiny tasks: multirank-tiny-tasks --tasks 100000 --repeat 1, np $np, $runs runs each =="
apps/bench/profile_overhead.sh -r "$runs" -- launch/mpirun.sh -n "$np" build/bin/multirank-tiny-tasks \
  --tasks 100000 --repeat 1
echo
echo "== grayscale: $(find "$work/images" -name '*.jpg' | wc -l) photographs ($copies copies of $photos), np $np, quality 75, $runs runs each, on: --profile DIR =="
apps/bench/profile_overhead.sh -r "$runs" -o --profile -- launch/mpirun.sh -n "$np" build/bin/grayscale \
  "$work/images" "$work/out" --quality 75 --quiet
