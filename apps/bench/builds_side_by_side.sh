#!/usr/bin/env bash
# Two builds of multirank side by side on the same machine in the same minutes: for a change that
# must not change behaviour or speed (a reorganisation, a refactor), or one that claims a gain.
# Each round runs every measurement on BEFORE and then on AFTER (the order alternates between
# rounds, so a noisy spell or a warming cache favours neither); the table gives the medians and
# AFTER/BEFORE. Measurements: multirank-bench on 3 ranks (one task's round trip, Executor.map
# chunksize 1, Pool.map default chunksize), multirank-tiny-tasks on 2 ranks (10^5 empty tasks;
# 10^4 tasks of 100 us) and grayscale on 2 ranks over photographs (apps/bench/photo_set.sh).
# BEFORE and AFTER are build directories (each with bin/multirank-bench, bin/multirank-tiny-tasks
# and bin/grayscale): build an older commit in a worktree, for example
#   git worktree add /tmp/before v1 && cmake -S /tmp/before -B /tmp/before/build \
#     -DCMAKE_BUILD_TYPE=Release && cmake --build /tmp/before/build \
#     --target multirank-bench multirank-tiny-tasks grayscale
# Needs launch/install-bench-deps.sh for the photographs; runs from any directory.
set -euo pipefail
usage="usage: apps/bench/builds_side_by_side.sh BEFORE_BUILD AFTER_BUILD [--rounds N] [--copies K]
  --rounds N   rounds, each running every measurement on both builds (default 5)
  --copies K   copies of the 12 photographs grayscale converts (default 10: 120 images)"
rounds=5 copies=10
positional=()
while (($#)); do
  case $1 in
    --rounds) rounds=${2-}; shift 2 || break ;;
    --copies) copies=${2-}; shift 2 || break ;;
    -h | --help) echo "$usage"; exit 0 ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *) positional+=("$1"); shift ;;
  esac
done
((${#positional[@]} == 2)) || { echo "$usage" >&2; exit 2; }
for count in "$rounds" "$copies"; do
  [[ $count =~ ^[1-9][0-9]*$ ]] || { echo "not a count of 1 or more: '$count'" >&2; echo "$usage" >&2; exit 2; }
done
builds=()
for dir in "${positional[@]}"; do
  for program in multirank-bench multirank-tiny-tasks grayscale; do
    [[ -x $dir/bin/$program ]] || { echo "$dir/bin/$program: not built (see the usage)" >&2; exit 2; }
  done
  builds+=("$(readlink -f "$dir")")
done
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
source apps/bench/requirements.bash
need_package openmpi-bin mpirun
need_package mate-backgrounds /usr/share/backgrounds/mate/nature
check_requirements
if ((EUID == 0)); then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpirun=(mpirun --oversubscribe --bind-to none)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
apps/bench/photo_set.sh "$work/photos" "$copies"

# One line per measurement and build: "NAME BUILD_INDEX VALUE"; the summary takes medians.
record() { echo "$1 $2 $3" >>"$work/values"; }

measure() {  # BUILD_INDEX
  local bin=${builds[$1]}/bin out
  out=$("${mpirun[@]}" -np 3 "$bin/multirank-bench")
  record round_trip_us "$1" "$(awk '/empty task submit/ {print $(NF-1)}' <<<"$out")"
  record map_chunksize_1 "$1" "$(awk '/Executor.map chunksize=1/ {print $(NF-1)}' <<<"$out")"
  record map_default_chunksize "$1" "$(awk '/Pool.map default chunksize/ {print $(NF-1)}' <<<"$out")"
  out=$("${mpirun[@]}" -np 2 "$bin/multirank-tiny-tasks" --tasks 100000 --repeat 3)
  record empty_tasks_1e5_s "$1" "$(sed -n 's/^timed_seconds=//p' <<<"$out")"
  out=$("${mpirun[@]}" -np 2 "$bin/multirank-tiny-tasks" --tasks 10000 --task-us 100 --repeat 3)
  record tasks_100us_1e4_s "$1" "$(sed -n 's/^timed_seconds=//p' <<<"$out")"
  rm -rf "$work/out"
  local start end
  start=$(date +%s.%N)
  "${mpirun[@]}" -np 2 "$bin/grayscale" "$work/photos" "$work/out" >/dev/null
  end=$(date +%s.%N)
  record grayscale_np2_s "$1" "$(echo "$end - $start" | bc -l)"
}

for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then order=(0 1); else order=(1 0); fi
  for index in "${order[@]}"; do
    echo "round $round/$rounds: ${builds[$index]}" >&2
    measure "$index"
  done
done

echo "BEFORE ${builds[0]}"
echo "AFTER  ${builds[1]}"
echo "medians of $rounds rounds, alternating; higher is better for tasks/s, lower for us and s"
python3 - "$work/values" <<'EOF'
import statistics, sys
values = {}
for line in open(sys.argv[1]):
    name, build, value = line.split()
    values.setdefault(name, ([], []))[int(build)].append(float(value))
def cell(values):
    return f"{statistics.median(values):.4g} ({min(values):.4g}-{max(values):.4g})"
print("| measurement | BEFORE median (min-max) | AFTER median (min-max) | AFTER/BEFORE |")
print("|---|---|---|---|")
for name, (before, after) in values.items():
    ratio = statistics.median(after) / statistics.median(before)
    print(f"| {name} | {cell(before)} | {cell(after)} | {ratio:.3f} |")
EOF
