#!/usr/bin/env bash
# check_diagrams.sh DOT DIAGRAM_DIR: every Graphviz source DIAGRAM_DIR/NAME.dot has its rendering
# DIAGRAM_DIR/NAME.svg beside it, and that file is what DOT renders from the source now (the
# `diagrams` target renders them all).
set -u
dot=$1 dir=$2
status=0 count=0
for source in "$dir"/*.dot; do
  svg=${source%.dot}.svg
  count=$((count + 1))
  if [[ ! -f $svg ]]; then
    echo "FAIL: ${svg##*/} is missing (cmake --build build --target diagrams)"; status=1; continue
  fi
  if ! diff -q <("$dot" -Tsvg "$source") "$svg" > /dev/null; then
    echo "FAIL: ${svg##*/} is not the rendering of ${source##*/} (cmake --build build --target diagrams)"
    status=1
  fi
done
((count > 0)) || { echo "FAIL: no diagram sources in $dir"; exit 1; }
((status == 0)) && echo "PASS: $count diagrams rendered from their sources"
exit "$status"
