#!/usr/bin/env bash
# The dispatch tree on 16 namespace hosts (4 ranks each, 64 in all): multirank-scale's maps with
# the tree off and then on must both return every result right (the benchmark checks each map's
# sum), and the tree must carry the tasks: with it, the driver sends task envelopes, one per node
# per dispatch round. Prints the driver's CPU per task and messages per task of both runs side by
# side (figures, not checked: the hosts share this machine's cores). With TREE_RESULTS_DIR set,
# the two runs' JSON is copied there.
# Usage: scale_tree_on_hosts.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program multirank-scale
start_hosts 16 4
mpirun_limit_s=240
# A timeout of 1 s (the most heartbeats) takes ranks starved on this crowded machine for lost.
export MULTIRANK_SPIN_YIELD=1 MULTIRANK_WORKER_TIMEOUT_S=3 MULTIRANK_DRIVER_WORKS=0

for tree in off on; do
  log=$work/scale_$tree.log
  MULTIRANK_DISPATCH_TREE=$tree mpirun_on_hosts -- "$BIN/multirank-scale" --task-us 0,100,1000 \
    --tasks 20000 --work-seconds 1 --idle-seconds 2 --object-ops 0 --json "$work/scale_$tree.json" \
    >"$log" 2>&1 || { cat "$log"; fail "multirank-scale with the dispatch tree $tree failed"; }
  [[ -s $work/scale_$tree.json ]] || { cat "$log"; fail "no JSON from the run with the tree $tree"; }
  echo "--- dispatch tree $tree"
  grep -v "PMIX ERROR" "$log"
done
envelopes=$(/usr/bin/python3 -c 'import json, sys
print(sum(row["envelopes_sent"] for row in json.load(open(sys.argv[1]))["maps"]))' "$work/scale_on.json")
((envelopes > 0)) || fail "with the tree on, the driver sent no task envelope"
off_envelopes=$(/usr/bin/python3 -c 'import json, sys
print(sum(row["envelopes_sent"] for row in json.load(open(sys.argv[1]))["maps"]))' "$work/scale_off.json")
((off_envelopes == 0)) || fail "with the tree off, the driver sent $off_envelopes envelopes"
if [[ -n ${TREE_RESULTS_DIR-} ]]; then
  cp "$work/scale_off.json" "$work/scale_on.json" "$TREE_RESULTS_DIR/"
fi
pass "multirank-scale on 16 hosts with the dispatch tree off and on: every map exact, $envelopes envelopes sent with it"
