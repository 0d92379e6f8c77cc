#!/usr/bin/env bash
# Local mpirun wrapper: launch/mpirun.sh [-n N] PROGRAM [ARGS...]
# N defaults to nproc; adds --oversubscribe when N > cores, always --bind-to none (rank 0 runs
# threads), allows root, forwards MULTIRANK_* variables, and finds bare PROGRAM names in build/bin.
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

usage() { echo "usage: $0 [-n N] PROGRAM [ARGS...]" >&2; exit 2; }

cores=$(nproc)
n=$cores
case ${1-} in
  -n|-np|--np|--n)
    [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage
    n=$2; shift 2 ;;
  -n[1-9]*)
    n=${1#-n}; [[ $n =~ ^[0-9]+$ ]] || usage; shift ;;
  -h|--help) usage ;;
esac
[[ $# -ge 1 ]] || usage

program=$1; shift
if [[ $program != */* && -x $repo/build/bin/$program && -f $repo/build/bin/$program ]]; then
  program=$repo/build/bin/$program
fi

cmd=(mpirun -n "$n" --bind-to none)
((n > cores)) && cmd+=(--oversubscribe)
if ((EUID == 0)); then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
while IFS= read -r var; do
  cmd+=(-x "$var")
done < <(compgen -e | grep '^MULTIRANK_' || true)
cmd+=("$program" "$@")

printf '+' >&2; printf ' %q' "${cmd[@]}" >&2; printf '\n' >&2
exec "${cmd[@]}"
