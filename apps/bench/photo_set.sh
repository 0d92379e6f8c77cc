#!/usr/bin/env bash
# The benchmarks' image set: K copies of every photograph in mate-backgrounds' nature/ folder
# (launch/install-bench-deps.sh), real photos of mixed sizes, flat in OUT_DIR (the article's
# program reads only a flat folder of .jpg files).
# Usage: apps/bench/photo_set.sh OUT_DIR K
set -euo pipefail
photos=/usr/share/backgrounds/mate/nature
(($# == 2)) || { echo "usage: $0 OUT_DIR COPIES" >&2; exit 2; }
[[ -d $photos ]] || { echo "missing $photos: run launch/install-bench-deps.sh" >&2; exit 2; }
mkdir -p "$1"
for ((c = 1; c <= $2; c++)); do
  while IFS= read -r -d '' photo; do
    cp "$photo" "$1/c${c}_$(basename "$photo")"
  done < <(find "$photos" -name '*.jpg' -print0)
done
