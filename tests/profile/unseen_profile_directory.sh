#!/usr/bin/env bash
# unseen_profile_directory.sh MPIEXEC NP TEST_PROFILE ARGS...: the profile of a job whose worker
# ranks write their own logs into the profile directory (they see it: one machine), then of the
# same job with ranks 1.. in a private mount namespace where an empty file system hides the
# directory, as on nodes without the shared file system: their logs must reach rank 0 whole.
# TEST_PROFILE checks the profile both times (each rank-<r>.binlog has every task the rank ran);
# this script checks which way each rank took, from the library's debug log.
set -u
mpiexec=$1 np=$2 binary=$3
shift 3
if ! unshare -m true 2> /dev/null; then
  echo "needs unshare -m (root): skipped"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# test_profile puts its profile directory under TMPDIR: hiding TMPDIR hides it. Open MPI's own
# session files stay where they were, seen by every rank.
session_dir=${TMPDIR:-/tmp}
export TMPDIR=$work/tmp MULTIRANK_LOG_LEVEL=debug
mkdir -p "$TMPDIR"
mpirun=("$mpiexec" --oversubscribe --bind-to none --mca orte_tmpdir_base "$session_dir")
fail() { echo "FAIL: $*"; exit 1; }
expect_each_worker() {
  local what=$1 log=$2
  for ((rank = 1; rank < np; rank++)); do
    grep -Eq "rank $rank: $what" "$log" || { cat "$log"; fail "rank $rank did not log '$what'"; }
  done
}

"${mpirun[@]}" -np "$np" "$binary" "$@" > "$work/shared.out" 2>&1 ||
  { cat "$work/shared.out"; fail "the job on the shared directory failed"; }
expect_each_worker "sees the profile directory .*: writes its own log there" "$work/shared.out"

hide='mount -t tmpfs none "$TMPDIR" && exec "$0" "$@"'
"${mpirun[@]}" -np 1 "$binary" "$@" \
  : -np $((np - 1)) unshare -m sh -c "$hide" "$binary" "$@" > "$work/hidden.out" 2>&1 ||
  { cat "$work/hidden.out"; fail "the job with the directory hidden from ranks 1.. failed"; }
expect_each_worker "does not see the profile directory .*: sends rank 0 its whole log" \
  "$work/hidden.out"
echo "ok: ranks that see the directory write their own logs, the others send them whole"
