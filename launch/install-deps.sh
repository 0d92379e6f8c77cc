#!/usr/bin/env bash
# Install exactly what multirank's build and test suite need on Debian 12 (bookworm).
# Idempotent and quick: apt-get runs only when some package is missing. Works on a
# minbase root with no compiler, no cmake and no apt lists (checked by check-fresh-root.sh).
set -euo pipefail

packages=(
  # toolchain and build system
  g++ make cmake pkg-config
  # the sanitizer presets build with Ninja: CMake's Makefiles build several --target goals one
  # after another (.NOTPARALLEL), which left launch/sanitize.sh's test programs on one core
  ninja-build
  # launch/check-format.sh: every C++ file formatted as .clang-format says
  clang-format
  # MPI: mpirun (openmpi-bin also pulls openssh-client, which mpirun's launcher needs) and headers
  openmpi-bin libopenmpi-dev
  # runtime library dependencies
  libboost-serialization-dev libspdlog-dev libfmt-dev
  # tests, apps and benchmarks
  catch2 nlohmann-json3-dev libcli11-dev
  # documentation: the API reference (Doxygen), grayscale's man page (from its --help) and the
  # architecture diagrams (Graphviz's dot renders docs/diagrams/; the docs tests check them)
  doxygen help2man graphviz
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libpng-dev libjpeg62-turbo-dev
  # Python peers of the benchmarks
  python3 python3-mpi4py python3-pil
  # the profile's report rendered in a browser (a grayscale test; skipped without it)
  chromium
  # launch tests: a single-node Slurm (slurmctld, slurmd, sbatch/srun, munge) and namespace "hosts"
  slurmctld slurmd slurm-client munge iproute2 util-linux
)

# One dpkg-query for all packages (unknown ones are simply not listed).
declare -A installed=()
while read -r pkg want ok state; do
  [[ "$want $ok $state" == "install ok installed" ]] && installed[${pkg%%:*}]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for pkg in "${packages[@]}"; do
  [[ -n ${installed[$pkg]-} ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all dependencies present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install packages" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
