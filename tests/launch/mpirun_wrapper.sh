#!/usr/bin/env bash
# launch/mpirun.sh on this machine: one rank per core by default, --oversubscribe only beyond the
# cores, MULTIRANK_* variables forwarded, mpirun options before -- passed through, bad options
# refused with the usage. Usage: mpirun_wrapper.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
wrapper=$REPO/launch/mpirun.sh
fail() { echo "FAIL: $*"; exit 1; }
[[ -x $BIN/rank_hosts ]] || { echo "SKIPPED: $BIN/rank_hosts is not built"; exit 77; }
cores=$(nproc)
host=$(hostname)

# Bare program names are found in build/bin; the command line it runs comes first, on stderr.
output=$(cd "$BIN/.." && "$wrapper" rank_hosts 2>&1) || fail "default run failed: $output"
echo "$output"
grep -q "^+ mpirun --bind-to none -n $cores -x MULTIRANK_EXIT_STATUS_FILE $BIN/rank_hosts\$" <<<"$output" ||
  fail "not one rank per core ($cores), or the driver's exit status file not forwarded"
grep -q "rank $((cores - 1)) of $cores on $host" <<<"$output" || fail "$cores ranks did not run"

output=$("$wrapper" -n $((cores + 1)) "$BIN/rank_hosts" 2>&1) || fail "-n $((cores + 1)) failed: $output"
echo "$output"
grep -q -- "-n $((cores + 1)) --oversubscribe" <<<"$output" || fail "no --oversubscribe beyond the cores"
grep -q "rank $cores of $((cores + 1))" <<<"$output" || fail "$((cores + 1)) ranks did not run"

output=$(MULTIRANK_LOG_LEVEL=warn "$wrapper" -n 1 --tag-output -- "$BIN/rank_hosts" 2>&1) || fail "with mpirun options: $output"
echo "$output"
grep -q -- "-x MULTIRANK_LOG_LEVEL --tag-output" <<<"$output" || fail "MULTIRANK_* not forwarded or options not passed"
grep -q "^\[1,0\]<stdout>:rank 0 of 1" <<<"$output" || fail "mpirun's --tag-output did not reach mpirun"

for bad in "--tag-output $BIN/rank_hosts" "-n x $BIN/rank_hosts" "--net nonsense -- $BIN/rank_hosts"; do
  status=0
  # shellcheck disable=SC2086 # each case is several words on purpose
  output=$("$wrapper" $bad 2>&1) || status=$?
  ((status == 2)) || fail "'$bad' gave exit status $status, not 2: $output"
  echo "refused: $bad: $(head -n1 <<<"$output")"
done
echo "PASS: launch/mpirun.sh picks ranks, oversubscribes only beyond the cores, forwards MULTIRANK_*, passes options"
