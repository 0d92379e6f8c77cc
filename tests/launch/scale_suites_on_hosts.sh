#!/usr/bin/env bash
# The article's examples (their output exactly as tests/examples/*.expected says) and the Executor
# and Pool suites (every Catch2 case but the [scale] ones, as on 64 and 128 ranks of one machine)
# on 16 namespace hosts of 2 ranks each: the same promises hold when the worker ranks are behind
# TCP on hosts of their own, the suites with the dispatch tree off and on.
# Usage: scale_suites_on_hosts.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program test_executor "the Executor suite, tests/runtime/engine"
require_program test_pool "the Pool suite, tests/runtime/engine"
for example in "$REPO"/tests/examples/example_*.expected; do
  require_program "$(basename "$example" .expected)" "the article's examples, apps/examples"
done
start_hosts 16 2
mpirun_limit_s=280
# The hosts share this machine's cores, which each of them counts as its own.
export MULTIRANK_SPIN_YIELD=1
for example in "$REPO"/tests/examples/example_*.expected; do
  name=$(basename "$example" .expected)
  mpirun_on_hosts "$BIN/$name" >"$work/$name.out" 2>"$work/$name.err" ||
    { cat "$work/$name.err"; fail "$name on 16 hosts failed"; }
  "$REPO/tests/examples/expect_output.sh" "$example" cat "$work/$name.out" ||
    fail "$name on 16 hosts: not the expected output"
  echo "$name on 16 hosts: the expected output"
done
for tree in off on; do
  for suite in test_executor test_pool; do
    output=$(MULTIRANK_DISPATCH_TREE=$tree mpirun_on_hosts "$BIN/$suite" "~[scale]" --use-colour no 2>&1) ||
      { echo "$output" | tail -n 60; fail "$suite on 16 hosts (dispatch tree $tree) failed"; }
    grep -Eq "^All tests passed \([0-9]+ assertions in [0-9]+ test cases\)" <<<"$output" ||
      { echo "$output" | tail -n 30; fail "$suite on 16 hosts (dispatch tree $tree): no Catch2 pass line"; }
    echo "$suite, dispatch tree $tree: $(grep -E '^All tests passed' <<<"$output" | head -n 1)"
  done
done
pass "the examples, and the Executor and Pool suites with the dispatch tree off and on, on 16 hosts x 2 ranks"
