#!/usr/bin/env bash
# installed_grayscale.sh BUILD_DIR: installs the project from BUILD_DIR into a scratch prefix and
# checks that grayscale comes with it: the executable, its man page, and the OpenCV codec plugin
# where the installed executable finds it (a PNG is converted by the installed copy alone, which
# has no build-tree path to fall back on).
set -euo pipefail
build=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/prefix" > /dev/null
status=0
for file in bin/grayscale share/man/man1/grayscale.1; do
  [[ -f $scratch/prefix/$file ]] || { echo "FAIL: $file is not installed"; status=1; }
done
if [[ -f $scratch/prefix/share/man/man1/grayscale.1 ]] &&
   ! grep -q -- 'quality' "$scratch/prefix/share/man/man1/grayscale.1"; then
  echo "FAIL: the installed man page does not describe --quality"; status=1
fi
mkdir "$scratch/in"
/usr/bin/python3 -c 'import sys; from PIL import Image; Image.new("RGB", (8, 6), (200, 30, 90)).save(sys.argv[1])' \
  "$scratch/in/pink.png"
if ! "$scratch/prefix/bin/grayscale" "$scratch/in" "$scratch/out" --quiet > "$scratch/log" 2>&1 ||
   [[ ! -f $scratch/out/pink.png ]]; then
  cat "$scratch/log"
  echo "FAIL: the installed grayscale did not convert a PNG (its codec plugin)"; status=1
fi
((status == 0)) && echo "PASS: grayscale, its man page and its codec plugin are installed and work"
exit "$status"
