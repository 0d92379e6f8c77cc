#!/usr/bin/env bash
# launch/slurm/grayscale.sbatch starts every rank of its allocation under both launchers, srun
# --mpi=pmix and mpirun, on a real single-node Slurm (the program: rank_hosts, which reports where
# each rank runs); launch/mpirun.sh in an allocation runs its task count. Usage: SCRIPT SOURCE_DIR BIN_DIR
set -euo pipefail
REPO=$1 BIN=$2
# shellcheck source=tests/launch/test_environments.sh
source "$REPO/tests/launch/test_environments.sh"

require_program rank_hosts
start_slurm
cd "$work"
host=$(hostname -s)
for launcher in srun mpirun; do
  run_recipe "$launcher" rank_hosts 120 in out
  for rank in 0 1; do
    grep -q "rank $rank of 2 on $host" "$jobdir/job.out" || fail "$launcher: rank $rank of 2 did not report"
  done
  grep -q "^launcher   $launcher" "$jobdir/job.txt" || fail "$launcher: job.txt does not name the launcher"
  grep -q "exit status 0" "$jobdir/job.txt" || fail "$launcher: job.txt has no exit status"
done

# The job's exit status is the driver's: its own exit status, and 0 where the driver finished
# although a worker rank died (srun reports the dead task's 139).
require_program failure_matrix
expect_driver_status() {
  local launcher=$1 want=$2 state
  shift 2
  job=$(GRAYSCALE=$BIN/failure_matrix submit --ntasks-per-node=2 "$REPO/launch/slurm/grayscale.sbatch" \
    --launcher "$launcher" "$@" --profile=unused)
  state=$(wait_for_job "$job" 120)
  jobdir=$work/grayscale-$job
  echo "--- $launcher $*: job $job $state, exit code $(job_field "$job" ExitCode)"
  cat "$work/grayscale-$job.out" "$jobdir/job.txt" || true
  [[ $(job_field "$job" ExitCode) == "$want:0" ]] || fail "$launcher $*: exit code $(job_field "$job" ExitCode), not $want:0"
  grep -q "exit status $want (the driver's: state=" "$jobdir/job.txt" || fail "$launcher $*: job.txt does not give the driver's status $want"
}
expect_driver_status srun 3 executor driver-encode exit
expect_driver_status mpirun 3 executor driver-encode exit
expect_driver_status srun 139 executor driver-decode segv
expect_driver_status srun 0 executor task segv

# launch/mpirun.sh inside an allocation takes the task count from Slurm, not from the cores.
job=$(submit --ntasks=1 --output="$work/wrapper-%j.out" --wrap "$REPO/launch/mpirun.sh $BIN/rank_hosts")
state=$(wait_for_job "$job" 120)
echo "--- launch/mpirun.sh in a 1-task allocation: job $job $state"
cat "$work/wrapper-$job.out"
[[ $state == COMPLETED ]] || fail "launch/mpirun.sh in an allocation: job $job ended $state"
if [[ $(grep -c '^rank' "$work/wrapper-$job.out") != 1 ]] || ! grep -q "rank 0 of 1 on $host" "$work/wrapper-$job.out"; then
  fail "launch/mpirun.sh did not run exactly the allocation's 1 task"
fi
pass "grayscale.sbatch ran 2 ranks under srun --mpi=pmix and under mpirun, its exit status the driver's; launch/mpirun.sh followed a 1-task allocation"
