#!/usr/bin/python3
# What Python's process pools cost per tiny task (f(x) = x * x, the article's Pool example), the
# peers of build/bin/multirank-bench in apps/bench/overhead_side_by_side.sh: a map with chunksize 1,
# a map with large chunks, and one task at a time (submit then wait: the round trip).
#   /usr/bin/python3 apps/bench/peers/overhead_peers.py [--workers W] [--scale F]
#       multiprocessing.Pool and ProcessPoolExecutor, W worker processes (default 2)
#   mpirun -np 3 /usr/bin/python3 -m mpi4py.futures apps/bench/peers/overhead_peers.py mpi4py [--scale F]
#       mpi4py.futures' MPIPoolExecutor, one worker per rank but the first
# Each measurement prints one line: name, tasks, seconds, tasks/s, µs per task. --scale multiplies
# every task count (default 1: 20 000 tasks at chunksize 1, 1 000 000 in chunks, 5 000 one at a
# time); a small scale only checks that the peers run.
import argparse
import sys
import time


def square(x):
    return x * x


def sum_of_squares(n):
    """sum(square(i) for i in range(n)), which every measured run must give back."""
    return (n - 1) * n * (2 * n - 1) // 6


class Measurements:
    def __init__(self, scale):
        self.scale = scale

    def tasks(self, default):
        return max(1, round(default * self.scale))

    def run(self, name, default_tasks, job):
        """Times job(n) over n tasks, prints the line, and fails when the results are wrong: a
        peer that lost or repeated tasks would look fast."""
        n = self.tasks(default_tasks)
        start = time.perf_counter()
        total = job(n)
        seconds = time.perf_counter() - start
        if total != sum_of_squares(n):
            sys.exit(f"overhead_peers.py: {name} over {n} tasks gave {total}, "
                     f"not {sum_of_squares(n)}")
        print(f"{name:48s} {n:>8d} tasks {seconds:7.3f} s {n / seconds:12.0f} tasks/s "
              f"{seconds / n * 1e6:9.2f} us/task", flush=True)


def one_at_a_time(call, n):
    return sum(call(i) for i in range(n))


def measure_multiprocessing(measure, workers):
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import Pool

    with Pool(workers) as pool:
        # A first map starts the workers, so that no measurement pays for their start-up.
        pool.map(square, range(10))
        measure.run("multiprocessing.Pool.map default chunksize", 1_000_000,
                    lambda n: sum(pool.map(square, range(n))))
        measure.run("multiprocessing.Pool.map chunksize=1", 20_000,
                    lambda n: sum(pool.map(square, range(n), chunksize=1)))
        measure.run("multiprocessing.Pool.apply (1 in flight)", 5_000,
                    lambda n: one_at_a_time(lambda i: pool.apply(square, (i,)), n))
    with ProcessPoolExecutor(workers) as executor:
        list(executor.map(square, range(10)))
        measure.run("ProcessPoolExecutor.map chunksize=1", 20_000,
                    lambda n: sum(executor.map(square, range(n))))
        measure.run("ProcessPoolExecutor.map chunksize=1000", 1_000_000,
                    lambda n: sum(executor.map(square, range(n), chunksize=1000)))
        measure.run("ProcessPoolExecutor submit+result (1 in flight)", 5_000,
                    lambda n: one_at_a_time(lambda i: executor.submit(square, i).result(), n))


def measure_mpi4py(measure, usage):
    try:
        from mpi4py import MPI
        from mpi4py.futures import MPIPoolExecutor
    except ImportError as error:
        sys.exit(f"overhead_peers.py mpi4py needs Debian's python3-mpi4py (launch/install-deps.sh); "
                 f"{error}")
    # Under `-m mpi4py.futures` only rank 0 runs this script; the other ranks are the workers.
    world = MPI.COMM_WORLD
    if world.Get_size() < 2 or world.Get_rank() != 0:
        sys.exit(f"overhead_peers.py mpi4py: not under `-m mpi4py.futures` with 2 or more ranks "
                 f"(rank {world.Get_rank()} of {world.Get_size()})\n{usage}")
    with MPIPoolExecutor() as executor:
        list(executor.map(square, range(10)))
        measure.run("mpi4py.futures map chunksize=1", 20_000,
                    lambda n: sum(executor.map(square, range(n))))
        measure.run("mpi4py.futures map chunksize=1000", 1_000_000,
                    lambda n: sum(executor.map(square, range(n), chunksize=1000)))
        measure.run("mpi4py.futures submit+result (1 in flight)", 5_000,
                    lambda n: one_at_a_time(lambda i: executor.submit(square, i).result(), n))


def main():
    parser = argparse.ArgumentParser(
        description="Per-task overhead of Python's process pools on tiny tasks.",
        epilog="mpi4py: run as mpirun -np 3 /usr/bin/python3 -m mpi4py.futures overhead_peers.py mpi4py")
    parser.add_argument("pools", nargs="?", choices=["multiprocessing", "mpi4py"],
                        default="multiprocessing",
                        help="multiprocessing.Pool and ProcessPoolExecutor (default), or mpi4py.futures")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of the multiprocessing pools (default 2); "
                             "mpi4py.futures uses every rank but the first")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies every task count (default 1)")
    args = parser.parse_args()
    if args.workers < 1 or args.scale <= 0:
        parser.error("--workers must be 1 or more and --scale above 0")
    measure = Measurements(args.scale)
    if args.pools == "mpi4py":
        measure_mpi4py(measure, parser.format_usage().strip())
    else:
        measure_multiprocessing(measure, args.workers)


if __name__ == '__main__':
    main()
