#!/usr/bin/env bash
# What the driver can sustain as the worker ranks grow: build/bin/multirank-scale under
# mpirun -np N+1 for each N, then grayscale --io ship on copies of the benchmark photographs with
# rank 0's bytes counted under the runtime (the MPI counting library LD_PRELOADed); collects every
# figure into OUT/sweep.json for apps/bench/scale_model.py. Ranks beyond the cores are
# oversubscribed: the driver's costs per task and per message are what to read, not throughput.
set -euo pipefail
usage="usage: apps/bench/scale_sweep.sh [--workers \"2 4 8 16 32 64\"] [--out DIR] [options]
  --workers       worker rank counts N; each run is mpirun -np N+1 (default: 2 4 8 16 32 64)
  --out DIR       where each run's JSON and output go, and sweep.json (default: ./scale_sweep)
  --task-us LIST  task lengths in µs, comma-separated (default: 0,10,100,1000)
  --tasks N       empty tasks per map, and most tasks of any map (default: 100000)
  --work-seconds S  busy task CPU per map in all (default: 2)
  --object-ops K  operations per process on the shared Queue and Lock (default: 200)
  --worker-timeout S  MULTIRANK_WORKER_TIMEOUT_S of the runs, which sets the heartbeat interval
                  (default: 1, the shortest interval: the most heartbeat traffic)
  --ship-workers \"2 8 32\"  worker counts for grayscale --io ship (\"\": skip it)
  --ship-copies K copies of the 12 photographs grayscale converts (default: 10)"
workers="2 4 8 16 32 64" out=scale_sweep task_us=0,10,100,1000 tasks=100000 work_seconds=2
worker_timeout=1 ship_workers="2 8 32" ship_copies=10 object_ops=200
while (($#)); do
  case $1 in
    --workers) workers=${2:?$usage}; shift 2 ;;
    --out) out=${2:?$usage}; shift 2 ;;
    --task-us) task_us=${2:?$usage}; shift 2 ;;
    --tasks) tasks=${2:?$usage}; shift 2 ;;
    --work-seconds) work_seconds=${2:?$usage}; shift 2 ;;
    --object-ops) object_ops=${2:?$usage}; shift 2 ;;
    --worker-timeout) worker_timeout=${2:?$usage}; shift 2 ;;
    --ship-workers) ship_workers=${2?$usage}; shift 2 ;;
    --ship-copies) ship_copies=${2:?$usage}; shift 2 ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "scale_sweep.sh: unknown argument '$1'" >&2; echo "$usage" >&2; exit 2 ;;
  esac
done
for n in $workers $ship_workers; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "scale_sweep.sh: worker count '$n' is not a positive whole number" >&2; exit 2; }
done
[[ $object_ops =~ ^[0-9]+$ ]] || { echo "scale_sweep.sh: --object-ops '$object_ops' is not a whole number" >&2; exit 2; }
[[ $ship_copies =~ ^[1-9][0-9]*$ ]] || { echo "scale_sweep.sh: --ship-copies '$ship_copies' is not a positive whole number" >&2; exit 2; }
[[ $worker_timeout =~ ^[0-9]+$ ]] || { echo "scale_sweep.sh: --worker-timeout '$worker_timeout' is not a whole number of seconds" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
source apps/bench/requirements.bash
need_built build/bin/multirank-scale
need_package openmpi-bin mpirun
if [[ -n $ship_workers ]]; then
  need_built build/bin/grayscale
  [[ -e build/lib/libmultirank_mpi_counts.so ]] ||
    missing_requirements+=("$PWD/build/lib/libmultirank_mpi_counts.so: not built (run launch/build.sh)")
  need_package mate-backgrounds /usr/share/backgrounds/mate/nature
fi
check_requirements
export MULTIRANK_WORKER_TIMEOUT_S=$worker_timeout MULTIRANK_DRIVER_WORKS=0

runs=()
for n in $workers; do
  echo "== multirank-scale, $n worker ranks (mpirun -np $((n + 1)))"
  start=$(date +%s.%N)
  launch/mpirun.sh -n $((n + 1)) build/bin/multirank-scale --json "$out/scale_$n.json" \
    --task-us "$task_us" --tasks "$tasks" --work-seconds "$work_seconds" --object-ops "$object_ops" 2>&1 | tee "$out/scale_$n.txt"
  echo "(whole job $(echo "$(date +%s.%N) - $start" | bc) s)"
  runs+=("$out/scale_$n.json")
done

ships=()
if [[ -n $ship_workers ]]; then
  images=$out/ship_images
  rm -rf "$images"
  apps/bench/photo_set.sh "$images" "$ship_copies" >/dev/null
  input_bytes=$(du -sb "$images" | cut -f1)
  preload=$PWD/build/lib/libmultirank_mpi_counts.so
  for n in $ship_workers; do
    echo "== grayscale --io ship, $n worker ranks, $(ls "$images" | wc -l) photographs ($input_bytes bytes)"
    rm -rf "$out/ship_gray"
    start=$(date +%s.%N)
    MULTIRANK_MPI_COUNTS_FILE=$out/ship_$n.counts.json launch/mpirun.sh -n $((n + 1)) \
      env LD_PRELOAD="$preload" build/bin/grayscale "$images" "$out/ship_gray" --io ship >"$out/ship_$n.txt" 2>&1
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    python3 - "$out/ship_$n.counts.json" "$n" "$wall" "$input_bytes" "$out/ship_$n.txt" >"$out/ship_$n.json" <<'EOF'
import json, re, sys
counts = json.load(open(sys.argv[1]))
# grayscale's summary line gives the conversion's own time, without mpirun's start and stop.
summary = re.search(r"written; ([0-9.]+) s,", open(sys.argv[5]).read())
if not summary:
    sys.exit(f"scale_sweep.sh: no summary line in {sys.argv[5]}")
wall = float(summary.group(1))
sent, received = sum(counts["sent_bytes"]), sum(counts["received_bytes"])
print(json.dumps({"workers": int(sys.argv[2]), "wall_s": wall, "job_wall_s": float(sys.argv[3]),
                  "input_bytes": int(sys.argv[4]),
                  "rank0_sent_bytes": sent, "rank0_received_bytes": received,
                  "rank0_sent_messages": sum(counts["sent"]),
                  "rank0_received_messages": sum(counts["received"]),
                  "rank0_bytes_per_s": (sent + received) / wall}))
EOF
    cat "$out/ship_$n.json"
    ships+=("$out/ship_$n.json")
  done
  rm -rf "$images" "$out/ship_gray"
fi

python3 - "$out/sweep.json" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "${#runs[@]}" "${runs[@]}" "${ships[@]}" <<'EOF'
import datetime, json, os, platform, sys
path, commit, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = [json.load(open(p)) for p in sys.argv[4:4 + count]]
ships = [json.load(open(p)) for p in sys.argv[4 + count:]]
sweep = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
         "machine": f"{platform.node()}, {os.cpu_count()} cores, {platform.machine()}",
         "commit": commit, "runs": runs, "ship": ships}
with open(path, "w") as out:
    json.dump(sweep, out, indent=1)
print(f"scale_sweep.sh: {len(runs)} runs and {len(ships)} ship runs in {path}")
EOF
