#!/usr/bin/python3
"""multirank-scale and scale_model.py run and print well-formed output (never their figures):
the program on 2 worker ranks with one task length, the model on its JSON and on a fixed tiny
sweep, and the model's clear refusal of a malformed or incomplete sweep.

    test_scale.py SOURCE_DIR BIN_DIR MPIEXEC [unittest arguments]
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

SOURCE, BIN, MPIEXEC = sys.argv[1:4]
MODEL = os.path.join(SOURCE, "apps", "bench", "scale_model.py")
TINY_SWEEP = os.path.join(SOURCE, "tests", "bench", "scale_sweep_tiny.json")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           MULTIRANK_WORKER_TIMEOUT_S="1", MULTIRANK_DRIVER_WORKS="0")


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=100, env=ENV, **kwargs)


def describe(result):
    return f"status {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


class Model(unittest.TestCase):
    def check_model_output(self, sweep_path, directory):
        svg_path = os.path.join(directory, "model.svg")
        markdown_path = os.path.join(directory, "model.md")
        result = run([MODEL, sweep_path, "--svg", svg_path, "--markdown", markdown_path])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("Validation", result.stdout)
        self.assertIn("Relative error of the driver", result.stdout)
        with open(markdown_path, encoding="utf-8") as file:
            self.assertEqual(file.read(), result.stdout)
        projection = [line for line in result.stdout.splitlines()
                      if line.startswith("| ") and ("µs |" in line or "ms |" in line)]
        # 4 task lengths x 3 worker counts projected, after the validation's rows.
        projected = [line for line in projection if line.split("|")[2].strip() in ("1024", "4096", "8192")]
        self.assertEqual(len(projected), 12, result.stdout)
        for line in projected:
            self.assertEqual(line.count("|"), 11, line)  # 10 cells
        svg = ElementTree.parse(svg_path).getroot()
        lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
        self.assertEqual(len(lines), 8)  # 4 task lengths, with and without the tree

    def test_tiny_sweep(self):
        with tempfile.TemporaryDirectory() as directory:
            self.check_model_output(TINY_SWEEP, directory)

    def test_tree_costs_from_tree_runs(self):
        # Any sweep will do as the tree's runs: what is checked is that they are fitted, marked in
        # the validation and said to be measured, with the projection's shape unchanged.
        result = run([MODEL, TINY_SWEEP, "--tree", TINY_SWEEP])
        self.assertEqual(result.returncode, 0, describe(result))
        self.assertIn("With the dispatch tree (--tree runs): a_t =", result.stdout)
        self.assertRegex(result.stdout, r"\n\| \d+ \(tree\) \|")
        self.assertIn("the tree from its measured costs", result.stdout)
        self.assertNotIn("not measured", result.stdout)

    def test_malformed_json_is_refused_naming_the_file(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "broken_sweep.json")
            with open(TINY_SWEEP, encoding="utf-8") as tiny, open(path, "w", encoding="utf-8") as out:
                out.write(tiny.read()[:200])  # cut short
            result = run([MODEL, path])
            self.assertNotEqual(result.returncode, 0, describe(result))
            self.assertIn(path, result.stderr)
            self.assertIn("not valid JSON", result.stderr)
            self.assertNotIn("Traceback", result.stderr)

    def test_missing_field_is_refused_naming_it(self):
        with open(TINY_SWEEP, encoding="utf-8") as tiny:
            sweep = json.load(tiny)
        del sweep["runs"][1]["maps"][0]["messages"]
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "incomplete_sweep.json")
            with open(path, "w", encoding="utf-8") as out:
                json.dump(sweep, out)
            result = run([MODEL, path])
            self.assertNotEqual(result.returncode, 0, describe(result))
            self.assertIn(f"{path}: runs[1].maps[0]: 'messages'", result.stderr)
            self.assertNotIn("Traceback", result.stderr)


class Program(unittest.TestCase):
    def test_two_workers_one_task_length_then_the_model(self):
        with tempfile.TemporaryDirectory() as directory:
            json_path = os.path.join(directory, "scale_2.json")
            result = run([MPIEXEC, "-np", "3", "--oversubscribe", "--bind-to", "none",
                          "-x", "MULTIRANK_WORKER_TIMEOUT_S", "-x", "MULTIRANK_DRIVER_WORKS",
                          os.path.join(BIN, "multirank-scale"), "--task-us", "10", "--tasks", "2000",
                          "--work-seconds", "0.01", "--idle-seconds", "0.3", "--object-ops", "5",
                          "--json", json_path])
            self.assertEqual(result.returncode, 0, describe(result))
            self.assertIn("multirank-scale: 2 worker ranks", result.stdout)
            self.assertRegex(result.stdout, r"\n\s+10\s+\d+\s")  # the table's one row
            with open(json_path, encoding="utf-8") as file:
                figures = json.load(file)
            self.assertEqual(figures["workers"], 2)
            self.assertEqual([row["task_us"] for row in figures["maps"]], [10])
            row = figures["maps"][0]
            for key in ("driver_cpu_per_task_us", "messages_per_s", "tasks_per_task_message",
                        "driver_peak_rss_kib"):
                self.assertIsInstance(row[key], (int, float), key)
            self.assertGreater(row["task_messages"], 0)
            self.assertGreater(row["result_messages"], 0)
            self.assertEqual([o["object"] for o in figures["objects"]], ["queue", "lock"])
            self.assertGreater(figures["objects"][0]["object_requests"], 0)
            self.assertIn("heartbeats_per_s", figures["idle"])
            sweep_path = os.path.join(directory, "sweep.json")
            with open(sweep_path, "w", encoding="utf-8") as out:
                json.dump({"date": "test", "machine": "test", "commit": "test", "runs": [figures]}, out)
            Model.check_model_output(self, sweep_path, directory)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[4:], verbosity=2)
