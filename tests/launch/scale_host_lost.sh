#!/usr/bin/env bash
# A worker host taken away in the middle of an Executor map on 16 namespace hosts (4 ranks each, 64
# in all): once an eighth of the results are in, node9's link goes down (its ranks and Open MPI's
# daemon live on, cut off, as behind a pulled cable). The driver must take node9's ranks for lost
# after MULTIRANK_WORKER_TIMEOUT_S (3 s) of silence, name each of them on stderr, run their tasks
# again elsewhere and print every result, exact. mpirun itself waits for node9's daemon until it
# hears from it or loses it: once the driver is done the test powers node9 off (every process on it
# killed), and the job's status must be the driver's 0. (Killing node9 while the work is still
# running ends the whole job instead: Open MPI 4.1's mpirun does not go on without one of its
# daemons, even under --enable-recovery.)
# Usage: scale_host_lost.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program host_lost_map
start_hosts 16 4
hosts=$REPO/launch/hosts/netns-hosts.sh
victim=node9
tasks=640                                # 10 rounds of 200 ms tasks on 64 ranks
marker=$hosts_dir/scratch/taken          # node1's scratch: the driver writes it there
on_node1=$hosts_dir/hosts/node1/scratch
mpirun_limit_s=240
export MULTIRANK_SPIN_YIELD=1 MULTIRANK_WORKER_TIMEOUT_S=3

log=$work/job.log
mpirun_on_hosts --enable-recovery -- "$BIN/host_lost_map" "$tasks" "$marker" >"$log" 2>&1 &
job=$!
# wait_until SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s; fails naming WHAT after SECONDS.
wait_until() {
  local limit=$1 what=$2
  shift 2
  for ((i = 0; i < limit * 5; i++)); do
    "$@" && return 0
    kill -0 "$job" 2>/dev/null || { cat "$log"; fail "the job ended before $what"; }
    sleep 0.2
  done
  cat "$log"
  fail "no $what within $limit s"
}
wait_until 180 "marker from the driver (an eighth of the results)" test -e "$on_node1/taken"
"$hosts" take "$hosts_dir" "$victim" unplug
taken=$SECONDS
wait_until 120 "summary line from the driver after $victim was taken away" \
  grep -q "^map: [0-9]* results of $tasks" "$log"
echo "the driver's summary came $((SECONDS - taken)) s after $victim was taken away"
"$hosts" take "$hosts_dir" "$victim" kill
status=0
wait "$job" || status=$?
cat "$log"
((status == 0)) || fail "the job ended with status $status, not the driver's 0"
grep -q "^map: $tasks results of $tasks, 0 wrong$" "$log" || fail "not every result came back exact"
# Every rank of node9 (4 slots: ranks 32-35) named as lost, with its host.
for rank in 32 33 34 35; do
  grep -Eq "worker rank $rank \\($victim\\) is lost" "$log" ||
    fail "the driver did not name rank $rank ($victim) as lost"
done
if [[ ${MULTIRANK_DISPATCH_TREE-off} == on ]]; then
  # With the tree the driver watches node9's relay only: the others are lost with it.
  for rank in 33 34 35; do
    grep -Eq "worker rank $rank \\($victim\\) is lost: lost with its node's relay, rank 32" "$log" ||
      fail "the driver did not name rank $rank ($victim) as lost with its relay, rank 32"
  done
fi
lost=$(grep -Eo "worker rank [0-9]+ \\([a-z0-9]+\\) is lost" "$log" | grep -v "($victim)" || true)
[[ -z $lost ]] || fail "ranks on hosts still up were taken for lost: $lost"
pass "$victim taken away mid-map on 16 hosts (dispatch tree ${MULTIRANK_DISPATCH_TREE-off}): its 4 ranks named lost, all $tasks results exact"
