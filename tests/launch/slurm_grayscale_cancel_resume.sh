#!/usr/bin/env bash
# scancel mid-run leaves no half-written output, and resubmitting with --resume converts only the
# rest: the grayscale batch recipe on a real single-node Slurm, cancelled once some outputs exist.
# Usage: slurm_grayscale_cancel_resume.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program grayscale "the grayscale app, apps/grayscale"
start_slurm
cd "$work"
# Enough work that the job is still running when the first outputs appear (about 90 of these
# images a second on 2 cores).
images=300
/usr/bin/python3 "$REPO/tests/launch/test_images.py" make "$work/in" "$images"
count_outputs() { find "$work/out" -type f ! -name '.*' ! -name 'grayscale-failures.tsv' 2>/dev/null | wc -l; }

job=$(GRAYSCALE=$BIN/grayscale submit --ntasks-per-node=2 "$REPO/launch/slurm/grayscale.sbatch" "$work/in" "$work/out")
for ((i = 0; i < 600; i++)); do
  (($(count_outputs) >= 20)) && break
  [[ $(job_field "$job" JobState) == @(PENDING|RUNNING|CONFIGURING) ]] ||
    fail "job $job ended ($(job_field "$job" JobState)) before it could be cancelled"
  sleep 0.1
done
scancel "$job"
state=$(wait_for_job "$job" 60)
cat "$work/grayscale-$job.out" || true
echo "--- job $job $state after scancel with $(count_outputs) outputs"
[[ $state == CANCELLED ]] || fail "job $job ended $state, not CANCELLED"
/usr/bin/python3 "$REPO/tests/launch/test_images.py" check "$work/in" "$work/out" --partial ||
  fail "the cancelled run left an incomplete or wrong output"
done_before=$(count_outputs)
((done_before > 0 && done_before < images)) || fail "cancelled with $done_before of $images done: not mid-run"
find "$work/out" -type f ! -name '.*' -printf '%i\t%P\n' >"$work/before-resume"

job=$(GRAYSCALE=$BIN/grayscale submit --ntasks-per-node=2 "$REPO/launch/slurm/grayscale.sbatch" "$work/in" "$work/out" --resume)
state=$(wait_for_job "$job" 180)
cat "$work/grayscale-$job.out" || true
echo "--- resubmitted job $job $state, exit code $(job_field "$job" ExitCode)"
[[ $state == COMPLETED && $(job_field "$job" ExitCode) == 0:0 ]] || fail "the --resume job ended $state"
grep -q "grayscale: $((images - done_before)) converted, $done_before skipped, 0 failed" "$work/grayscale-$job/job.out" ||
  fail "the --resume run did not convert exactly the $((images - done_before)) missing images"
# A redone output would have been renamed into place anew: another inode.
while IFS=$'\t' read -r inode path; do
  [[ $(stat -c %i "$work/out/$path") == "$inode" ]] || fail "$path was converted again"
done <"$work/before-resume"
/usr/bin/python3 "$REPO/tests/launch/test_images.py" check "$work/in" "$work/out" ||
  fail "after --resume the outputs are incomplete or wrong"
pass "scancel after $done_before of $images left no partial output; --resume converted the other $((images - done_before))"
