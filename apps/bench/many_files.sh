#!/usr/bin/env bash
# grayscale over a tree of very many small files, for what does not show on thousands: rank 0's
# memory per listed file, how long the listing takes, and whether the display says something from
# the first second. The tree is COUNT thumbnails in directories of 10 000, hard links to 10 000
# distinct generated JPEGs (apps/bench/small_image_set.py), so a million files cost seconds to
# make and little memory; every link is its own file to list, convert and write. Images and
# outputs are on /dev/shm (a tmpfs) unless --dir says otherwise. Prints each rank's peak
# resident memory (GNU time), the wall time, the first lines grayscale printed with the second
# each came at, and the outputs counted.
# Needs a build (launch/build.sh), Debian's python3-pil and time; runs from any directory.
set -euo pipefail
usage="usage: apps/bench/many_files.sh [--count N] [--ranks R] [--dir DIR] [--keep]
  --count N   files in the tree (default 1000000)
  --ranks R   mpirun -np R (default 2)
  --dir DIR   where the tree and the outputs go (default: a new directory on /dev/shm)
  --keep      leave the tree and the outputs there"
count=1000000 ranks=2 dir= keep=0
while (($#)); do
  case $1 in
    --count) count=${2-}; shift 2 || break ;;
    --ranks) ranks=${2-}; shift 2 || break ;;
    --dir) dir=${2-}; shift 2 || break ;;
    --keep) keep=1; shift ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
for value in "$count" "$ranks"; do
  [[ $value =~ ^[1-9][0-9]*$ ]] || { echo "not a count of 1 or more: '$value'" >&2; echo "$usage" >&2; exit 2; }
done
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
source apps/bench/requirements.bash
need_built build/bin/grayscale
need_package openmpi-bin mpirun
need_package time /usr/bin/time
need_python_modules python3-pil PIL
check_requirements
if ((EUID == 0)); then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

if [[ -z $dir ]]; then
  dir=$(mktemp -d /dev/shm/many-files.XXXXXX)
else
  mkdir -p "$dir"
  dir=$(readlink -f "$dir")
fi
((keep)) || trap 'rm -rf "$dir"' EXIT
distinct=$((count < 10000 ? count : 10000))
echo "== making $count files in $dir/tree ($distinct distinct JPEGs, directories of 10 000)"
/usr/bin/python3 apps/bench/small_image_set.py "$dir/distinct" "$distinct" >/dev/null
/usr/bin/python3 - "$dir/distinct" "$dir/tree" "$count" <<'EOF'
import os, sys
source, tree, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = sorted(os.listdir(source))
for i in range(count):
    folder = os.path.join(tree, f"d{i // 10000:04d}")
    if i % 10000 == 0:
        os.makedirs(folder, exist_ok=True)
    os.link(os.path.join(source, names[i % len(names)]), os.path.join(folder, f"i{i:07d}.jpg"))
EOF

echo "== mpirun -np $ranks grayscale $dir/tree $dir/out --progress-interval 5"
rm -rf "$dir/out"
start=$(date +%s.%N)
# Each line grayscale prints, stamped with the second it came at; GNU time's report per rank, in
# a file of its own.
mpirun --oversubscribe --bind-to none -np "$ranks" /bin/sh -c \
  'exec /usr/bin/time -o "$0.${OMPI_COMM_WORLD_RANK:-0}" \
     -f "%M kB peak resident memory, wall %e s, CPU %U s user + %S s system" "$@"' \
  "$dir/time" build/bin/grayscale "$dir/tree" "$dir/out" --progress-interval 5 2>&1 |
  while IFS= read -r line; do
    printf '%7.2f s  %s\n' "$(echo "$(date +%s.%N) - $start" | bc -l)" "$line"
  done | tee "$dir/log" | awk 'NR <= 12 || /converted/'
end=$(date +%s.%N)
outputs=$(find "$dir/out" -type f -name '*.jpg' | wc -l)
for ((rank = 0; rank < ranks; rank++)); do
  echo "rank $rank: $(cat "$dir/time.$rank")"
done
printf 'wall %.1f s for %d files; %d outputs\n' "$(echo "$end - $start" | bc -l)" "$count" "$outputs"
((outputs == count)) || { echo "expected $count outputs" >&2; exit 1; }
