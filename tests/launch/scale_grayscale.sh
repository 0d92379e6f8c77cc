#!/usr/bin/env bash
# grayscale on 16 namespace hosts of 4 ranks each (64 ranks, oversubscribed on this machine's
# cores, TCP only), with --profile, in both I/O modes: --io shared (a directory every host sees,
# workers read and write the files themselves) and --io ship (the inputs only in node1's private
# scratch: rank 0 ships the bytes and writes every output). Every output must match PIL's
# conversion, nothing may land in another host's scratch, and each profile must name all 16 hosts.
# Usage: scale_grayscale.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program grayscale "the grayscale app, apps/grayscale"
start_hosts 16 4
mpirun_limit_s=240
export MULTIRANK_SPIN_YIELD=1
images=128
shared=$work/shared                     # outside the hosts' private scratch: every host sees it
scratch=$hosts_dir/scratch              # the path every host sees as its own scratch
on_node1=$hosts_dir/hosts/node1/scratch # node1's scratch, as this machine sees it
hosts_list=$(seq -s, -f 'node%g' 2 16)

# run_grayscale MODE IN OUT PROFILE: runs it on the 16 hosts, checks the summary line.
run_grayscale() {
  local mode=$1 in=$2 out=$3 profile=$4 output
  output=$(mpirun_on_hosts "$BIN/grayscale" "$in" "$out" --io "$mode" --profile "$profile" --quiet 2>&1) ||
    { echo "$output"; fail "grayscale --io $mode on 16 hosts failed"; }
  echo "$output" | grep -v '^+ mpirun'
  grep -q "grayscale: $images converted, 0 skipped, 0 failed" <<<"$output" ||
    fail "--io $mode: no summary line saying all $images images converted"
}

/usr/bin/python3 "$REPO/tests/launch/test_images.py" make "$shared/in" "$images"
run_grayscale shared "$shared/in" "$shared/out" "$shared/profile"
/usr/bin/python3 "$REPO/tests/launch/test_images.py" check "$shared/in" "$shared/out" ||
  fail "--io shared: outputs are wrong"
/usr/bin/python3 "$REPO/tests/launch/test_profile.py" "$shared/profile" --ranks 64 --hosts 16 \
  --tasks-on "$hosts_list" || fail "--io shared: the profile does not show tasks on all 16 hosts"

cp -r "$shared/in" "$on_node1/in"
"$REPO/launch/hosts/netns-hosts.sh" exec "$hosts_dir" node16 test ! -e "$scratch/in" ||
  fail "node16 sees node1's inputs: the scratch directories are not private"
run_grayscale ship "$scratch/in" "$scratch/out" "$scratch/profile"
/usr/bin/python3 "$REPO/tests/launch/test_images.py" check "$on_node1/in" "$on_node1/out" ||
  fail "--io ship: outputs are wrong"
for ((i = 2; i <= 16; i++)); do
  left=$(find "$hosts_dir/hosts/node$i/scratch" -mindepth 1)
  [[ -z $left ]] || fail "node$i wrote into its own scratch under --io ship: $left"
done
/usr/bin/python3 "$REPO/tests/launch/test_profile.py" "$on_node1/profile" --ranks 64 --hosts 16 \
  --tasks-on "$hosts_list" || fail "--io ship: the profile does not show tasks on all 16 hosts"
pass "grayscale on 16 hosts (64 ranks), --io shared and --io ship: $images outputs each, correct; profiles name all 16 hosts"
