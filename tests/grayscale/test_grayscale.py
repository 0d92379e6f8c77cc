#!/usr/bin/python3
# grayscale's promises, checked from the outside under mpirun: one test per promised behaviour.
# Usage: test_grayscale.py GRAYSCALE GRAYSCALE_SERIAL MPIEXEC NP [unittest names...]
# Images are generated here (image_cases.py); every output's pixels are compared with PIL's
# convert('L') of its input.
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from PIL import Image, ImageChops, ImageStat

import image_cases

GRAYSCALE, GRAYSCALE_SERIAL, MPIEXEC, NP = sys.argv[1:5]
del sys.argv[1:5]
TIMEOUT = 120


def command(input_dir, output_dir, *options):
    return [MPIEXEC, "-np", NP, "--oversubscribe", "--bind-to", "none", GRAYSCALE,
            str(input_dir), str(output_dir), "--quiet", *options]


def run(input_dir, output_dir, *options):
    return subprocess.run(command(input_dir, output_dir, *options), capture_output=True, text=True,
                          timeout=TIMEOUT)


def output_files(root):
    """Relative paths of every file under root."""
    found = set()
    for directory, _, files in os.walk(root):
        for name in files:
            found.add(os.path.relpath(os.path.join(directory, name), root))
    return found


def kill_session(session):
    """SIGKILL to every process of a session: mpirun puts each rank in a process group of its own,
    so killing mpirun's group would leave the ranks running."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == session:
                    os.kill(int(entry), signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass


def read_report(output_dir):
    path = os.path.join(output_dir, "grayscale-failures.tsv")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return dict(line.rstrip("\n").split("\t", 1) for line in f)


class Fixture:
    """The generated input tree, made once per test process."""
    root = None
    expected = None

    @classmethod
    def get(cls):
        if cls.root is None:
            cls.root = tempfile.mkdtemp(prefix="grayscale-test-")
            cls.expected = image_cases.write_tree(os.path.join(cls.root, "in"))
        return cls


def check_output(test, input_path, output_path, kind):
    """Compares one output with the luma of its input, by kind of input."""
    with Image.open(output_path) as out:
        out.load()
    if kind == "gray16":
        with Image.open(input_path) as source:
            want = [round(v / 257) for v in source.getdata()]
        got = list(out.getdata())
        test.assertEqual(out.mode, "L")
        test.assertLessEqual(max(abs(a - b) for a, b in zip(got, want)), 1, output_path)
        return
    want = image_cases.expected_luma(input_path)
    test.assertEqual(out.size, want.size, output_path)
    if kind in ("alpha", "alpha_lossy"):
        with Image.open(input_path) as source:
            want_alpha = source.getchannel("A")
        test.assertEqual(out.mode, "LA" if kind == "alpha" else "RGBA", output_path)
        test.assertIsNone(ImageChops.difference(out.getchannel("A"), want_alpha).getbbox(), output_path)
        gray = out.getchannel(0)
        # Colour under fully transparent pixels carries no meaning (lossy WebP drops it).
        visible = want_alpha.point(lambda a: 255 if a > 0 else 0)
        difference = ImageChops.difference(gray, want)
        if kind == "alpha":
            test.assertLessEqual(difference.getextrema()[1], 1, output_path)
        else:
            test.assertLessEqual(ImageStat.Stat(difference, visible).mean[0], 1.5, output_path)
        return
    if output_path.lower().endswith(".webp"):
        test.assertEqual(out.mode, "RGB", output_path)  # WebP has no gray mode: R = G = B
        test.assertIsNone(ImageChops.difference(out.getchannel(0), out.getchannel(2)).getbbox(), output_path)
        out = out.getchannel(0)
    test.assertEqual(out.mode, "L", output_path)
    difference = ImageChops.difference(out, want)
    if kind == "exact":
        test.assertLessEqual(difference.getextrema()[1], 1, output_path)
    elif kind == "rgb16":
        test.assertLessEqual(difference.getextrema()[1], 2, output_path)
    else:
        test.assertLessEqual(ImageStat.Stat(difference).mean[0], 1.5, output_path)


class Conversion(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        fixture = Fixture.get()
        cls.input = os.path.join(fixture.root, "in")
        cls.expected = fixture.expected
        cls.output = os.path.join(fixture.root, "out-auto")
        cls.result = run(cls.input, cls.output)

    def test_exit_status_1_when_some_inputs_fail(self):
        self.assertEqual(self.result.returncode, 1, self.result.stderr)

    def test_every_image_converted_at_its_relative_path_same_name_and_format(self):
        produced = output_files(self.output) - {"grayscale-failures.tsv"}
        self.assertEqual(produced, set(self.expected))

    def test_every_output_has_the_luma_of_its_input(self):
        for relative, kind in self.expected.items():
            with self.subTest(relative):
                check_output(self, os.path.join(self.input, relative), os.path.join(self.output, relative), kind)

    def test_each_failure_reported_once_with_its_reason(self):
        report = read_report(self.output)
        self.assertEqual(set(report), set(image_cases.BAD_FILES))
        for relative, reason in image_cases.BAD_FILES.items():
            self.assertIn(reason, report[relative], relative)
            self.assertEqual(self.result.stderr.count(f"failed: {relative}:"), 1, self.result.stderr)

    def test_summary_line_counts_converted_skipped_failed(self):
        summary = re.search(r"grayscale: (\d+) converted, (\d+) skipped, (\d+) failed; .* MB read, .* MB written; "
                            r".* s, .* images/s, .* MP/s", self.result.stdout)
        self.assertIsNotNone(summary, self.result.stdout)
        self.assertEqual(summary.groups(),
                         (str(len(self.expected)), "0", str(len(image_cases.BAD_FILES))))

    def test_io_modes_give_byte_identical_outputs(self):
        outputs = {"auto": self.output}
        for mode in ("shared", "ship"):
            outputs[mode] = os.path.join(os.path.dirname(self.output), "out-" + mode)
            result = run(self.input, outputs[mode], "--io", mode)
            self.assertEqual(result.returncode, 1, result.stderr)
        for relative in self.expected:
            with open(os.path.join(outputs["auto"], relative), "rb") as f:
                reference = f.read()
            for mode in ("shared", "ship"):
                with open(os.path.join(outputs[mode], relative), "rb") as f:
                    self.assertEqual(f.read(), reference, f"{relative} differs in --io {mode}")
        self.assertEqual(read_report(outputs["ship"]), read_report(outputs["shared"]))


def can_hide_directories():
    """Whether this user may give a process a private mount namespace (root, or user namespaces)."""
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


class IoAuto(unittest.TestCase):
    """--io auto on a worker that does not see INPUT_DIR and OUTPUT_DIR: the last rank runs in a
    private mount namespace with empty file systems mounted over both, as a node without the
    shared file system would be."""

    @unittest.skipUnless(can_hide_directories(), "needs unshare -m (root): not run")
    def test_workers_that_do_not_see_the_files_get_them_shipped(self):
        fixture = Fixture.get()
        source = os.path.join(fixture.root, "in")
        shared = os.path.join(fixture.root, "io-shared")
        auto = os.path.join(fixture.root, "io-hidden")
        self.assertEqual(run(source, shared, "--io", "shared").returncode, 1)
        os.makedirs(auto)
        arguments = [source, auto, "--quiet"]
        hide = f"mount -t tmpfs none '{source}' && mount -t tmpfs none '{auto}' && exec \"$0\" \"$@\""
        result = subprocess.run(
            [MPIEXEC, "--oversubscribe", "--bind-to", "none", "-np", str(int(NP) - 1), GRAYSCALE, *arguments,
             ":", "-np", "1", "unshare", "-m", "sh", "-c", hide, GRAYSCALE, *arguments],
            capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1, result.stderr)
        shipped = re.search(r"grayscale: (\d+) images shipped: some workers do not see", result.stdout)
        self.assertIsNotNone(shipped, result.stdout)
        self.assertGreater(int(shipped.group(1)), 0)
        for relative in Fixture.expected:
            with open(os.path.join(shared, relative), "rb") as f, open(os.path.join(auto, relative), "rb") as g:
                self.assertEqual(f.read(), g.read(), relative)
        self.assertEqual(read_report(auto), read_report(shared))


class Options(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fixture = Fixture.get()
        cls.small = os.path.join(cls.fixture.root, "small")
        os.makedirs(os.path.join(cls.small, "x"), exist_ok=True)
        os.makedirs(os.path.join(cls.small, "y"), exist_ok=True)
        for relative in ("x/p.jpg", "y/p.jpg", "q.png"):
            shutil.copy(os.path.join(cls.fixture.root, "in", "sizes/photo_333x211.jpg" if relative.endswith(".jpg")
                                     else "formats/scene.png"), os.path.join(cls.small, relative))

    def test_exit_status_0_when_all_converted(self):
        result = run(self.small, os.path.join(self.fixture.root, "small-out"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.fixture.root, "small-out", "grayscale-failures.tsv")))

    def test_prefix_names_outputs_as_the_article(self):
        out = os.path.join(self.fixture.root, "small-prefixed")
        result = run(self.small, out, "--prefix", "grayscale_")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(output_files(out), {"x/grayscale_p.jpg", "y/grayscale_p.jpg", "grayscale_q.png"})

    def test_output_dir_inside_input_dir_is_never_taken_as_input(self):
        tree = os.path.join(self.fixture.root, "nested")
        shutil.copytree(self.small, tree)
        for _ in range(2):
            result = run(tree, os.path.join(tree, "out"))
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("3 converted", result.stdout)
        self.assertEqual(output_files(os.path.join(tree, "out")), {"x/p.jpg", "y/p.jpg", "q.png"})

    def test_jpeg_quality_option(self):
        low = os.path.join(self.fixture.root, "small-q20")
        self.assertEqual(run(self.small, low, "--quality", "20").returncode, 0)
        high = os.path.join(self.fixture.root, "small-q95")
        self.assertEqual(run(self.small, high).returncode, 0)
        self.assertLess(os.path.getsize(os.path.join(low, "x/p.jpg")), os.path.getsize(os.path.join(high, "x/p.jpg")))

    def test_max_pixels_refuses_larger_images(self):
        out = os.path.join(self.fixture.root, "small-max")
        result = run(self.small, out, "--max-pixels", "30000")  # the JPEGs are 333 x 211
        self.assertEqual(result.returncode, 1)
        report = read_report(out)
        self.assertEqual(set(report), {"x/p.jpg", "y/p.jpg"})
        self.assertIn("too large", report["x/p.jpg"])

    def test_usage_errors_exit_2(self):
        missing = os.path.join(self.fixture.root, "does-not-exist")
        for arguments in ([missing, os.path.join(self.fixture.root, "o1")],
                          [self.small, self.small],
                          [self.small, os.path.join(self.fixture.root, "o2"), "--quality", "0"],
                          [self.small, os.path.join(self.fixture.root, "o3"), "--io", "carrier-pigeon"],
                          [self.small]):
            with self.subTest(arguments):
                result = subprocess.run([MPIEXEC, "-np", NP, "--oversubscribe", "--bind-to", "none", GRAYSCALE,
                                         *arguments], capture_output=True, text=True, timeout=TIMEOUT)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertRegex(result.stderr, "grayscale: ")


class Resume(unittest.TestCase):
    """Stops a run midway, by SIGKILL to every rank at once (as a crash) or by SIGTERM to every rank
    (as Slurm's scancel), then resumes it."""

    def start_and_stop(self, stop):
        """Starts a run of 60 noise images, calls stop(process) once 3 outputs exist; returns the
        directory, the inputs, the serial reference, the outputs and the process."""
        root = tempfile.mkdtemp(prefix="grayscale-resume-")
        source = os.path.join(root, "in")
        os.makedirs(source)
        # Noise decodes and encodes slowly: the run lasts long enough to be stopped in the middle.
        for i in range(60):
            noise = Image.frombytes("RGB", (900, 700), os.urandom(900 * 700 * 3))
            noise.save(os.path.join(source, f"noise_{i:02d}.jpg"), quality=90)
        reference = os.path.join(root, "reference")
        subprocess.run([GRAYSCALE_SERIAL, source, reference], check=True, capture_output=True, timeout=TIMEOUT)
        out = os.path.join(root, "out")
        process = subprocess.Popen(command(source, out), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        finals = set()
        while time.monotonic() < deadline and process.poll() is None:
            finals = {f for f in output_files(out) if f.endswith(".jpg") and not f.startswith(".")} \
                if os.path.isdir(out) else set()
            if len(finals) >= 3:
                break
            time.sleep(0.002)
        stop(process)
        return root, source, reference, out, process

    def test_resume_after_kill_finishes_only_the_rest_with_no_partial_file(self):
        root, source, reference, out, process = self.start_and_stop(lambda p: kill_session(p.pid))
        process.communicate(timeout=TIMEOUT)
        self.check_then_resume(root, source, reference, out)

    def test_sigterm_to_every_rank_stops_cleanly_and_resume_finishes(self):
        def terminate_ranks(process):
            with open(f"/proc/{process.pid}/task/{process.pid}/children") as f:
                for child in f.read().split():
                    os.kill(int(child), signal.SIGTERM)
        root, source, reference, out, process = self.start_and_stop(terminate_ranks)
        output, _ = process.communicate(timeout=TIMEOUT)
        self.assertEqual(process.returncode, 128 + signal.SIGTERM, output)
        self.assertRegex(output, r"grayscale: \d+ converted, 0 skipped, 0 failed")
        self.assertRegex(output, r"grayscale: interrupted by SIGTERM; \d+ images not converted .*"
                                 r"rerun with --resume")
        self.check_then_resume(root, source, reference, out)

    def check_then_resume(self, root, source, reference, out):
        done = {f for f in output_files(out) if not f.startswith(".")}
        self.assertLess(len(done), 60, "the run finished before it could be killed: make the set larger")
        self.assertGreater(len(done), 0)
        # Whatever is at a final name is the whole output.
        stamps = {}
        for relative in done:
            path = os.path.join(out, relative)
            with open(path, "rb") as f, open(os.path.join(reference, relative), "rb") as g:
                self.assertEqual(f.read(), g.read(), f"{relative} is not complete after the kill")
            info = os.stat(path)
            stamps[relative] = (info.st_ino, info.st_mtime_ns)
        result = run(source, out, "--resume")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"{60 - len(done)} converted, {len(done)} skipped, 0 failed", result.stdout)
        # Nothing done before was redone, everything is there, and no temporary is left.
        for relative, stamp in stamps.items():
            info = os.stat(os.path.join(out, relative))
            self.assertEqual((info.st_ino, info.st_mtime_ns), stamp, f"{relative} was rewritten")
        self.assertEqual(output_files(out), output_files(reference), "missing outputs or temporaries left")
        for relative in output_files(reference):
            with open(os.path.join(out, relative), "rb") as f, open(os.path.join(reference, relative), "rb") as g:
                self.assertEqual(f.read(), g.read(), relative)
        shutil.rmtree(root)


if __name__ == "__main__":
    try:
        unittest.main(verbosity=2)
    finally:
        if Fixture.root:
            shutil.rmtree(Fixture.root, ignore_errors=True)
