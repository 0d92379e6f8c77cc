#!/usr/bin/env bash
# expect_output.sh EXPECTED_FILE COMMAND...: passes when COMMAND exits 0 and its standard output
# is exactly the lines of EXPECTED_FILE (stderr is shown but not compared).
set -u
expected=$1
shift
actual=$("$@")
status=$?
if [ "$status" -ne 0 ]; then echo "FAIL: exit status $status"; printf '%s\n' "$actual"; exit 1; fi
if ! diff -u "$expected" <(printf '%s\n' "$actual"); then echo "FAIL: output differs"; exit 1; fi
echo "PASS: output matches $(basename "$expected")"
