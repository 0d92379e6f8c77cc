#!/usr/bin/env bash
# The Executor and Pool suites (every Catch2 case but the [scale] ones, as test_executor.scale and
# test_pool.scale run them on 64 ranks of one machine) on 16 namespace hosts of 2 ranks each: the
# same promises hold when every worker rank is behind TCP on a host of its own, with the dispatch
# tree off and on.
# Usage: scale_suites_on_hosts.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program test_executor "the Executor suite, tests/runtime/engine"
require_program test_pool "the Pool suite, tests/runtime/engine"
start_hosts 16 2
mpirun_limit_s=280
# The hosts share this machine's cores, which each of them counts as its own.
export MULTIRANK_SPIN_YIELD=1
for tree in off on; do
  for suite in test_executor test_pool; do
    output=$(MULTIRANK_DISPATCH_TREE=$tree mpirun_on_hosts "$BIN/$suite" "~[scale]" --use-colour no 2>&1) ||
      { echo "$output" | tail -n 60; fail "$suite on 16 hosts (dispatch tree $tree) failed"; }
    grep -Eq "^All tests passed \([0-9]+ assertions in [0-9]+ test cases\)" <<<"$output" ||
      { echo "$output" | tail -n 30; fail "$suite on 16 hosts (dispatch tree $tree): no Catch2 pass line"; }
    echo "$suite, dispatch tree $tree: $(grep -E '^All tests passed' <<<"$output" | head -n 1)"
  done
done
pass "the Executor and Pool suites on 16 hosts x 2 ranks, with the dispatch tree off and on"
