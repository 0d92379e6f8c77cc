#!/usr/bin/python3
# grayscale's promises, checked from the outside under mpirun: one test per promised behaviour.
# Usage: test_grayscale.py GRAYSCALE GRAYSCALE_SERIAL MPIEXEC NP [unittest names...]
# Images are generated here (image_cases.py); every output's pixels are compared with PIL's
# convert('L') of its input.
import csv
import ctypes
import errno
import json
import os
import pty
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from PIL import Image, ImageChops, ImageStat

import image_cases

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "profile"))
import check_phases  # noqa: E402  (tests/profile: the start-up and close phases' checks)

GRAYSCALE, GRAYSCALE_SERIAL, MPIEXEC, NP = sys.argv[1:5]
del sys.argv[1:5]
TIMEOUT = 120


def command(input_dir, output_dir, *options, grayscale=GRAYSCALE):
    return [MPIEXEC, "-np", NP, "--oversubscribe", "--bind-to", "none", grayscale,
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
        want_alpha = image_cases.displayed(input_path).getchannel("A")
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


class Profile(unittest.TestCase):
    """--profile accounts for every image once, the ones rank 0 converts while MPI starts included."""

    @classmethod
    def setUpClass(cls):
        fixture = Fixture.get()
        cls.input = os.path.join(fixture.root, "in")
        cls.runs = {}
        for mode in ("shared", "ship"):
            output = os.path.join(fixture.root, f"out-profile-{mode}")
            profile = os.path.join(fixture.root, f"profile-{mode}")
            cls.runs[mode] = (run(cls.input, output, "--io", mode, "--profile", profile), profile)

    def counts(self, result):
        """(converted, failed) as grayscale reported them."""
        self.assertEqual(result.returncode, 1, result.stderr)  # image_cases' bad files
        counts = re.search(r"grayscale: (\d+) converted, 0 skipped, (\d+) failed", result.stdout)
        self.assertIsNotNone(counts, result.stdout)
        return int(counts.group(1)), int(counts.group(2))

    @staticmethod
    def trace(profile):
        with open(os.path.join(profile, "trace.json")) as f:
            return [e for e in json.load(f)["traceEvents"] if e.get("ph") == "X"]

    def test_every_output_has_the_same_task_records(self):
        for mode, (result, profile) in self.runs.items():
            with self.subTest(mode):
                with open(os.path.join(profile, "tasks.csv"), newline="") as f:
                    rows = [row for row in csv.DictReader(f) if row["function"] == "convert_images"]
                items = sum(int(row["items"]) for row in rows)
                self.assertGreater(items, 0)
                self.assertTrue(all(float(row["start_s"]) >= 0 for row in rows), rows)
                with open(os.path.join(profile, "summary.txt")) as f:
                    summary = f.read()
                line = re.search(r"^\s*(\d+)\s.*\sconvert_images$", summary, re.M)
                self.assertIsNotNone(line, summary)
                self.assertEqual(int(line.group(1)), items, summary)
                with open(os.path.join(profile, "report.html")) as f:
                    row = re.search(r"</span>convert_images</td><td>(\d+)</td>", f.read())
                self.assertIsNotNone(row)
                self.assertEqual(int(row.group(1)), items)
                slices = [e for e in self.trace(profile) if e.get("cat") == "task"]
                self.assertEqual(sum(e["args"].get("items", 1) for e in slices), items)

    def test_one_span_of_each_stage_per_image(self):
        for mode, (result, profile) in self.runs.items():
            with self.subTest(mode):
                converted, failed = self.counts(result)
                spans = {}
                for event in self.trace(profile):
                    if event.get("cat") == "span":
                        spans[event["name"]] = spans.get(event["name"], 0) + 1
                # Every image is read; those that fail stop at their stage; the rest go through all.
                self.assertEqual(spans.get("read"), converted + failed, spans)
                for stage in ("convert", "encode", "write"):
                    self.assertEqual(spans.get(stage), converted, f"{stage}: {spans}")
                self.assertGreaterEqual(spans.get("decode"), converted, spans)
                # Shipped, the driver packs each image the ranks convert into its request once,
                # read or not; the head start's images (task id 0) convert in place, unshipped.
                with open(os.path.join(profile, "tasks.csv"), newline="") as f:
                    head_start = sum(int(row["items"]) for row in csv.DictReader(f)
                                     if row["function"] == "convert_images" and row["task_id"] == "0")
                shipped = converted + failed - head_start if mode == "ship" else 0
                self.assertEqual(spans.get("ship", 0), shipped, spans)
                if mode == "ship" and int(NP) > 1:
                    self.assertGreater(shipped, 0)  # or the check proves nothing

    def test_every_conversion_lies_inside_a_task_record_on_its_row(self):
        # The images rank 0 converts while MPI starts included: their decode spans lie in the
        # head start's task records, on the head start's row.
        for mode, (result, profile) in self.runs.items():
            with self.subTest(mode):
                events = self.trace(profile)
                tasks = {}
                for e in events:
                    if e.get("cat") == "task":
                        tasks.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
                decodes = [e for e in events if e.get("cat") == "span" and e["name"] == "decode"]
                self.assertGreater(len(decodes), 0)
                for span in decodes:
                    start, end = span["ts"], span["ts"] + span["dur"]
                    inside = [t for t in tasks.get((span["pid"], span["tid"]), []) if t[0] <= start and end <= t[1]]
                    self.assertEqual(len(inside), 1, span)

    def test_start_up_and_close_phases_in_order_on_every_rank(self):
        for mode, (result, profile) in self.runs.items():
            with self.subTest(mode):
                check_phases.check(*check_phases.read(profile), int(NP))

    def test_the_phase_check_fails_on_a_broken_profile(self):
        # The check must be able to fail: MPI_Init moved after the exchange of hosts on the last
        # rank, then a summary without its phase table.
        trace, summary, html = check_phases.read(self.runs["shared"][1])
        last = int(NP) - 1
        mine = {e["name"]: e for e in trace["traceEvents"]
                if e.get("cat") == "phase" and e["args"]["rank"] == last}
        mine["MPI_Init"]["ts"] = mine["communicator and hosts"]["ts"] + 1
        with self.assertRaisesRegex(check_phases.PhaseError, f"rank {last}: phases"):
            check_phases.check_trace(trace, int(NP))
        broken = summary.replace("Start-up and close", "Start-up")
        with self.assertRaisesRegex(check_phases.PhaseError, "no start-up and close table"):
            check_phases.check_tables(broken, html, int(NP))


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

    def test_a_tree_without_images_says_so_and_exits_0(self):
        empty = os.path.join(self.fixture.root, "no-images")
        os.makedirs(os.path.join(empty, "photos.jpg"))  # a directory named like an image
        with open(os.path.join(empty, "notes.txt"), "w") as f:
            f.write("not an image\n")
        result = run(empty, os.path.join(self.fixture.root, "no-images-out"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"grayscale: no images under {os.path.realpath(empty)} (", result.stderr)
        self.assertIn("0 converted, 0 skipped, 0 failed", result.stdout)

    def test_help_and_a_bad_io_mode_name_the_modes_in_plain_text(self):
        help_text = subprocess.run([GRAYSCALE, "--help"], capture_output=True, timeout=TIMEOUT)
        self.assertEqual(help_text.returncode, 0)
        self.assertIn(b"--io TEXT:{auto,shared,ship}=auto", help_text.stdout)
        self.assertNotRegex(help_text.stdout, rb"[\x00-\x08\x0b-\x1f]", "control characters in --help")
        bad = subprocess.run([GRAYSCALE, self.small, os.path.join(self.fixture.root, "o4"), "--io", "carrier-pigeon"],
                             capture_output=True, timeout=TIMEOUT)
        self.assertEqual(bad.returncode, 2)
        self.assertIn(b"grayscale: --io: carrier-pigeon not in {auto,shared,ship}\n", bad.stderr)

    def test_io_mode_names_in_any_letter_case(self):
        out = os.path.join(self.fixture.root, "small-ship-upper")
        result = run(self.small, out, "--io", "SHIP")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(output_files(out), {"x/p.jpg", "y/p.jpg", "q.png"})

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


def write_noise_images(source, count, width=900, height=700):
    """Noise decodes and encodes slowly, and compresses badly: a run over these lasts long enough
    to be interrupted in the middle, and its outputs fill a small disk."""
    os.makedirs(source)
    for i in range(count):
        noise = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
        noise.save(os.path.join(source, f"noise_{i:02d}.jpg"), quality=90)


def serial_reference(source, reference):
    subprocess.run([GRAYSCALE_SERIAL, source, reference], check=True, capture_output=True, timeout=TIMEOUT)


def finished_outputs(out):
    """Outputs at their final names (temporaries start with a dot)."""
    if not os.path.isdir(out):
        return set()
    return {f for f in output_files(out) if not os.path.basename(f).startswith(".")}


def wait_for_outputs(process, out, count):
    """Waits until `count` outputs are finished, or the run ends; returns whether it still runs."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if len({f for f in finished_outputs(out) if f.endswith(".jpg")}) >= count:
            return True
        time.sleep(0.002)
    return process.poll() is None


def wait_until_handling(pid, signum, seconds=60):
    """Waits until process `pid` has a handler for `signum` (its SigCgt mask in /proc)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/status") as f:
            caught = next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt:"))
        if caught & (1 << (signum - 1)):
            return
        time.sleep(0.005)
    raise AssertionError(f"process {pid} never installed a handler for signal {signum}")


def run_on_terminal(argv, seconds=TIMEOUT):
    """Runs argv with its stderr on a new pseudo-terminal (as a user at a terminal sees it) and its
    stdout on a pipe; returns (exit status, stdout, everything written to the terminal)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    terminal = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every process holding the terminal has ended
                break
            if not chunk:
                break
            terminal += chunk
        stdout, _ = process.communicate(timeout=max(1, deadline - time.monotonic()))
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    return process.returncode, stdout.decode(), terminal.decode(errors="replace")


class Progress(unittest.TestCase):
    """Rank 0's progress display: a bar when stderr reaches a terminal (under mpirun too, whose
    ranks write to a pipe), plain lines otherwise, nothing with --quiet."""
    IMAGES = 40
    BAR = re.compile(r"\r\[([#.]{30})\] (\d+)/(\d+) files  [0-9.]+ MB/s  (ETA \d+:\d\d:\d\d|done)\x1b\[K")
    LINE = re.compile(r"^grayscale: (\d+)/(\d+) files, [0-9.]+ MB/s, ETA \d+:\d\d:\d\d$")

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="grayscale-progress-")
        cls.source = os.path.join(cls.root, "in")
        # Slow enough (noise) that the run outlasts the bar's first redraw, 0.1 s in.
        write_noise_images(cls.source, cls.IMAGES)
        open(os.path.join(cls.source, "empty.jpg"), "wb").close()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def progress_command(self, out, *options):
        return [option for option in command(self.source, os.path.join(self.root, out), *options)
                if option != "--quiet"]

    def test_bar_redrawn_on_the_terminal_that_mpirun_writes_to(self):
        status, stdout, terminal = run_on_terminal(self.progress_command("out-bar"))
        self.assertEqual(status, 1, terminal)  # empty.jpg fails
        bars = self.BAR.findall(terminal)
        self.assertTrue(bars, f"no progress bar on the terminal: {terminal!r}")
        total = self.IMAGES + 1
        self.assertTrue(all(int(bar[2]) == total for bar in bars), bars)
        counts = [int(bar[1]) for bar in bars]
        self.assertEqual(counts, sorted(counts), "files done went backwards")
        # The last drawing is the whole bar, done, and the line is ended for what follows.
        self.assertEqual(bars[-1], ("#" * 30, str(total), str(total), "done"))
        self.assertRegex(terminal, r"done\x1b\[K\r?\n")
        self.assertNotRegex(terminal, r"grayscale: \d+/\d+ files,", "plain progress lines on a terminal")
        self.assertIn(f"{self.IMAGES} converted, 0 skipped, 1 failed", stdout)

    def test_failure_line_starts_at_column_0_under_the_bar(self):
        _, _, terminal = run_on_terminal(self.progress_command("out-failure"))
        # Printed before any bar, after a line, or after the bar was wiped (carriage return, erase).
        self.assertRegex(terminal, r"(^|\n|\r\x1b\[K)grayscale: failed: empty\.jpg: empty file\r?\n")

    def test_plain_lines_when_stderr_is_not_a_terminal(self):
        result = subprocess.run(self.progress_command("out-plain", "--progress-interval", "0"),
                                capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertNotIn("\r", result.stderr)
        self.assertNotIn("\x1b", result.stderr)
        lines = [line for line in result.stderr.splitlines() if self.LINE.match(line)]
        # An interval of 0: one line per file, done/total counting up to the whole job.
        total = self.IMAGES + 1
        self.assertEqual([self.LINE.match(line).groups() for line in lines],
                         [(str(done), str(total)) for done in range(1, total + 1)], result.stderr)

    def test_quiet_shows_no_progress(self):
        status, _, terminal = run_on_terminal(command(self.source, os.path.join(self.root, "out-quiet")))
        self.assertEqual(status, 1, terminal)
        self.assertNotRegex(terminal, r"files( |,)", "progress shown despite --quiet")
        self.assertIn("grayscale: failed: empty.jpg: empty file", terminal)


class Resume(unittest.TestCase):
    """Stops a run midway, by SIGKILL to every rank at once (as a crash) or by SIGTERM to every rank
    (as Slurm's scancel), then resumes it."""

    def start_and_stop(self, stop):
        """Starts a run of 60 noise images, calls stop(process) once 3 outputs exist; returns the
        directory, the inputs, the serial reference, the outputs and the process."""
        root = tempfile.mkdtemp(prefix="grayscale-resume-")
        source = os.path.join(root, "in")
        write_noise_images(source, 60)
        reference = os.path.join(root, "reference")
        serial_reference(source, reference)
        out = os.path.join(root, "out")
        process = subprocess.Popen(command(source, out), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, start_new_session=True)
        wait_for_outputs(process, out, 3)
        stop(process)
        return root, source, reference, out, process

    def test_resume_after_kill_finishes_only_the_rest_with_no_partial_file(self):
        root, source, reference, out, process = self.start_and_stop(lambda p: kill_session(p.pid))
        process.communicate(timeout=TIMEOUT)
        self.check_then_resume(root, source, reference, out)

    def test_sigterm_to_every_rank_stops_cleanly_and_resume_finishes(self):
        def terminate_ranks(process):
            with open(f"/proc/{process.pid}/task/{process.pid}/children") as f:
                ranks = [int(child) for child in f.read().split()]
            # The driver converts before MPI is up, so outputs can exist before a worker's main()
            # has run; a signal to a process not yet in main() kills it whatever the program does.
            # Like a real scancel a moment later, this one waits until each rank handles SIGTERM.
            for rank in ranks:
                wait_until_handling(rank, signal.SIGTERM)
            for rank in ranks:
                os.kill(rank, signal.SIGTERM)
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


class SmallFiles(unittest.TestCase):
    """A tree of many small images: grouped into tasks of several images each, every one still
    converted, failed, reported and resumed on its own."""
    IMAGES = 400
    BROKEN = "b/c/broken.jpg"

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="grayscale-small-")
        cls.source = os.path.join(cls.root, "in")
        rng = random.Random(7)
        for i in range(cls.IMAGES):
            relative = os.path.join("a" if i % 2 else "b/c", f"small_{i:03d}.jpg")
            os.makedirs(os.path.join(cls.source, os.path.dirname(relative)), exist_ok=True)
            coarse = Image.frombytes("RGB", (4, 3), rng.randbytes(4 * 3 * 3))
            coarse.resize((32, 24), Image.Resampling.BICUBIC).save(os.path.join(cls.source, relative), quality=90)
        # Cut short, about the size of the others: it lands among them in the list, inside a task.
        with open(os.path.join(cls.source, "a", "small_001.jpg"), "rb") as f:
            whole = f.read()
        with open(os.path.join(cls.source, cls.BROKEN), "wb") as f:
            f.write(whole[: len(whole) * 3 // 4])
        cls.reference = os.path.join(cls.root, "reference")
        subprocess.run([GRAYSCALE_SERIAL, cls.source, cls.reference], capture_output=True, timeout=TIMEOUT)
        cls.out = os.path.join(cls.root, "out")
        cls.profile = os.path.join(cls.root, "profile")
        cls.result = run(cls.source, cls.out, "--profile", cls.profile)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def test_every_small_image_converted_exactly(self):
        self.assertEqual(self.result.returncode, 1, self.result.stderr)  # the broken one
        self.assertEqual(output_files(self.out) - {"grayscale-failures.tsv"}, output_files(self.reference))
        self.assertEqual(len(output_files(self.reference)), self.IMAGES)
        for relative in output_files(self.reference):
            with open(os.path.join(self.out, relative), "rb") as f, \
                    open(os.path.join(self.reference, relative), "rb") as g:
                self.assertEqual(f.read(), g.read(), relative)

    def test_tasks_hold_several_images(self):
        with open(os.path.join(self.profile, "tasks.csv"), newline="") as f:
            # Task id 0: the images of the driver's head start, which converts up to 1/NP of them
            # one by one before MPI is up (a record each); the ranks convert the rest, several per task.
            tasks = [row for row in csv.DictReader(f) if "convert_images" in row["function"] and row["task_id"] != "0"]
        self.assertGreater(len(tasks), 0)
        self.assertLessEqual(len(tasks), self.IMAGES // 4, f"{len(tasks)} tasks for {self.IMAGES} images")

    def test_a_failing_image_is_reported_by_name_and_the_rest_converted(self):
        self.assertEqual(set(read_report(self.out)), {self.BROKEN})
        self.assertIn("truncated", read_report(self.out)[self.BROKEN])
        self.assertEqual(self.result.stderr.count(f"failed: {self.BROKEN}:"), 1, self.result.stderr)
        self.assertIn(f"{self.IMAGES} converted, 0 skipped, 1 failed", self.result.stdout)

    def test_resume_converts_only_the_missing_images(self):
        out = os.path.join(self.root, "out-resume")
        shutil.copytree(self.out, out)
        removed = sorted(output_files(self.reference))[::8]
        for relative in removed:
            os.remove(os.path.join(out, relative))
        kept = {relative: os.stat(os.path.join(out, relative)).st_mtime_ns
                for relative in output_files(self.reference) if relative not in removed}
        result = run(self.source, out, "--resume")
        self.assertEqual(result.returncode, 1, result.stderr)  # the broken one, again
        self.assertIn(f"{len(removed)} converted, {len(kept)} skipped, 1 failed", result.stdout)
        for relative, stamp in kept.items():
            self.assertEqual(os.stat(os.path.join(out, relative)).st_mtime_ns, stamp, f"{relative} was rewritten")
        for relative in removed:
            with open(os.path.join(out, relative), "rb") as f, open(os.path.join(self.reference, relative), "rb") as g:
                self.assertEqual(f.read(), g.read(), relative)


NOBODY = 65534


def unprivileged(argv):
    """argv run as nobody when the tests run as root, for whom permission bits do not apply."""
    if os.geteuid() != 0:
        return argv
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]


def give_to_nobody(path):
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)


def stamps(root):
    """Every file under root with its inode, mtime and bytes: what "nothing lost or rewritten" compares."""
    found = {}
    for relative in output_files(root):
        path = os.path.join(root, relative)
        info = os.stat(path)
        with open(path, "rb") as f:
            found[relative] = (info.st_ino, info.st_mtime_ns, f.read())
    return found


def small_tree(root):
    """Three small images (x/p.jpg, y/p.jpg, q.png) under root/in, readable by everybody."""
    fixture = Fixture.get()
    source = os.path.join(root, "in")
    for relative, model in (("x/p.jpg", "sizes/photo_333x211.jpg"), ("y/p.jpg", "sizes/photo_333x211.jpg"),
                            ("q.png", "formats/scene.png")):
        os.makedirs(os.path.dirname(os.path.join(source, relative)), exist_ok=True)
        shutil.copy(os.path.join(fixture.root, "in", model), os.path.join(source, relative))
    return source


def nobody_may(test, path):
    """Whether the user of unprivileged runs passes `test TEST PATH` (-r: may read, -x: may run or
    enter): asked of that user, so every directory on the way counts, not only the file's mode."""
    return subprocess.run(unprivileged(["test", test, path])).returncode == 0


def private_directory(prefix):
    """A fresh directory that an unprivileged run can walk into."""
    root = tempfile.mkdtemp(prefix=prefix)
    os.chmod(root, 0o755)
    if not nobody_may("-x", root):
        raise AssertionError(f"user {NOBODY} cannot enter {root}: set TMPDIR to a directory everybody can reach")
    return root


class UnprivilegedGrayscale:
    """What an unprivileged run starts from, wherever the checkout lives: a working directory the
    user can enter (mpirun fails at start-up in one it cannot), and a grayscale with its plugins
    that it can run. A checkout under a private home (root's, mode 700) has neither: there the
    build's grayscale and the plugins beside it (lib/*.so) are copied into a fresh directory."""
    root = None
    grayscale = None

    @classmethod
    def get(cls):
        if cls.root is None:
            cls.root = private_directory("grayscale-unprivileged-")
            build = os.path.dirname(os.path.dirname(GRAYSCALE))
            plugins = [os.path.join(build, "lib", name) for name in os.listdir(os.path.join(build, "lib"))
                       if name.endswith(".so")]
            if nobody_may("-x", GRAYSCALE) and all(nobody_may("-r", plugin) for plugin in plugins):
                cls.grayscale = GRAYSCALE
            else:
                # The same layout: grayscale looks for its plugins in lib/ beside its bin/.
                cls.grayscale = cls.copy_for_everybody(GRAYSCALE, "bin", 0o755)
                for plugin in plugins:
                    cls.copy_for_everybody(plugin, "lib", 0o644)
        return cls

    @classmethod
    def copy_for_everybody(cls, path, directory, mode):
        os.makedirs(os.path.join(cls.root, directory), exist_ok=True)
        os.chmod(os.path.join(cls.root, directory), 0o755)
        copy = shutil.copy(path, os.path.join(cls.root, directory))
        os.chmod(copy, mode)
        return copy


def run_unprivileged(input_dir, output_dir, *options):
    unprivileged_grayscale = UnprivilegedGrayscale.get()
    argv = command(input_dir, output_dir, *options, grayscale=unprivileged_grayscale.grayscale)
    return subprocess.run(unprivileged(argv), cwd=unprivileged_grayscale.root, capture_output=True, text=True,
                          timeout=TIMEOUT)


class Unreadable(unittest.TestCase):
    """An input file its user may not read (mode 000, run as nobody)."""

    def test_unreadable_file_fails_alone_with_its_path_and_reason(self):
        root = private_directory("grayscale-unreadable-")
        source = small_tree(root)
        locked = os.path.join(source, "locked.jpg")
        shutil.copy(os.path.join(source, "x/p.jpg"), locked)
        os.chmod(locked, 0)
        # The workers read it (shared), the driver reads it (ship), or the worker does after its probe (auto).
        for mode in ("shared", "ship", "auto"):
            with self.subTest(mode):
                out = os.path.join(root, "out-" + mode)
                os.makedirs(out)
                give_to_nobody(out)
                result = run_unprivileged(source, out, "--io", mode)
                self.assertEqual(result.returncode, 1, result.stderr)
                message = f"grayscale: failed: locked.jpg: cannot open {locked}: Permission denied"
                self.assertEqual(result.stderr.count("failed:"), 1, result.stderr)
                self.assertIn(message, result.stderr)
                self.assertIn("3 converted, 0 skipped, 1 failed", result.stdout)
                self.assertEqual(finished_outputs(out), {"x/p.jpg", "y/p.jpg", "q.png", "grayscale-failures.tsv"})
                self.assertIn("Permission denied", read_report(out)["locked.jpg"])
        shutil.rmtree(root)


class OutputNotWritable(unittest.TestCase):
    """OUTPUT_DIR that cannot be used is found before any work: one message, nothing in it
    touched; exit status 2 when it names a file (a usage error), 1 when it cannot be created or
    written. A part of OUTPUT_DIR that cannot be written fails its own images."""

    @classmethod
    def setUpClass(cls):
        cls.root = private_directory("grayscale-unwritable-")
        cls.source = small_tree(cls.root)

    @classmethod
    def tearDownClass(cls):
        for directory, _, _ in os.walk(cls.root):
            os.chmod(directory, 0o755)
        shutil.rmtree(cls.root)

    def assert_refused(self, result, pattern, status):
        self.assertEqual(result.returncode, status, result.stderr)
        self.assertRegex(result.stderr, pattern)
        self.assertEqual(result.stderr.count("grayscale:"), 1, result.stderr)
        self.assertNotIn("converted", result.stdout)

    def test_output_dir_that_is_a_regular_file_is_a_usage_error(self):
        target = os.path.join(self.root, "a-file")
        with open(target, "wb") as f:
            f.write(b"keep me")
        result = run(self.source, target)
        self.assert_refused(result, f"grayscale: OUTPUT_DIR {re.escape(target)} exists and is not a directory", 2)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"keep me")

    def test_output_dir_under_a_read_only_place_fails_the_run(self):
        locked = os.path.join(self.root, "locked-parent")
        os.makedirs(locked)
        os.chmod(locked, 0o555)
        target = os.path.join(locked, "out")
        result = run_unprivileged(self.source, target)
        self.assert_refused(result, f"grayscale: cannot create OUTPUT_DIR {re.escape(target)}: Permission denied", 1)
        self.assertEqual(os.listdir(locked), [])

    def test_read_only_output_dir_is_refused_up_front_and_its_files_kept(self):
        out = os.path.join(self.root, "read-only-out")
        self.assertEqual(run(self.source, out).returncode, 0)
        os.remove(os.path.join(out, "q.png"))
        os.chmod(out, 0o555)
        before = stamps(out)
        result = run_unprivileged(self.source, out, "--resume")
        self.assert_refused(result, f"grayscale: OUTPUT_DIR is not writable: cannot create files in "
                                    f"{re.escape(out)}: Permission denied", 1)
        self.assertEqual(stamps(out), before)

    def test_read_only_subdirectory_fails_its_images_only(self):
        out = os.path.join(self.root, "part-read-only-out")
        os.makedirs(os.path.join(out, "x"))
        os.chmod(os.path.join(out, "x"), 0o555)
        give_to_nobody(out)
        result = run_unprivileged(self.source, out)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(result.stderr.count("failed:"), 1, result.stderr)
        self.assertRegex(result.stderr, r"grayscale: failed: x/p.jpg: cannot create \S*/x/\.p\.jpg\.[0-9a-f]+"
                                        r"\.grayscale-partial: Permission denied")
        self.assertIn("2 converted, 0 skipped, 1 failed", result.stdout)
        self.assertEqual(output_files(out), {"y/p.jpg", "q.png", "grayscale-failures.tsv"})


def private_mount_namespace():
    """Moves this test process (and so every process it starts) into a mount namespace of its own,
    with no propagation to the host, so the small disks it mounts are seen by no one else."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)


def fill_disk(directory):
    """Writes a filler file into `directory` until its file system has no space left."""
    with open(os.path.join(directory, "filler"), "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise


class DiskFull(unittest.TestCase):
    """OUTPUT_DIR is a 1 MiB tmpfs that holds about 5 of the 12 outputs (180 kB each); then it grows to
    64 MiB and the run is resumed. Then OUTPUT_DIR is a disk that is full before the run starts."""

    @classmethod
    def setUpClass(cls):
        if not can_hide_directories():
            raise unittest.SkipTest("needs unshare -m (root): not run")
        cls.root = tempfile.mkdtemp(prefix="grayscale-disk-full-")
        source = os.path.join(cls.root, "in")
        write_noise_images(source, 12, 500, 400)
        cls.reference = os.path.join(cls.root, "reference")
        serial_reference(source, cls.reference)
        cls.out = os.path.join(cls.root, "out")
        os.makedirs(cls.out)
        private_mount_namespace()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "grayscale-test", cls.out], check=True)
        try:
            cls.full = run(source, cls.out)
            cls.after_full = stamps(cls.out)
            subprocess.run(["mount", "-o", "remount,size=64m", cls.out], check=True)
            cls.resumed = run(source, cls.out, "--resume")
            cls.after_resume = stamps(cls.out)
            fill_disk(cls.out)
            cls.no_room = {mode: run(source, os.path.join(cls.out, mode), "--io", mode) for mode in ("shared", "auto")}
            cls.after_no_room = {f for f in output_files(cls.out) if f.startswith(("shared/", "auto/"))}
        finally:
            subprocess.run(["umount", cls.out], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root)

    def test_outputs_that_fit_are_complete_the_others_fail_once_each_with_no_space_left(self):
        self.assertEqual(self.full.returncode, 1, self.full.stderr)
        written = {f for f in self.after_full if f.endswith(".jpg")}
        self.assertGreater(len(written), 0, "nothing fitted: make the disk larger")
        for relative in written:
            with open(os.path.join(self.reference, relative), "rb") as f:
                self.assertEqual(self.after_full[relative][2], f.read(), f"{relative} is not complete")
        missing = output_files(self.reference) - written
        self.assertGreater(len(missing), 0, "everything fitted: make the disk smaller")
        for relative in missing:
            self.assertEqual(len(re.findall(rf"failed: {re.escape(relative)}: .*: No space left on device",
                                            self.full.stderr)), 1, self.full.stderr)
        self.assertEqual(self.full.stderr.count("failed:"), len(missing), self.full.stderr)
        self.assertIn(f"{len(written)} converted, 0 skipped, {len(missing)} failed", self.full.stdout)

    def test_full_disk_leaves_no_temporary(self):
        self.assertEqual({f for f in self.after_full if os.path.basename(f).startswith(".")}, set())

    def test_resume_on_a_larger_disk_converts_exactly_the_rest(self):
        written = {f for f in self.after_full if f.endswith(".jpg")}
        total = len(output_files(self.reference))
        self.assertEqual(self.resumed.returncode, 0, self.resumed.stderr)
        self.assertIn(f"{total - len(written)} converted, {len(written)} skipped, 0 failed", self.resumed.stdout)
        self.assertEqual(set(self.after_resume), output_files(self.reference), "missing outputs or temporaries")
        for relative, (inode, mtime, data) in self.after_resume.items():
            with open(os.path.join(self.reference, relative), "rb") as f:
                self.assertEqual(data, f.read(), relative)
            if relative in written:
                self.assertEqual((inode, mtime), self.after_full[relative][:2], f"{relative} was rewritten")


    def test_full_disk_from_the_start_fails_each_image_and_says_the_report_is_not_written(self):
        result = self.no_room["shared"]  # the workers write: nothing is written before the first image
        self.assertEqual(result.returncode, 1, result.stderr)
        for relative in output_files(self.reference):
            self.assertEqual(len(re.findall(rf"failed: {re.escape(relative)}: .*: No space left on device",
                                            result.stderr)), 1, result.stderr)
        self.assertRegex(result.stderr, r"grayscale: cannot write the failure report: .*: No space left on device")
        self.assertIn("0 converted, 0 skipped, 12 failed", result.stdout)
        self.assertNotIn("failures listed in", result.stdout)
        self.assertEqual(self.after_no_room, set())

    def test_full_disk_from_the_start_stops_an_auto_run_with_one_message(self):
        result = self.no_room["auto"]  # its first write is the probe
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertRegex(result.stderr, r"(?m)^grayscale: stopped: cannot write \S+/auto/\.grayscale-io-probe-"
                                        r"[0-9a-f]+: No space left on device$")
        self.assertEqual(result.stderr.count("grayscale:"), 1, result.stderr)


def rank_pid(mpirun_pid, rank):
    """The pid of a rank among mpirun's children, by the rank number Open MPI puts in its environment."""
    wanted = f"OMPI_COMM_WORLD_RANK={rank}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            if parent != mpirun_pid:
                continue
            with open(f"/proc/{entry}/environ", "rb") as f:
                if wanted in f.read().split(b"\0"):
                    return int(entry)
        except (OSError, ValueError, IndexError):
            continue
    return None


def stop_while_writing(pid, deadline):
    """Stops `pid` again and again (SIGSTOP, a look at its open files, SIGCONT) until it is caught
    with an output temporary open, and leaves it stopped there; returns that temporary's path, or
    None at the deadline (the process then runs on)."""
    while time.monotonic() < deadline:
        os.kill(pid, signal.SIGSTOP)
        while True:  # SIGSTOP is asynchronous: look only once the process is stopped
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "T":
                    break
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.endswith(".grayscale-partial"):
                return target
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.001)
    return None


class WorkerKilled(unittest.TestCase):
    """Worker rank 1 is SIGKILLed in the middle of writing an output (so it leaves a temporary),
    once a few outputs exist, in a run of slow images on 3 ranks. Enough of them that the run is
    far from done when rank 1 is caught: without recovery, the images left must outnumber what
    the others convert while mpirun tears the job down (150 no longer did once a rank's start-up
    and conversion got faster: all 150 were done by then in one CI run)."""

    IMAGES = 300

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="grayscale-worker-killed-")
        cls.source = os.path.join(cls.root, "in")
        write_noise_images(cls.source, cls.IMAGES)
        cls.reference = os.path.join(cls.root, "reference")
        serial_reference(cls.source, cls.reference)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root)

    def start_and_kill_rank_1(self, out, *mpirun_options):
        argv = command(self.source, out)
        argv[1:1] = mpirun_options
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        try:
            self.assertTrue(wait_for_outputs(process, out, 3), "the run ended before a worker could be killed")
            victim = rank_pid(process.pid, 1)
            self.assertIsNotNone(victim, "rank 1's process not found among mpirun's children")
            temporary = stop_while_writing(victim, time.monotonic() + 30)
            self.assertIsNotNone(temporary, "rank 1 was never caught writing an output")
            self.assertLess(len(finished_outputs(out)), self.IMAGES - 20, "too late: the run is nearly over")
            os.kill(victim, signal.SIGKILL)
            self.assertTrue(os.path.exists(temporary), "the killed rank left no temporary to clean")
            stdout, stderr = process.communicate(timeout=TIMEOUT)
        finally:
            kill_session(process.pid)
            process.wait()
        return process.returncode, stdout, stderr

    def assert_all_converted_and_no_temporary(self, out):
        self.assertEqual(output_files(out), output_files(self.reference), "missing outputs or temporaries left")
        for relative in output_files(self.reference):
            with open(os.path.join(out, relative), "rb") as f, open(os.path.join(self.reference, relative), "rb") as g:
                self.assertEqual(f.read(), g.read(), relative)

    def test_with_recovery_the_survivors_convert_every_image(self):
        out = os.path.join(self.root, "out-recovery")
        status, stdout, stderr = self.start_and_kill_rank_1(out, "--enable-recovery")
        self.assertEqual(status, 0, stderr)
        # The runtime's log goes to stderr, the summary to stdout.
        self.assertRegex(stderr, r"worker rank 1 \([^)]+\) is lost: its process [0-9]+ is gone")
        self.assertIn(f"{self.IMAGES} converted, 0 skipped, 0 failed", stdout)
        self.assert_all_converted_and_no_temporary(out)

    def test_without_recovery_a_resume_converts_exactly_the_rest(self):
        out = os.path.join(self.root, "out-no-recovery")
        status, _, stderr = self.start_and_kill_rank_1(out)
        self.assertNotEqual(status, 0, stderr)
        done = finished_outputs(out)
        self.assertLess(len(done), self.IMAGES, "the job went on without the killed rank")
        for relative in done:
            with open(os.path.join(out, relative), "rb") as f, open(os.path.join(self.reference, relative), "rb") as g:
                self.assertEqual(f.read(), g.read(), f"{relative} is not complete after the kill")
        result = run(self.source, out, "--resume")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"{self.IMAGES - len(done)} converted, {len(done)} skipped, 0 failed", result.stdout)
        self.assert_all_converted_and_no_temporary(out)


if __name__ == "__main__":
    try:
        unittest.main(verbosity=2)
    finally:
        for root in (Fixture.root, UnprivilegedGrayscale.root):
            if root:
                shutil.rmtree(root, ignore_errors=True)
