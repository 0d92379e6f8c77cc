#!/usr/bin/env bash
# expect_exit.sh fails|succeeds SECONDS REGEX COMMAND...: passes when COMMAND ends within SECONDS,
# with a non-zero exit status (fails) or zero (succeeds), and its whole output (stdout and stderr)
# matches the extended REGEX (`.` matches newlines too). For behaviours seen from outside a job:
# prompt, clear failures; clean endings. Optional environment: REFUSE=REGEX fails a run whose
# output matches it.
set -u
expect=$1 limit=$2 pattern=$3
shift 3
start=$(date +%s%N)
output=$(timeout --kill-after=5 "$limit" "$@" 2>&1)
status=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
printf '%s\n' "$output"
echo "--- exit status $status after ${elapsed_ms} ms"
# timeout says 124 (or 137 once it had to SIGKILL); a job whose rank was SIGKILLed may say 137 too.
if [ "$status" -eq 124 ] || { [ "$status" -eq 137 ] && [ "$elapsed_ms" -ge $((limit * 1000)) ]; }; then
  echo "FAIL: the command hung past ${limit}s"; exit 1
fi
if [ "$expect" = fails ] && [ "$status" -eq 0 ]; then echo "FAIL: the command succeeded"; exit 1; fi
if [ "$expect" = succeeds ] && [ "$status" -ne 0 ]; then echo "FAIL: the command failed"; exit 1; fi
if ! grep -Ezq -- "$pattern" <<<"$output"; then echo "FAIL: output does not match /$pattern/"; exit 1; fi
if [ -n "${REFUSE:-}" ] && grep -Eq -- "$REFUSE" <<<"$output"; then
  echo "FAIL: output matches /$REFUSE/"; exit 1
fi
echo "PASS"
