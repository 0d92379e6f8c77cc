#!/usr/bin/python3
# Smoke test of apps/bench: each Python peer run on a tiny input, its output checked, so that a
# broken peer fails here rather than in a long benchmark; and every apps/bench/*.sh answers --help.
# Usage: test_bench_peers.py REPOSITORY MPIEXEC [unittest names...]
# Timing is printed by the peers but never checked.
import os
import re
import subprocess
import sys
import tempfile
import unittest

from PIL import Image, ImageChops, ImageStat

REPOSITORY, MPIEXEC = sys.argv[1:3]
del sys.argv[1:3]
BENCH = os.path.join(REPOSITORY, "apps", "bench")
PEERS = os.path.join(BENCH, "peers")
PYTHON = "/usr/bin/python3"
MPIRUN = [MPIEXEC, "--oversubscribe", "--bind-to", "none"]
TIMEOUT = 60


def run(argv, cwd=None):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)


def describe(result):
    return f"exit status {result.returncode}\n--- stdout:\n{result.stdout}--- stderr:\n{result.stderr}"


def make_photo(path, size):
    """An RGB image whose channels differ (so convert('L')'s weights matter), saved as JPEG."""
    gradient = Image.linear_gradient("L").resize(size)
    radial = Image.radial_gradient("L").resize(size)
    Image.merge("RGB", (gradient, radial, gradient.transpose(Image.Transpose.ROTATE_90).resize(size))
                ).save(path, quality=90)


class GrayscalePeer:
    """What both grayscale peers promise, as the article's program does: every top-level
    lower-case `.jpg` of the directory, and nothing else, converted with convert('L') into
    grayscale_<basename> in the current directory, one "Processed: " line each."""
    inputs = {"small.jpg": (64, 48), "wide.jpg": (200, 50), "tall.jpg": (40, 120)}

    def command(self, image_dir):
        raise NotImplementedError

    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.images = os.path.join(self.scratch.name, "images")
        self.out = os.path.join(self.scratch.name, "out")
        os.makedirs(os.path.join(self.images, "nested"))
        os.makedirs(self.out)
        for name, size in self.inputs.items():
            make_photo(os.path.join(self.images, name), size)
        # The article's program does not look at these: neither will its peers.
        make_photo(os.path.join(self.images, "UPPER.JPG"), (32, 32))
        make_photo(os.path.join(self.images, "nested", "inside.jpg"), (32, 32))

    def tearDown(self):
        self.scratch.cleanup()

    def test_converts_every_top_level_jpg(self):
        result = run(self.command(self.images), cwd=self.out)
        self.assertEqual(result.returncode, 0, describe(result))
        expected = {f"grayscale_{name}" for name in self.inputs}
        self.assertEqual(set(os.listdir(self.out)), expected, describe(result))
        processed = re.findall(r"^Processed: (\S+)$", result.stdout, re.MULTILINE)
        self.assertEqual(sorted(processed), sorted(expected), describe(result))
        for name, size in self.inputs.items():
            with Image.open(os.path.join(self.out, f"grayscale_{name}")) as ours, \
                    Image.open(os.path.join(self.images, name)) as original:
                self.assertEqual((ours.format, ours.mode, ours.size), ("JPEG", "L", size), name)
                # Both are JPEG-decoded; the output went through one more JPEG encoding.
                difference = ImageStat.Stat(ImageChops.difference(ours, original.convert("L"))).mean[0]
                self.assertLess(difference, 2.0, name)


class ArticleGrayscale(GrayscalePeer, unittest.TestCase):
    def command(self, image_dir):
        return [PYTHON, os.path.join(PEERS, "article_grayscale.py"), image_dir, "2"]

    def test_usage(self):
        result = run([PYTHON, os.path.join(PEERS, "article_grayscale.py")])
        self.assertNotEqual(result.returncode, 0, describe(result))
        self.assertIn("usage:", result.stderr)


class Mpi4pyGrayscale(GrayscalePeer, unittest.TestCase):
    def command(self, image_dir):
        return MPIRUN + ["-np", "3", PYTHON, "-m", "mpi4py.futures",
                         os.path.join(PEERS, "mpi4py_grayscale.py"), image_dir]

    def test_refuses_to_run_outside_mpi4py_futures(self):
        result = run([PYTHON, os.path.join(PEERS, "mpi4py_grayscale.py"), self.images], cwd=self.out)
        self.assertNotEqual(result.returncode, 0, describe(result))
        self.assertIn("-m mpi4py.futures", result.stderr)
        self.assertEqual(os.listdir(self.out), [])


class ArticleProcess(unittest.TestCase):
    def test_five_workers_then_all_finished(self):
        result = run([PYTHON, os.path.join(PEERS, "article_process.py")])
        self.assertEqual(result.returncode, 0, describe(result))
        # Counted, not split into lines: with PYTHONUNBUFFERED the workers' print() writes the
        # text and its newline apart, so lines of different processes can run together.
        for i in range(5):
            for what in ("started", "finished"):
                self.assertEqual(result.stdout.count(f"Worker {i} {what}"), 1, describe(result))
        # The program prints it alone, after joining every worker.
        self.assertTrue(result.stdout.endswith("\nAll workers finished\n"), describe(result))


class OverheadPeers(unittest.TestCase):
    """The lines apps/bench/overhead_side_by_side.sh prints, at 1/100 of the task counts."""
    line = re.compile(r"^(?P<name>\S.*?)\s+(?P<tasks>\d+) tasks\s+\d+\.\d+ s\s+\d+ tasks/s\s+\d+\.\d+ us/task$")

    def measurements(self, result):
        self.assertEqual(result.returncode, 0, describe(result))
        found = {}
        for text in result.stdout.splitlines():
            match = self.line.match(text)
            self.assertIsNotNone(match, f"not a measurement: {text!r}\n{describe(result)}")
            found[match["name"]] = int(match["tasks"])
        return found

    def test_multiprocessing_pools(self):
        result = run([PYTHON, os.path.join(PEERS, "overhead_peers.py"), "--scale", "0.01"])
        self.assertEqual(self.measurements(result), {
            "multiprocessing.Pool.map default chunksize": 10000,
            "multiprocessing.Pool.map chunksize=1": 200,
            "multiprocessing.Pool.apply (1 in flight)": 50,
            "ProcessPoolExecutor.map chunksize=1": 200,
            "ProcessPoolExecutor.map chunksize=1000": 10000,
            "ProcessPoolExecutor submit+result (1 in flight)": 50})

    def test_mpi4py_futures(self):
        result = run(MPIRUN + ["-np", "3", PYTHON, "-m", "mpi4py.futures",
                               os.path.join(PEERS, "overhead_peers.py"), "mpi4py", "--scale", "0.01"])
        self.assertEqual(self.measurements(result), {
            "mpi4py.futures map chunksize=1": 200,
            "mpi4py.futures map chunksize=1000": 10000,
            "mpi4py.futures submit+result (1 in flight)": 50})


class Scripts(unittest.TestCase):
    """Every benchmark script prints its usage on --help, from any directory, without a build or
    the benchmarks' packages; and refuses an unknown option with status 2."""
    scripts = sorted(name for name in os.listdir(BENCH) if name.endswith(".sh"))

    def test_help(self):
        self.assertTrue(self.scripts)
        with tempfile.TemporaryDirectory() as elsewhere:
            for name in self.scripts:
                with self.subTest(script=name):
                    result = run([os.path.join(BENCH, name), "--help"], cwd=elsewhere)
                    self.assertEqual(result.returncode, 0, describe(result))
                    self.assertTrue(result.stdout.startswith(f"usage: apps/bench/{name}"), describe(result))

    def test_unknown_option(self):
        for name in self.scripts:
            with self.subTest(script=name):
                result = run([os.path.join(BENCH, name), "--no-such-option"])
                self.assertEqual(result.returncode, 2, describe(result))
                self.assertIn("usage: apps/bench/", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
