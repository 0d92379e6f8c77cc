#!/usr/bin/env bash
# Runs multirank-bench and its Python peers (apps/bench/peers/overhead_peers.py:
# multiprocessing.Pool, ProcessPoolExecutor, mpi4py.futures) one after the other on this machine
# and prints their figures side by side. Needs a build (launch/build.sh) and Debian's
# python3-mpi4py (launch/install-deps.sh); runs from any directory.
set -euo pipefail
usage="usage: apps/bench/overhead_side_by_side.sh
  multirank-bench on 3 and 2 ranks, then the Python pools with 2 workers each"
case ${1-} in
  '') ;;
  -h | --help) echo "$usage"; exit 0 ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
bench=build/bin/multirank-bench
peers=apps/bench/peers/overhead_peers.py

source apps/bench/requirements.bash
need_built "$bench"
need_package openmpi-bin mpirun
need_python_modules python3-mpi4py mpi4py.futures
check_requirements
if ((EUID == 0)); then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpirun=(mpirun --oversubscribe --bind-to none)

echo "== multirank, mpirun -np 3 (driver + 2 worker ranks, the mpi4py.futures layout)"
"${mpirun[@]}" -np 3 "$bench"
echo "== multirank, mpirun -np 2 (driver rank works too: 2 worker slots on 2 cores)"
"${mpirun[@]}" -np 2 "$bench"
echo "== Python multiprocessing.Pool / ProcessPoolExecutor, 2 workers"
/usr/bin/python3 "$peers" --workers 2
echo "== mpi4py.futures, mpirun -np 3 (manager + 2 workers)"
"${mpirun[@]}" -np 3 /usr/bin/python3 -m mpi4py.futures "$peers" mpi4py
