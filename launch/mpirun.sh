#!/usr/bin/env bash
# mpirun with the settings multirank needs, on a workstation, inside a Slurm allocation or across a
# hostfile: root allowed, --bind-to none (rank 0 runs threads), MULTIRANK_* variables forwarded,
# bare PROGRAM names found in build/bin. See launch/README.md.
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
# On Ctrl-C mpirun sends the ranks SIGTERM and SIGKILLs them after this many seconds (Open MPI's
# default: 1). multirank gives running tasks MULTIRANK_GRACE_S (default 5) to finish, then writes
# the profile: the kill waits for both.
export OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-$((${MULTIRANK_GRACE_S:-5} + 5))}
while IFS= read -r var; do
  cmd+=(-x "$var")
done < <(compgen -e | grep '^MULTIRANK_' || true)
cmd+=("${mpirun_opts[@]}" "$program" "$@")

printf '+' >&2; printf ' %q' "${cmd[@]}" >&2; printf '\n' >&2
exec "${cmd[@]}"
