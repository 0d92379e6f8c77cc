#!/usr/bin/env bash
# The grayscale job side by side on the same images and the same cores: grayscale
# (mpirun -np W), the single-process C++ loop grayscale-serial (alone, and one copy per worker
# at once on fixed shares of the images: the machine's limit), the article's Python program and
# the same on mpi4py.futures (apps/bench/peers/), GNU parallel with ImageMagick and with vips; all
# at JPEG quality 75. Each tool runs REPEATS times, round-robin (so a noisy spell hits all alike);
# ImageMagick and vips, an order of magnitude slower, run SLOW_REPEATS times (default 1) to keep
# the whole run short. The table shows medians of the whole command's wall time (start-up
# included), images/s, MP/s and ratios, and the CPU seconds (user + system) of the command and
# everything it started: on a machine loaded by others, wall times follow the scheduler's share,
# CPU seconds what each tool costs.
# Two image sets: photographs (the default), or with --small N that many generated thumbnails
# (apps/bench/small_image_set.py, 96x64), where the cost per file rather than per pixel decides;
# --tmpfs keeps images and outputs in memory (/dev/shm) so that the disk does not decide.
# --hosts H adds the tool `hosts`: grayscale with 2 ranks on each of H network-namespace hosts
# (launch/hosts/netns-hosts.sh, root only) in `--io ship` mode, so every image's bytes cross the
# wire to a worker and back; the hosts share this machine's cores, so its limit is the same.
# Needs a build (launch/build.sh) and launch/install-bench-deps.sh (photographs from Debian's
# mate-backgrounds, parallel, imagemagick, libvips-tools, bc); runs from any directory.
set -euo pipefail
usage="usage: apps/bench/grayscale_side_by_side.sh [--repeats N] [--slow-repeats N] [--copies K | --small N]
       [--tmpfs] [--workers W] [--hosts H] [--tools LIST]
  --repeats N       runs of each tool, round-robin (default 5)
  --slow-repeats N  runs of ImageMagick and vips, at most N (default 1)
  --copies K        copies of the 12 photographs in the image set (default 40: 480 images)
  --small N         instead, N generated 96x64 JPEGs (the same ones on every run)
  --tmpfs           images and outputs on /dev/shm, a tmpfs, instead of /tmp
  --workers W       processes (ranks, pool workers, parallel jobs) per tool (default: the cores)
  --hosts H         also run grayscale on H namespace hosts, 2 ranks each, --io ship (tool hosts)
  --tools LIST      comma-separated, from grayscale,serial,split,article,mpi4py,imagemagick,vips,hosts
                    (default: all for photographs; for --small all but ImageMagick and vips, which
                    start a process per file or few)"
repeats=5 slow_repeats=1 copies=40 small=0 tmpfs=0 workers=$(nproc) hosts=0 tool_list=
while (($#)); do
  case $1 in
    --repeats) repeats=${2-}; shift 2 || break ;;
    --slow-repeats) slow_repeats=${2-}; shift 2 || break ;;
    --copies) copies=${2-}; shift 2 || break ;;
    --small) small=${2-}; shift 2 || break ;;
    --tmpfs) tmpfs=1; shift ;;
    --workers) workers=${2-}; shift 2 || break ;;
    --hosts) hosts=${2-}; shift 2 || break ;;
    --tools) tool_list=${2-}; shift 2 || break ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
for count in "$repeats" "$slow_repeats" "$copies" "$workers"; do
  [[ $count =~ ^[1-9][0-9]*$ ]] || { echo "not a count of 1 or more: '$count'" >&2; echo "$usage" >&2; exit 2; }
done
for count in "$small" "$hosts"; do
  [[ $count =~ ^[0-9]+$ ]] || { echo "not a count: '$count'" >&2; echo "$usage" >&2; exit 2; }
done
all_tools=(grayscale serial split article mpi4py imagemagick vips hosts)
if [[ -n $tool_list ]]; then
  IFS=, read -r -a tools <<<"$tool_list"
elif ((small > 0)); then
  tools=(grayscale serial split article mpi4py)
else
  tools=(grayscale serial split article mpi4py imagemagick vips)
fi
((hosts > 0)) && [[ " ${tools[*]} " != *" hosts "* ]] && tools+=(hosts)
[[ " ${tools[*]} " == *" hosts "* ]] && ((hosts == 0)) && { echo "the tool hosts needs --hosts H" >&2; exit 2; }
for tool in "${tools[@]}"; do
  [[ " ${all_tools[*]} " == *" $tool "* ]] || { echo "unknown tool '$tool'" >&2; echo "$usage" >&2; exit 2; }
done
# The summary's ratios are to grayscale and the serial loop.
for tool in grayscale serial; do
  [[ " ${tools[*]} " == *" $tool "* ]] || { echo "--tools must include $tool" >&2; exit 2; }
done
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
repo=$PWD
peers=$repo/apps/bench/peers
# The nature folder holds the package's photographs (the other folders: artwork and logos).
photos=/usr/share/backgrounds/mate/nature

source apps/bench/requirements.bash
need_built build/bin/grayscale build/bin/grayscale-serial
need_package openmpi-bin mpirun
need_python_modules python3-pil PIL
need_python_modules python3-mpi4py mpi4py.futures
((small > 0)) || need_package mate-backgrounds "$photos"
need_package parallel parallel
[[ " ${tools[*]} " == *" imagemagick "* ]] && need_package imagemagick /usr/bin/mogrify-im6.q16
[[ " ${tools[*]} " == *" vips "* ]] && need_package libvips-tools /usr/bin/vips
need_package bc bc
check_requirements
if ((EUID == 0)); then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

scratch=/tmp
if ((tmpfs)); then
  scratch=/dev/shm
  [[ $(stat -f -c %T "$scratch") == tmpfs ]] || { echo "$scratch is not a tmpfs here" >&2; exit 2; }
fi
work=$(mktemp -d "$scratch/grayscale-bench.XXXXXX")
cleanup() {
  ((hosts > 0)) && "$repo/launch/hosts/netns-hosts.sh" down "$work/hosts" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
if ((hosts > 0)); then
  hosts_output=$("$repo/launch/hosts/netns-hosts.sh" up "$work/hosts" "$hosts" 2 2>&1) ||
    { echo "the namespace hosts did not start: $hosts_output" >&2; exit 1; }
  eval "$(grep '^export NETNS_HOSTS_DIR=' <<<"$hosts_output")"
fi
if ((small > 0)); then
  /usr/bin/python3 apps/bench/small_image_set.py "$work/images" "$small"
  set_text="generated 96x64 JPEGs (apps/bench/small_image_set.py)"
else
  apps/bench/photo_set.sh "$work/images" "$copies"
  set_text="JPEG photographs ($copies copies of the 12 in Debian's mate-backgrounds nature/)"
fi
read -r count megapixels megabytes < <(/usr/bin/python3 - "$work/images" <<'EOF'
import os, sys
from PIL import Image
d = sys.argv[1]
px = size = 0
for name in os.listdir(d):
    with Image.open(os.path.join(d, name)) as im:
        px += im.width * im.height
    size += os.path.getsize(os.path.join(d, name))
print(len(os.listdir(d)), px / 1e6, size / 1e6)
EOF
)
echo "image set: $count $set_text, $megapixels MP, $megabytes MB, on $(stat -f -c %T "$work") ($scratch); $workers workers on $(nproc) cores; tools ${tools[*]}; $repeats repeats ($slow_repeats for ImageMagick and vips)"

# One rank per core, one thread per process, for every tool.
export VIPS_CONCURRENCY=1 MAGICK_THREAD_LIMIT=1 OMP_NUM_THREADS=1
mpirun=(mpirun --oversubscribe --bind-to none)
# The machine's own limit for W workers: W grayscale-serial processes at once, each on a fixed
# share of the images (largest first, dealt round-robin: hard links in part-K), no MPI, no
# scheduling. What W cores give two independent copies of the per-core loop, side by side.
ls -S "$work/images" | awk -v w="$workers" -v lists="$work" '{ print > (lists "/split-" (NR - 1) % w) }'
for ((part = 0; part < workers; part++)); do
  mkdir -p "$work/split/part-$part"
  (cd "$work/images" && xargs -a "$work/split-$part" -d '\n' ln -t "$work/split/part-$part")
done
run_tool() {  # $1 tool, $2 output dir (empty, exists)
  local in=$work/images out=$2
  case $1 in
    grayscale) "${mpirun[@]}" -np "$workers" "$repo/build/bin/grayscale" "$in" "$out" --quality 75 --quiet ;;
    serial) "$repo/build/bin/grayscale-serial" "$in" "$out" --quality 75 ;;
    # Started from node1, as a user on a cluster's login node would; the images and outputs are
    # on rank 0's host only as far as grayscale knows (--io ship). Every namespace host counts only
    # its own ranks against the machine's cores, which they all share: spinning threads must yield
    # (docs/environment.md, MULTIRANK_SPIN_YIELD).
    hosts) MULTIRANK_SPIN_YIELD=${MULTIRANK_SPIN_YIELD:-1} "$repo/launch/hosts/netns-hosts.sh" exec "$work/hosts" node1 "$repo/launch/mpirun.sh" \
             --hostfile "$work/hosts/hostfile" --net "$NETNS_HOSTS_SUBNET" \
             --mca plm_rsh_agent "$repo/launch/hosts/rsh-agent.sh" -- \
             "$repo/build/bin/grayscale" "$in" "$out" --io ship --quality 75 --quiet ;;
    split) for part in "$work"/split/part-*; do
             "$repo/build/bin/grayscale-serial" "$part" "$out/${part##*/}" --quality 75 &
           done
           wait ;;
    # The article's program writes into the current directory.
    article) (cd "$out" && /usr/bin/python3 "$peers/article_grayscale.py" "$in" "$workers") ;;
    mpi4py) (cd "$out" && "${mpirun[@]}" -np $((workers + 1)) /usr/bin/python3 -m mpi4py.futures \
               "$peers/mpi4py_grayscale.py" "$in") ;;
    # mogrify converts many files per process (-X fills each command line): faster than one
    # convert per file.
    imagemagick) find "$in" -name '*.jpg' | parallel -j"$workers" -X \
                   /usr/bin/mogrify-im6.q16 -path "$out" -grayscale Rec601Luma -quality 75 ;;
    vips) find "$in" -name '*.jpg' | parallel -j"$workers" /usr/bin/vips colourspace {} "'$out/{/}[Q=75]'" b-w ;;
  esac
}

# User + system seconds of every finished child of this shell, from bash's `times` (second line),
# which must run in this shell, not in a pipe's subshell: sets $children_cpu.
children_cpu() {
  times >"$work/times.out"
  children_cpu=$(sed -n 2p "$work/times.out" |
    awk '{ for (i = 1; i <= 2; ++i) { split($i, t, /[ms]/); sum += t[1] * 60 + t[2] } } END { printf "%.3f", sum }')
}

results=$work/times.txt
: >"$results"
for ((r = 1; r <= repeats; r++)); do
  for tool in "${tools[@]}"; do
    [[ ($tool == imagemagick || $tool == vips) ]] && ((r > slow_repeats)) && continue
    out=$work/out-$tool
    rm -rf "$out" && mkdir -p "$out"
    children_cpu && cpu_start=$children_cpu
    start=$(date +%s.%N)
    run_tool "$tool" "$out" >"$work/$tool.log" 2>&1 || { echo "$tool failed:" >&2; tail "$work/$tool.log" >&2; exit 1; }
    end=$(date +%s.%N)
    children_cpu && cpu_end=$children_cpu
    made=$(find "$out" -name '*.jpg' | wc -l)
    ((made == count)) || { echo "$tool wrote $made of $count outputs" >&2; exit 1; }
    echo "$tool $(echo "$end - $start" | bc) $(echo "$cpu_end - $cpu_start" | bc)" >>"$results"
  done
  echo "repeat $r/$repeats done" >&2
done

# The table, then fidelity: grayscale's output against PIL's convert('L') saved at the same
# quality (the article's), where the article's program ran.
/usr/bin/python3 - "$work" "$count" "$megapixels" "$results" "$workers" "$hosts" <<'EOF'
import os, statistics, sys
from PIL import Image, ImageChops, ImageStat
work, count, mp, results, workers = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
hosts = int(sys.argv[6])
labels = {
    "grayscale": f"grayscale, mpirun -np {workers}", "serial": "grayscale-serial (1 process)",
    "split": f"{workers} x grayscale-serial at once, 1/{workers} of the images each",
    "article": f"article's Python, {workers} processes", "mpi4py": f"mpi4py.futures, mpirun -np {workers + 1}",
    "hosts": f"grayscale, {hosts} namespace hosts x 2 ranks, --io ship",
    "imagemagick": f"parallel -j{workers} -X ImageMagick mogrify", "vips": f"parallel -j{workers} vips"}
times, cpu = {}, {}
for line in open(results):
    tool, seconds, cpu_seconds = line.split()
    times.setdefault(tool, []).append(float(seconds))
    cpu.setdefault(tool, []).append(float(cpu_seconds))
ran = [tool for tool in labels if tool in times]
median = {tool: statistics.median(t) for tool, t in times.items()}
median_cpu = {tool: statistics.median(t) for tool, t in cpu.items()}
print("wall times, s: " + "; ".join(f"{tool} " + " ".join(f"{t:.2f}" for t in times[tool]) for tool in ran))
# Without the article's program, speeds are compared with the serial loop instead.
base = "article" if "article" in times else "serial"
base_header = "article's Python" if base == "article" else "grayscale-serial"
print(f"| tool | median s (min-max) | images/s | MP/s | vs {base_header} | grayscale's advantage | CPU s |")
print("|---|---|---|---|---|---|---|")
for tool in ran:
    m = median[tool]
    print(f"| {labels[tool]} | {m:.2f} ({min(times[tool]):.2f}-{max(times[tool]):.2f}) | {count / m:.1f} | "
          f"{mp / m:.1f} | {median[base] / m:.2f}x | {m / median['grayscale']:.2f}x | {median_cpu[tool]:.2f} |")
g, s = median["grayscale"], median["serial"]
print(f"grayscale np {workers} vs {workers} x grayscale-serial: {s / g / workers:.2f} "
      f"(speed-up {s / g:.2f} on {workers} workers)")
# Per repeat, the two ran back to back: their ratio is less exposed to the load changing between
# repeats than the ratio of medians.
pairs = sorted(s_ / g_ / workers for g_, s_ in zip(times["grayscale"], times["serial"]))
print(f"same, per repeat: {' '.join(f'{p:.2f}' for p in pairs)} (median {statistics.median(pairs):.2f}); "
      f"CPU seconds grayscale / grayscale-serial: {median_cpu['grayscale'] / median_cpu['serial']:.2f}")
if "split" in times:
    split_pairs = sorted(p_ / g_ for g_, p_ in zip(times["grayscale"], times["split"]))
    print(f"grayscale np {workers} vs {workers} grayscale-serial processes at once on fixed shares (no MPI): "
          f"{median['split'] / g:.2f} (per repeat {' '.join(f'{p:.2f}' for p in split_pairs)}); "
          f"that split vs {workers} x grayscale-serial: {s / median['split'] / workers:.2f}")
if "hosts" in times and "split" in times:
    host_pairs = sorted(p_ / h_ for h_, p_ in zip(times["hosts"], times["split"]))
    print(f"grayscale on {hosts} hosts x 2 ranks (--io ship) vs {workers} grayscale-serial processes at once: "
          f"{median['split'] / median['hosts']:.2f} (per repeat {' '.join(f'{p:.2f}' for p in host_pairs)})")
if "article" in times:
    worst = 0.0
    for name in os.listdir(os.path.join(work, "out-grayscale")):
        ours = Image.open(os.path.join(work, "out-grayscale", name))
        pil = Image.open(os.path.join(work, "out-article", "grayscale_" + name))
        worst = max(worst, ImageStat.Stat(ImageChops.difference(ours, pil)).mean[0])
    print(f"fidelity: largest mean |grayscale - PIL convert('L')| over the images, both at quality 75: {worst:.3f} gray levels")
EOF
