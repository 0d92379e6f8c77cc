#!/usr/bin/env bash
# mpirun with the settings multirank needs, on a workstation, inside a Slurm allocation or across a
# hostfile: root allowed, --bind-to none (rank 0 runs threads), MULTIRANK_* variables forwarded,
# bare PROGRAM names found in build/bin; Ctrl-C stops the job through the driver, and the exit
# status is the driver's (also under --enable-recovery). See launch/README.md.
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

usage() {
  cat >&2 <<'EOF'
usage: launch/mpirun.sh [-n N] PROGRAM [ARGS...]
       launch/mpirun.sh [-n N] [--hostfile FILE] [--net CIDR] [MPIRUN OPTIONS...] -- PROGRAM [ARGS...]
  -n N             ranks; default: the cores here, or every slot of the hostfile or Slurm allocation
  --hostfile FILE  run on the hosts in FILE ("host slots=K" lines)
  --net CIDR       TCP only, on that network (btl tcp,self; btl_tcp_if_include, oob_tcp_if_include)
  other options before -- go to mpirun unchanged (e.g. --mca plm_rsh_agent ssh, --report-bindings)
EOF
  exit 2
}

# Options come before PROGRAM; mpirun's own options need a -- to end them, since their values
# cannot be told apart from a program name.
opts=()
if [[ ${1-} == -* ]]; then
  separated=0
  for ((i = 1; i <= $#; i++)); do
    if [[ ${!i} == -- ]]; then
      opts=("${@:1:i-1}")
      shift "$i"
      separated=1
      break
    fi
  done
  if ((!separated)); then   # no --: only the wrapper's own -n may precede PROGRAM
    case $1 in
      -n|-np|--np|--n) (($# >= 2)) || usage; opts=("$1" "$2"); shift 2 ;;
      -n[1-9]*) opts=("$1"); shift ;;
      *) usage ;;
    esac
  fi
fi
(($# >= 1)) || usage

n='' hostfile='' net=''
mpirun_opts=()
for ((i = 0; i < ${#opts[@]}; i++)); do
  case ${opts[i]} in
    -n|-np|--np|--n) n=${opts[i + 1]-}; ((++i)) ;;
    -n[1-9]*) n=${opts[i]#-n} ;;
    --hostfile|-hostfile|--machinefile|-machinefile) hostfile=${opts[i + 1]-}; ((++i)) ;;
    --net) net=${opts[i + 1]-}; ((++i)) ;;
    -h|--help) usage ;;
    *) mpirun_opts+=("${opts[i]}") ;;
  esac
done
[[ -z $n || $n =~ ^[1-9][0-9]*$ ]] || { echo "mpirun.sh: -n wants a positive number, got '$n'" >&2; exit 2; }
[[ -z $hostfile || -r $hostfile ]] || { echo "mpirun.sh: cannot read hostfile '$hostfile'" >&2; exit 2; }
[[ -z $net || $net =~ ^[0-9.]+/[0-9]+$ ]] || { echo "mpirun.sh: --net wants an IPv4 CIDR such as 10.1.0.0/16, got '$net'" >&2; exit 2; }

program=$1
shift
if [[ $program != */* && -x $repo/build/bin/$program && -f $repo/build/bin/$program ]]; then
  program=$repo/build/bin/$program
fi

cmd=(mpirun --bind-to none)
if [[ -n $hostfile ]]; then
  cmd+=(--hostfile "$hostfile")
  [[ -z $n ]] || cmd+=(-n "$n")
elif [[ -n ${SLURM_JOB_ID-} ]]; then
  # Inside an allocation mpirun reads the task count and nodes from Slurm itself.
  [[ -z $n ]] || cmd+=(-n "$n")
else
  cores=$(nproc)
  n=${n:-$cores}
  cmd+=(-n "$n")
  ((n > cores)) && cmd+=(--oversubscribe)
fi
if [[ -n $net ]]; then
  cmd+=(--mca btl 'tcp,self' --mca btl_tcp_if_include "$net" --mca oob_tcp_if_include "$net")
fi
if ((EUID == 0)); then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
if [[ -n ${SLURM_JOB_ID-} ]]; then
  # scancel's SIGTERM reaches mpirun itself, which SIGKILLs the ranks this many seconds later
  # (Open MPI's default: 1): the kill waits for multirank's grace (MULTIRANK_GRACE_S, default 5)
  # and the profile. The price: mpirun waits that long whenever it stops ranks.
  export OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-$((${MULTIRANK_GRACE_S:-5} + 5))}
fi
# The driver (rank 0) leaves its account of how it ended here: the job's exit status is the
# driver's, whatever mpirun says (mpirun --enable-recovery exits 0 even when the driver dies).
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/multirank-run.XXXXXX")
trap 'rm -rf "$run_dir"' EXIT
export MULTIRANK_EXIT_STATUS_FILE=$run_dir/driver
while IFS= read -r var; do
  cmd+=(-x "$var")
done < <(compgen -e | grep '^MULTIRANK_' || true)
cmd+=("${mpirun_opts[@]}" "$program" "$@")

printf '+' >&2; printf ' %q' "${cmd[@]}" >&2; printf '\n' >&2

# driver_record KEY: a value from the driver's account (state=... status=... signal=... pid=...).
driver_record() {
  local word
  [[ -r $MULTIRANK_EXIT_STATUS_FILE ]] || return 0
  for word in $(<"$MULTIRANK_EXIT_STATUS_FILE"); do
    [[ $word == "$1="* ]] && { printf '%s' "${word#*=}"; return 0; }
  done
  return 0
}

# Ctrl-C or SIGTERM goes to the driver alone, which stops the job cleanly: no new tasks, running
# ones get their grace. (mpirun itself would SIGKILL every rank a second later.) mpirun runs in a
# process group of its own so that the terminal's Ctrl-C reaches this script only. A second
# signal, or one before the driver is up or on another host, stops mpirun at once.
forwarded=0
forward() {
  local signal=$1 pid host
  pid=$(driver_record pid) host=$(driver_record host)
  if ((forwarded == 0)) && [[ $(driver_record state) == running && -n $pid && $host == "$(hostname)" ]] &&
    kill "-$signal" "$pid" 2>/dev/null; then
    forwarded=1
    return
  fi
  forwarded=1
  kill -TERM "$mpirun_pid" 2>/dev/null || true
}
set -m
"${cmd[@]}" &
mpirun_pid=$!
set +m
trap 'forward INT' INT
trap 'forward TERM' TERM
trap 'forward HUP' HUP
# bash with errexit ends the script when a trapped signal interrupts `wait`, guarded or not.
set +e
while :; do
  wait "$mpirun_pid"
  mpirun_status=$?
  kill -0 "$mpirun_pid" 2>/dev/null || break  # a trapped signal only interrupted the wait
done
set -e

signal_name() { local name; name=$(kill -l "$1" 2>/dev/null) && printf 'SIG%s' "$name" || printf 'signal %s' "$1"; }
state=$(driver_record state) status=$(driver_record status) signal=$(driver_record signal)
case $state in
  exited) verdict="the driver (rank 0) exited with status $status" ;;
  signal) verdict="the driver (rank 0) was killed by $(signal_name "$signal")" ;;
  interrupted)
    verdict="the job was interrupted by $(signal_name "$signal")"
    if ((forwarded == 0 && mpirun_status != 0)); then
      verdict="mpirun stopped the job, as it does when a rank fails without --enable-recovery (see its message above); the driver ended on its $(signal_name "$signal")"
    fi
    ;;
  aborted) verdict="the driver (rank 0) ended the job on a fatal error (see above)" ;;
  running)
    # Nothing of the driver's ran at its end: SIGKILL (the out-of-memory killer, say) or _exit().
    status=$((mpirun_status != 0 ? mpirun_status : 137))
    verdict="the driver (rank 0, pid $(driver_record pid)) ended without leaving its status: killed by SIGKILL (out of memory?) or _exit()"
    ;;
  *) exit "$mpirun_status" ;;  # the program never started multirank's driver: mpirun's word stands
esac
if ((status != 0)); then
  note=''
  ((mpirun_status == status)) || note=" (mpirun's own status: $mpirun_status)"
  echo "multirank: $verdict; exit status $status$note" >&2
elif ((mpirun_status != 0)); then
  echo "multirank: the driver finished its work (exit status 0), but mpirun reported status $mpirun_status: a rank failed (see its message above)" >&2
fi
exit "$status"
