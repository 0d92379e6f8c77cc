#!/usr/bin/env bash
# Sourced by the launch tests: starts the real environments they need (a single-node Slurm, namespace
# hosts) in a scratch directory and tears them down on any exit; reports SKIPPED (exit 77, which CTest
# counts as skipped) when this machine cannot run them, with the reason.
# Needs REPO (source tree) and BIN (build/bin) set by the caller.

# A test killed outright (CTest's timeout sends SIGKILL) cannot tear down: the next run does it
# for any scratch directory whose test process is gone. Live ones (a run beside this) stay.
for stale in "${TMPDIR:-/tmp}"/multirank-launch-test.*; do
  if [[ ! -s $stale/owner ]] || [[ -e $stale/kept ]] || kill -0 "$(<"$stale/owner")" 2>/dev/null; then
    continue
  fi
  echo "tearing down what a killed test left in $stale"
  [[ ! -d $stale/slurm ]] || "$REPO/launch/slurm/local-cluster.sh" down "$stale/slurm" || true
  [[ ! -d $stale/hosts ]] || "$REPO/launch/hosts/netns-hosts.sh" down "$stale/hosts" || true
  rm -rf --one-file-system "$stale"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/multirank-launch-test.XXXXXX")
chmod 755 "$work"   # daemons running as other users (munge) must reach their files inside
echo $$ >"$work/owner"
cluster_dir='' hosts_dir='' test_passed=0

skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass() { test_passed=1; echo "PASS: $*"; }

tear_down() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $cluster_dir ]]; then
    if ((!test_passed)) && ((status != 77)); then
      echo "--- Slurm logs ($cluster_dir/log)"
      tail -n 15 "$cluster_dir"/log/*.log 2>/dev/null || true
    fi
    "$REPO/launch/slurm/local-cluster.sh" down "$cluster_dir" || true
  fi
  [[ -z $hosts_dir ]] || "$REPO/launch/hosts/netns-hosts.sh" down "$hosts_dir" || true
  if ((test_passed)) || ((status == 77)) || [[ -z ${KEEP_FAILED_TEST_DIR-} ]]; then
    rm -rf --one-file-system "$work"
  else
    touch "$work/kept"
    echo "--- kept $work"
  fi
  exit "$status"
}
trap tear_down EXIT
trap 'exit 130' INT TERM

# Start a single-node Slurm under $work/slurm and export SLURM_CONF for it.
start_slurm() {
  local output status=0
  cluster_dir=$work/slurm
  output=$("$REPO/launch/slurm/local-cluster.sh" up "$cluster_dir" 2>&1) || status=$?
  if ((status == 3)); then
    cluster_dir=''
    skip "$(sed -n 's/.*unavailable: //p' <<<"$output")"
  fi
  ((status == 0)) || { echo "$output"; fail "the single-node Slurm did not start"; }
  export SLURM_CONF=$cluster_dir/slurm.conf
}

# Start N namespace hosts under $work/hosts; exports NETNS_HOSTS_DIR and NETNS_HOSTS_SUBNET.
start_hosts() {
  local output status=0
  hosts_dir=$work/hosts
  output=$("$REPO/launch/hosts/netns-hosts.sh" up "$hosts_dir" "$@" 2>&1) || status=$?
  if ((status == 3)); then
    hosts_dir=''
    skip "$(sed -n 's/.*unavailable: //p' <<<"$output")"
  fi
  ((status == 0)) || { echo "$output"; fail "the namespace hosts did not start"; }
  eval "$(grep '^export NETNS_HOSTS_DIR=' <<<"$output")"
}

# mpirun through the repository's wrapper, on the namespace hosts, started from node1; a run that
# hangs is stopped after $mpirun_limit_s seconds (120 unless the test sets it), so the test fails
# (and tears down) before CTest's timeout kills it. mpirun options may precede a -- before PROGRAM.
mpirun_limit_s=120
mpirun_on_hosts() {
  local options=()
  if [[ " $* " == *" -- "* ]]; then
    while [[ $1 != -- ]]; do options+=("$1"); shift; done
    shift
  fi
  timeout --kill-after=10 "$mpirun_limit_s" "$REPO/launch/hosts/netns-hosts.sh" exec "$hosts_dir" node1 \
    "$REPO/launch/mpirun.sh" --hostfile "$hosts_dir/hostfile" --net "$NETNS_HOSTS_SUBNET" \
    --mca plm_rsh_agent "$REPO/launch/hosts/rsh-agent.sh" "${options[@]}" -- "$@"
}

# One field of a job as scontrol shows it (finished jobs stay listed: MinJobAge is an hour).
job_field() { scontrol show job -o "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# Wait until job $1 has left the queue (at most $2 seconds), then print its final state.
wait_for_job() {
  local job=$1 limit=$2 state
  for ((i = 0; i < limit * 5; i++)); do
    state=$(job_field "$job" JobState)
    case $state in
      PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED) sleep 0.2 ;;
      *) echo "$state"; return ;;
    esac
  done
  fail "job $job still $state after ${limit}s"
}

# Submit with sbatch (extra arguments go to sbatch, then the script and its arguments); prints the job id.
submit() {
  local output
  output=$(sbatch --parsable "$@") || fail "sbatch $* failed"
  echo "${output%%;*}"
}

# run_recipe LAUNCHER PROGRAM SECONDS ARGS...: submits launch/slurm/grayscale.sbatch running
# $BIN/PROGRAM under LAUNCHER (srun or mpirun) on 2 tasks, waits for it, prints its output, and
# fails unless it completed with exit code 0 and wrote job.out; sets job (its id) and jobdir.
run_recipe() {
  local launcher=$1 program=$2 seconds=$3
  shift 3
  local state
  job=$(GRAYSCALE=$BIN/$program submit --ntasks-per-node=2 "$REPO/launch/slurm/grayscale.sbatch" \
    --launcher "$launcher" "$@")
  state=$(wait_for_job "$job" "$seconds")
  echo "--- $launcher: job $job $state, exit code $(job_field "$job" ExitCode)"
  jobdir=$work/grayscale-$job
  cat "$work/grayscale-$job.out" || true
  [[ -f $jobdir/job.out ]] || fail "$launcher: no job.out in the job directory $jobdir"
  [[ $state == COMPLETED && $(job_field "$job" ExitCode) == 0:0 ]] || fail "$launcher: job $job ended $state"
}

require_program() {
  [[ -x $BIN/$1 ]] || skip "$BIN/$1 is not built${2:+ ($2)}"
}
