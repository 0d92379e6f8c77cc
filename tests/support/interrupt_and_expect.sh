#!/usr/bin/env bash
# interrupt_and_expect.sh READY_TEXT REGEX COMMAND...: starts COMMAND, waits until its output shows
# READY_TEXT, sends it SIGINT (as Ctrl-C would), and passes when it then ends within 20 s, not
# successfully, with output matching the extended REGEX (`.` matches newlines too).
# Optional environment: INTERRUPT_SIGNAL=TERM sends SIGTERM instead; INTERRUPT_RANKS=1 signals
# COMMAND's child processes (mpirun's ranks, as Slurm's scancel does) instead of COMMAND itself;
# EXPECT_STATUS=N wants exactly that exit status; EXPECT_FILE=PATH wants the run to write that
# file (it is removed first); REFUSE=REGEX fails a run whose output matches it.
set -u
signal=${INTERRUPT_SIGNAL:-INT}
ready=$1 pattern=$2
shift 2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
[ -z "${EXPECT_FILE:-}" ] || rm -f "$EXPECT_FILE"
"$@" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  grep -q -- "$ready" "$log" && break
  sleep 0.1
done
if ! grep -q -- "$ready" "$log"; then
  kill -KILL "$pid" 2>/dev/null; cat "$log"; echo "FAIL: never printed '$ready'"; exit 1
fi
sleep 1  # let the job settle into its blocked calls
if [ "${INTERRUPT_RANKS:-0}" = 1 ]; then
  kill "-$signal" $(pgrep -P "$pid")
else
  kill "-$signal" "$pid"
fi
for _ in $(seq 1 200); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  kill -KILL "$pid"; cat "$log"; echo "FAIL: still running 20 s after SIG$signal"; exit 1
fi
wait "$pid"
status=$?
cat "$log"
echo "--- exit status $status"
if [ "$status" -eq 0 ]; then echo "FAIL: the interrupted job reported success"; exit 1; fi
if [ -n "${EXPECT_STATUS:-}" ] && [ "$status" -ne "$EXPECT_STATUS" ]; then
  echo "FAIL: exit status $status, not $EXPECT_STATUS"; exit 1
fi
if [ -n "${EXPECT_FILE:-}" ] && [ ! -e "$EXPECT_FILE" ]; then echo "FAIL: no $EXPECT_FILE"; exit 1; fi
if ! grep -Ezq -- "$pattern" "$log"; then echo "FAIL: output does not match /$pattern/"; exit 1; fi
if [ -n "${REFUSE:-}" ] && grep -Eq -- "$REFUSE" "$log"; then
  echo "FAIL: output matches /$REFUSE/"; exit 1
fi
echo "PASS"
