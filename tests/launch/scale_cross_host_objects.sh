#!/usr/bin/env bash
# Queue, Pipe and Lock traffic between processes on different namespace hosts: 16 hosts of 2, 3 and
# 4 slots in turn (47 ranks), one process per worker rank (tests/launch/cross_host_objects.cpp).
# The count summed under a Lock is exact, every item goes through the Queue exactly once, every
# Pipe pair spans two hosts and its round trips come back right, and the processes cover every host.
# Usage: scale_cross_host_objects.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program cross_host_objects
start_hosts 16 2,3,4
mpirun_limit_s=240
export MULTIRANK_SPIN_YIELD=1
output=$(mpirun_on_hosts "$BIN/cross_host_objects" 16 2>&1) || { echo "$output"; fail "cross_host_objects failed"; }
echo "$output"
grep -q "^lock: counter 230 of 230 from 46 processes on 16 hosts$" <<<"$output" ||
  fail "the count under the Lock is not exact, or the processes missed a host"
grep -Eq "^queue: 460 of 460 items through exactly once, 460 received, from [0-9]+ hosts to [0-9]+ hosts$" <<<"$output" ||
  fail "not every Queue item came through exactly once"
grep -q "^pipe: 23 pairs, 23 across hosts, 460 round trips exact$" <<<"$output" ||
  fail "a Pipe pair was on one host, or a round trip came back wrong"
pass "Lock, Queue and Pipe between processes on 16 hosts (46 processes): all exact"
