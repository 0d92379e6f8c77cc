#!/usr/bin/env bash
# expect_failure.sh SECONDS REGEX COMMAND...: passes when COMMAND fails (non-zero exit) within
# SECONDS and its whole output matches the extended REGEX (`.` matches newlines too). For
# behaviours whose success is a clean, prompt failure.
set -u
limit=$1 pattern=$2
shift 2
start=$(date +%s%N)
output=$(timeout --kill-after=5 "$limit" "$@" 2>&1)
status=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
printf '%s\n' "$output"
echo "--- exit status $status after ${elapsed_ms} ms"
if [ "$status" -eq 0 ]; then echo "FAIL: the command succeeded"; exit 1; fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then echo "FAIL: the command hung past ${limit}s"; exit 1; fi
if ! grep -Ezq -- "$pattern" <<<"$output"; then echo "FAIL: output does not match /$pattern/"; exit 1; fi
echo "PASS"
