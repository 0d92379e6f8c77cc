#!/usr/bin/env bash
# Runs multirank-bench and the Python peers (multiprocessing.Pool, ProcessPoolExecutor,
# mpi4py.futures) one after the other on this machine and prints their figures side by side.
# Usage: apps/bench/overhead_side_by_side.sh [SEED_DIR]   (default: ../shared/seed)
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
seed=${1:-../shared/seed}
bench=build/bin/multirank-bench
[ -x "$bench" ] || { echo "build first: launch/build.sh" >&2; exit 2; }
[ -f "$seed/peer_overhead.py" ] || { echo "no $seed/peer_overhead.py" >&2; exit 2; }
if ((EUID == 0)); then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpirun=(mpirun --oversubscribe --bind-to none)

echo "== multirank, mpirun -np 3 (driver + 2 worker ranks, the mpi4py.futures layout)"
"${mpirun[@]}" -np 3 "$bench"
echo "== multirank, mpirun -np 2 (driver rank works too: 2 worker slots on 2 cores)"
"${mpirun[@]}" -np 2 "$bench"
echo "== Python multiprocessing.Pool / ProcessPoolExecutor, 2 workers"
/usr/bin/python3 "$seed/peer_overhead.py"
echo "== mpi4py.futures, mpirun -np 3 (manager + 2 workers)"
"${mpirun[@]}" -np 3 /usr/bin/python3 -m mpi4py.futures "$seed/peer_overhead.py" mpi4py
