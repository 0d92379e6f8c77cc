#!/usr/bin/env bash
# The article's 2.1 example (five processes that each sleep 2 s) timed end to end, multirank's
# example_process on several rank counts next to the article's Python
# (apps/bench/peers/article_process.py), medians of a few runs. Both should take about 2 s plus
# start-up, never 10 s: processes run at once whatever the rank count. Needs a build
# (launch/build.sh; BUILD_DIR, relative to the repository, picks another); runs from any directory.
set -euo pipefail
usage="usage: apps/bench/process_side_by_side.sh [RUNS]
  RUNS  runs of each program; the median is shown (default 3)"
case ${1-} in
  -h | --help) echo "$usage"; exit 0 ;;
esac
(($# <= 1)) || { echo "$usage" >&2; exit 2; }
runs=${1:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "not a count of 1 or more: '$runs'" >&2; echo "$usage" >&2; exit 2; }
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
example=${BUILD_DIR:-build}/bin/example_process
python_21=apps/bench/peers/article_process.py

source apps/bench/requirements.bash
need_built "$example"
need_package openmpi-bin mpirun
need_package python3 /usr/bin/python3
check_requirements
if ((EUID == 0)); then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpirun=(mpirun --oversubscribe --bind-to none)

# median_seconds COMMAND...: the median wall time of `runs` runs, in seconds.
median_seconds() {
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    times+=("$(( (end - start) / 1000000 ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { printf "%.2f", t[int((NR + 1) / 2)] / 1000 }'
}

# An empty MPI job, to tell mpirun's own start-up apart from the example's run time.
startup=$(median_seconds "${mpirun[@]}" -np 2 true)
printf '%-44s %8s\n' "program" "wall s"
printf '%-44s %8s\n' "mpirun -np 2 true (start-up alone)" "$startup"
for np in 1 2 3 6; do
  printf '%-44s %8s\n' "multirank example_process, mpirun -np $np" \
    "$(median_seconds "${mpirun[@]}" -np "$np" "$example")"
done
printf '%-44s %8s\n' "Python multiprocessing (article 2.1)" "$(median_seconds /usr/bin/python3 "$python_21")"
echo "(median of $runs runs; five 2 s sleeps run one after another would take 10 s)"
