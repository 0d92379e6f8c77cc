#!/usr/bin/env bash
# Start-up and close at scale: a whole multirank job (example_pool: start, five tiny tasks, close)
# against a bare MPI job (multirank-bare-mpi: MPI_Init_thread, a barrier, MPI_Finalize) on the
# same launcher, alternating, for each rank count; prints each run, the medians and their ratio.
# Ranks beyond the cores are oversubscribed, so only the ratio means anything.
set -euo pipefail
usage="usage: apps/bench/startup_side_by_side.sh [--ranks \"32 64 128\"] [--repeats 3] [--program NAME]
  --ranks     rank counts to run (default: 32 64 128)
  --repeats   runs of each program per rank count, alternating (default: 3)
  --program   the multirank program from build/bin to time (default: example_pool)"
ranks="32 64 128" repeats=3 program=example_pool
while (($#)); do
  case $1 in
    --ranks) ranks=${2:?$usage}; shift 2 ;;
    --repeats) repeats=${2:?$usage}; shift 2 ;;
    --program) program=${2:?$usage}; shift 2 ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "startup_side_by_side.sh: unknown argument '$1'" >&2; echo "$usage" >&2; exit 2 ;;
  esac
done
[[ $repeats =~ ^[1-9][0-9]*$ ]] || { echo "startup_side_by_side.sh: --repeats '$repeats' is not a positive whole number" >&2; exit 2; }
for n in $ranks; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "startup_side_by_side.sh: --ranks: '$n' is not a positive whole number" >&2; exit 2; }
done
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
source apps/bench/requirements.bash
need_built build/bin/multirank-bare-mpi
need_built "build/bin/$program"
need_package openmpi-bin mpirun
check_requirements

# Seconds of wall time of one command; its output is dropped, a failure stops the benchmark.
timed() {
  local start end
  start=$(date +%s.%N)
  if ! "$@" >/dev/null 2>&1; then echo "startup_side_by_side.sh: failed: $*" >&2; exit 1; fi
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "machine: $(nproc) cores; launcher: launch/mpirun.sh (mpirun --oversubscribe --bind-to none)"
echo "| ranks | bare MPI job, median s | multirank $program, median s | ratio |"
echo "|---|---|---|---|"
for n in $ranks; do
  bare=() job=()
  for ((r = 0; r < repeats; r++)); do
    bare+=("$(timed launch/mpirun.sh -n "$n" build/bin/multirank-bare-mpi)")
    job+=("$(timed launch/mpirun.sh -n "$n" "build/bin/$program")")
  done
  echo "ranks $n: bare ${bare[*]}; $program ${job[*]}" >&2
  b=$(median "${bare[@]}") j=$(median "${job[@]}")
  printf '| %d | %.2f | %.2f | %.2f |\n' "$n" "$b" "$j" "$(echo "$j / $b" | bc -l)"
done
