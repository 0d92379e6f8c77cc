#!/usr/bin/env bash
# The grayscale batch recipe on a real single-node Slurm: launch/slurm/grayscale.sbatch converts a
# generated image tree under srun --mpi=pmix and under mpirun; the job completes with exit code 0,
# every output matches PIL's convert('L'), and the job's profile has a log naming each rank and the job.
# Usage: slurm_grayscale.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program grayscale "the grayscale app, apps/grayscale"
start_slurm
cd "$work"
images=40
/usr/bin/python3 "$REPO/tests/launch/test_images.py" make "$work/in" "$images"
for launcher in srun mpirun; do
  run_recipe "$launcher" grayscale 180 "$work/in" "$work/out-$launcher"
  grep -q "grayscale: $images converted, 0 skipped, 0 failed" "$jobdir/job.out" ||
    fail "$launcher: no summary line saying all $images images converted"
  /usr/bin/python3 "$REPO/tests/launch/test_images.py" check "$work/in" "$work/out-$launcher" ||
    fail "$launcher: outputs are wrong"
  /usr/bin/python3 "$REPO/tests/launch/test_profile.py" "$jobdir/profile" --ranks 2 --slurm-job "$job" ||
    fail "$launcher: the profile in $jobdir/profile does not name every rank"
done
pass "grayscale.sbatch converted $images images under srun and under mpirun, profile names both ranks"
