#!/usr/bin/env bash
# The benchmarks' image set: K copies of every photograph in mate-backgrounds' nature/ folder
# (launch/install-bench-deps.sh), real photos of mixed sizes, flat in OUT_DIR (the article's
# program reads only a flat folder of .jpg files).
# Needs launch/install-bench-deps.sh (the photographs). OUT_DIR is relative to the current directory.
set -euo pipefail
usage="usage: apps/bench/photo_set.sh OUT_DIR K
  copies every photograph of /usr/share/backgrounds/mate/nature K times into OUT_DIR"
[[ ${1-} == -h || ${1-} == --help ]] && { echo "$usage"; exit 0; }
(($# == 2)) || { echo "$usage" >&2; exit 2; }
[[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "not a count of 1 or more: '$2'" >&2; echo "$usage" >&2; exit 2; }
photos=/usr/share/backgrounds/mate/nature
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/requirements.bash"
need_package mate-backgrounds "$photos"
check_requirements
mkdir -p "$1"
for ((c = 1; c <= $2; c++)); do
  while IFS= read -r -d '' photo; do
    cp "$photo" "$1/c${c}_$(basename "$photo")"
  done < <(find "$photos" -name '*.jpg' -print0)
done
