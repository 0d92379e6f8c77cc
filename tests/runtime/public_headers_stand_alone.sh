#!/usr/bin/env bash
# Every public header compiles on its own, with the C++ standard library and Boost.Serialization
# alone on the include path: no MPI, spdlog or header of the library's sources leaks into a
# program that includes it, and a change to the engine's insides recompiles the library only.
# Usage: public_headers_stand_alone.sh CXX INCLUDE_DIR
set -euo pipefail
(($# == 2)) || { echo "usage: $0 CXX INCLUDE_DIR" >&2; exit 2; }
cxx=$1 include=$2
failed=0 count=0
while IFS= read -r -d '' header; do
  count=$((count + 1))
  relative=${header#"$include"/}
  # -H lists every file the header brings in, found on whatever path.
  if ! output=$(echo "#include \"$relative\"" |
    "$cxx" -std=c++20 -fsyntax-only -H -x c++ -I "$include" - 2>&1); then
    echo "$relative does not compile on its own:" >&2
    grep -v '^\.' <<<"$output" | head -5 >&2
    failed=$((failed + 1))
  elif leaked=$(grep -E '^\.+ .*(/mpi\.h|/spdlog/|/runtime/src/)' <<<"$output"); then
    echo "$relative brings in what a program should not see:" >&2
    echo "$leaked" | head -5 >&2
    failed=$((failed + 1))
  fi
done < <(find "$include" -name '*.hpp' -print0 | sort -z)
((count > 0)) || { echo "no headers under $include" >&2; exit 1; }
echo "$((count - failed)) of $count public headers compile on their own"
((failed == 0))
