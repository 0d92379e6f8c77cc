#!/usr/bin/env bash
# grayscale across 3 namespace hosts with the inputs only on the driver's host (node1's private
# scratch): the workers get the bytes shipped (--io auto), outputs land only on node1 and match PIL,
# and the profile shows ranks on 3 distinct hosts, tasks on the worker hosts and aligned clocks.
# Usage: multinode_grayscale.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program grayscale "the grayscale app, apps/grayscale"
start_hosts 3
scratch=$hosts_dir/scratch             # the path every host sees as its own scratch
on_node1=$hosts_dir/hosts/node1/scratch  # node1's scratch, as this machine sees it
images=24
/usr/bin/python3 "$REPO/tests/launch/test_images.py" make "$on_node1/in" "$images"
for host in node2 node3; do
  "$REPO/launch/hosts/netns-hosts.sh" exec "$hosts_dir" "$host" test ! -e "$scratch/in" ||
    fail "$host sees the inputs: the scratch directories are not private"
done

output=$(mpirun_on_hosts "$BIN/grayscale" "$scratch/in" "$scratch/out" --io auto --profile "$scratch/profile" --quiet) ||
  fail "grayscale across the hosts failed: $output"
echo "$output"
grep -q "grayscale: $images converted, 0 skipped, 0 failed" <<<"$output" ||
  fail "no summary line saying all $images images converted"
grep -Eq "grayscale: [1-9][0-9]* images shipped" <<<"$output" ||
  fail "grayscale shipped nothing, yet node2 and node3 cannot see the inputs"
/usr/bin/python3 "$REPO/tests/launch/test_images.py" check "$on_node1/in" "$on_node1/out" || fail "outputs are wrong"
for host in node2 node3; do
  left=$(find "$hosts_dir/hosts/$host/scratch" -mindepth 1)
  [[ -z $left ]] || fail "$host wrote into its own scratch (not shipped back to the driver): $left"
done
/usr/bin/python3 "$REPO/tests/launch/test_profile.py" "$on_node1/profile" --ranks 3 --hosts 3 \
  --tasks-on node2,node3 --clocks-aligned || fail "the profile does not show 3 hosts with aligned clocks"
pass "grayscale on 3 hosts, inputs only on node1: $images outputs shipped back, profile on 3 hosts"
