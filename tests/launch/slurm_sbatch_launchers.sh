#!/usr/bin/env bash
# launch/slurm/grayscale.sbatch starts every rank of its allocation under both launchers, srun
# --mpi=pmix and mpirun, on a real single-node Slurm: the program is rank_hosts, which reports
# where each rank runs. Usage: slurm_sbatch_launchers.sh SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program rank_hosts
start_slurm
cd "$work"
host=$(hostname -s)
for launcher in srun mpirun; do
  job=$(GRAYSCALE=$BIN/rank_hosts submit --ntasks-per-node=2 "$REPO/launch/slurm/grayscale.sbatch" \
    --launcher "$launcher" in out)
  state=$(wait_for_job "$job" 120)
  echo "--- $launcher: job $job $state, exit code $(job_field "$job" ExitCode)"
  jobdir=$work/grayscale-$job
  cat "$work/grayscale-$job.out" || true
  [[ -f $jobdir/job.out ]] || fail "$launcher: no job.out in the job directory $jobdir"
  [[ $state == COMPLETED && $(job_field "$job" ExitCode) == 0:0 ]] || fail "$launcher: job $job ended $state"
  for rank in 0 1; do
    grep -q "rank $rank of 2 on $host" "$jobdir/job.out" || fail "$launcher: rank $rank of 2 did not report"
  done
  grep -q "^launcher   $launcher" "$jobdir/job.txt" || fail "$launcher: job.txt does not name the launcher"
  grep -q "exit status 0" "$jobdir/job.txt" || fail "$launcher: job.txt has no exit status"
done
pass "grayscale.sbatch ran 2 ranks under srun --mpi=pmix and under mpirun"
