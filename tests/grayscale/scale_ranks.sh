#!/usr/bin/env bash
# grayscale on many ranks of one machine (oversubscribed), with --profile, in both I/O modes:
# every output matches PIL's conversion, the summary counts every image, and the profile holds
# one log per rank. What a user running 64 or 128 ranks on a fat node relies on.
# Usage: scale_ranks.sh SOURCE_DIR GRAYSCALE MPIEXEC NP
set -euo pipefail
REPO=$1 GRAYSCALE=$2 MPIEXEC=$3 NP=$4
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d /tmp/grayscale-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT
images=256
/usr/bin/python3 "$REPO/tests/launch/test_images.py" make "$work/in" "$images"
for mode in shared ship; do
  output=$(timeout --kill-after=10 400 "$MPIEXEC" --oversubscribe --bind-to none -np "$NP" "$GRAYSCALE" \
             "$work/in" "$work/out-$mode" --io "$mode" --profile "$work/profile-$mode" --quiet 2>&1) ||
    { echo "$output" | tail -n 40; fail "grayscale --io $mode on $NP ranks failed"; }
  grep -q "grayscale: $images converted, 0 skipped, 0 failed" <<<"$output" ||
    { echo "$output" | tail -n 20; fail "--io $mode on $NP ranks: no summary line saying all $images images converted"; }
  /usr/bin/python3 "$REPO/tests/launch/test_images.py" check "$work/in" "$work/out-$mode" ||
    fail "--io $mode on $NP ranks: outputs are wrong"
  /usr/bin/python3 "$REPO/tests/launch/test_profile.py" "$work/profile-$mode" --ranks "$NP" ||
    fail "--io $mode on $NP ranks: the profile does not hold every rank"
  echo "--io $mode on $NP ranks: $images outputs correct, profile of $NP ranks"
done
echo "PASS: grayscale on $NP ranks of one machine, --io shared and --io ship, with --profile"
