#!/usr/bin/env bash
# The article's 2.1 example (five processes that each sleep 2 s) timed end to end, multirank on
# several rank counts next to the article's Python, medians of a few runs. Both should take about
# 2 s plus start-up, never 10 s: processes run at once whatever the rank count.
# Usage: apps/bench/process_side_by_side.sh [RUNS]   (default 3)
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
runs=${1:-3}
example=${BUILD_DIR:-build}/bin/example_process
[ -x "$example" ] || { echo "build first: launch/build.sh" >&2; exit 2; }
if ((EUID == 0)); then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpirun=(mpirun --oversubscribe --bind-to none)

python_21=$(mktemp --suffix=.py)
trap 'rm -f "$python_21"' EXIT
cat >"$python_21" <<'PY'
import multiprocessing
import time
def worker(num):
    print(f"Worker {num} started")
    time.sleep(2)
    print(f"Worker {num} finished")
if __name__ == "__main__":
    processes = []
    for i in range(5):
        p = multiprocessing.Process(target=worker, args=(i,))
        processes.append(p)
        p.start()
    for p in processes:
        p.join()
    print("All workers finished")
PY

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
