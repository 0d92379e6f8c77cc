#!/usr/bin/env bash
# expect_compile.sh fails|compiles REGEX COMPILER ARGS...: runs the compiler on a file. `fails`
# passes when it fails and its FIRST error matches the extended REGEX: a message that only comes
# after other errors, under template noise, does not count. `compiles` passes when it succeeds
# (give REGEX as ""). For the compile-time checks of the public API: what a user sees first.
set -u
expect=$1 pattern=$2
shift 2
output=$(LC_ALL=C "$@" 2>&1)
status=$?
first_error=$(grep -m1 -E ': (fatal )?error: ' <<<"$output")
if [ "$expect" = compiles ]; then
  if [ "$status" -ne 0 ]; then
    printf '%s\n' "$output" | head -n 60
    echo "FAIL: the file did not compile (exit status $status)"; exit 1
  fi
  echo "PASS: it compiles"; exit 0
fi
if [ "$status" -eq 0 ]; then echo "FAIL: the file compiled"; exit 1; fi
if [ -z "$first_error" ] || ! grep -Eq -- "$pattern" <<<"$first_error"; then
  printf '%s\n' "$output" | head -n 60
  echo "FAIL: the first error is not /$pattern/ but:"
  printf '%s\n' "${first_error:-(no error line)}"; exit 1
fi
printf 'first error: %s\n' "$first_error"
echo "PASS"
