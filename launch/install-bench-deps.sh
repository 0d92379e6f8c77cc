#!/usr/bin/env bash
# Install what the benchmarks in apps/bench need beyond launch/install-deps.sh, which it runs first
# (that one already has mpirun and /usr/bin/python3 with python3-pil and python3-mpi4py for the
# Python peers in apps/bench/peers/): real photographs (Debian's mate-backgrounds: 12 JPEG photos
# of 1.3 to 4.9 MP in its nature folder), GNU parallel, ImageMagick and vips as peers of
# grayscale_side_by_side.sh, and bc. Kept apart: the build and the tests, the benchmarks' smoke
# test included, need none of it. Idempotent: apt-get runs only when a package is missing.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

launch/install-deps.sh
packages=(
  # the image set (apps/bench/photo_set.sh)
  mate-backgrounds
  # grayscale_side_by_side.sh's peers: parallel runs mogrify (imagemagick) and vips (libvips-tools)
  parallel imagemagick libvips-tools
  # grayscale_side_by_side.sh's and builds_side_by_side.sh's arithmetic on times
  bc
  # many_files.sh's peak memory per rank (GNU time)
  time
)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  echo "install-bench-deps: all present"
  exit 0
fi
echo "install-bench-deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install-bench-deps: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
