#!/usr/bin/python3
# The article's section 6 program (article_grayscale.py) on mpi4py.futures instead of a
# ProcessPoolExecutor: the Python way to spread the same job over MPI ranks, for
# apps/bench/grayscale_side_by_side.sh. Same task, same outputs (`grayscale_<basename>` of every
# top-level `.jpg` of IMAGE_DIR, into the current directory), same "Processed: <output>" lines.
# Run it from the output directory, N ranks = the manager + N-1 workers:
#   cd OUT_DIR && mpirun -np N /usr/bin/python3 -m mpi4py.futures \
#       apps/bench/peers/mpi4py_grayscale.py IMAGE_DIR
import os
import sys

try:
    from mpi4py import MPI
    from mpi4py.futures import MPIPoolExecutor
    from PIL import Image
except ImportError as error:
    sys.exit(f"mpi4py_grayscale.py needs mpi4py and PIL for /usr/bin/python3: Debian's "
             f"python3-mpi4py and python3-pil (launch/install-deps.sh); {error}")


def convert_to_grayscale(filename):
    # The article's task, unchanged: open, convert('L'), save at PIL's JPEG default quality (75).
    with Image.open(filename) as img:
        output_filename = f"grayscale_{os.path.basename(filename)}"
        img.convert('L').save(output_filename)
        return output_filename


def process_images(image_dir):
    image_files = [os.path.join(image_dir, f) for f in os.listdir(image_dir) if f.endswith('.jpg')]
    # No max_workers: the executor uses every worker rank that `-m mpi4py.futures` set aside.
    with MPIPoolExecutor() as executor:
        for result in executor.map(convert_to_grayscale, image_files):
            print(f"Processed: {result}")


def main(argv):
    usage = (f"usage: mpirun -np N /usr/bin/python3 -m mpi4py.futures {argv[0]} IMAGE_DIR"
             "   (N >= 2; outputs go to the current directory)")
    if argv[1:] in (["-h"], ["--help"]):
        print(usage)
        return
    if len(argv) != 2:
        sys.exit(usage)
    # Under `-m mpi4py.futures` only rank 0 runs this script and the other ranks are its workers.
    # Run any other way, MPIPoolExecutor would spawn processes or run the tasks on threads, and
    # the figures would not be mpi4py.futures' over ranks.
    world = MPI.COMM_WORLD
    if world.Get_size() < 2 or world.Get_rank() != 0:
        sys.exit(f"mpi4py_grayscale.py: not under `-m mpi4py.futures` with 2 or more ranks "
                 f"(rank {world.Get_rank()} of {world.Get_size()})\n{usage}")
    if not os.path.isdir(argv[1]):
        sys.exit(f"mpi4py_grayscale.py: {argv[1]} is not a directory")
    process_images(argv[1])


if __name__ == '__main__':
    main(sys.argv)
