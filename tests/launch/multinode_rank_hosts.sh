#!/usr/bin/env bash
# launch/mpirun.sh with a hostfile starts one rank on each of 3 namespace hosts (own hostname,
# address and network; TCP only), and the multirank runtime works across them (the Pool example).
# Usage: multinode_rank_hosts.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program rank_hosts
require_program example_pool
start_hosts 3
output=$(mpirun_on_hosts "$BIN/rank_hosts") || fail "rank_hosts across the hosts failed: $output"
echo "$output"
expected=$'rank 0 of 3 on node1\nrank 1 of 3 on node2\nrank 2 of 3 on node3'
[[ $output == "$expected" ]] || fail "expected one rank on each host, in hostfile order"

output=$(mpirun_on_hosts "$BIN/example_pool") || fail "example_pool across the hosts failed: $output"
echo "$output"
[[ $output == "[1, 4, 9, 16, 25]" ]] || fail "example_pool printed the wrong result across hosts"
pass "one rank per namespace host; the Pool example's result across 3 hosts"
