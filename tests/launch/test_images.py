#!/usr/bin/python3
"""Test images for the launch tests, and the check of grayscale's outputs against PIL.

  test_images.py make DIR COUNT       COUNT images (JPEG and PNG, a few sizes, nested folders)
  test_images.py check IN OUT         every input has a complete, correct output; nothing else
  test_images.py check IN OUT --partial   outputs may be missing (an interrupted run); the ones
                                      present must be complete and correct; grayscale's own
                                      temporaries and token files may remain
"""
import argparse
import hashlib
import os
import random
import shutil
import sys

from PIL import Image, ImageChops, ImageStat

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}
PARTIAL_SUFFIX = ".grayscale-partial"   # grayscale's temporaries, renamed when complete
IO_PROBE_PREFIX = ".grayscale-io-probe-"  # --io auto's token file, removed at the end of a run
FAILURE_REPORT = "grayscale-failures.tsv"
MAX_MEAN_DIFFERENCE = 1.5               # grey levels, against PIL's convert('L') (issue 4)


def photo_like(width, height, seed):
    """Noise over gradients: decodes and encodes at roughly a photograph's cost, unlike flat colour."""
    rng = random.Random(seed)
    channels = []
    for _ in range(3):
        gradient = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize((width, height))
        noise = Image.effect_noise((width, height), rng.uniform(20, 60))
        channels.append(ImageChops.add(gradient, noise, scale=2.0))
    return Image.merge("RGB", channels)


def make(directory, count):
    # A handful of distinct images, copied: generating each one would cost more than converting it.
    originals = []
    for index, (width, height, extension) in enumerate(
            [(1600, 1200, ".jpg"), (1024, 768, ".jpg"), (640, 480, ".png"), (1200, 1600, ".jpeg"), (800, 600, ".JPG")]):
        image = photo_like(width, height, index)
        path = os.path.join(directory, "originals", f"original_{index}{extension}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        image.save(path, quality=90) if extension.lower() != ".png" else image.save(path)
        originals.append(path)
    for index in range(len(originals), count):
        source = originals[index % len(originals)]
        extension = os.path.splitext(source)[1]
        target = os.path.join(directory, f"set_{index % 7}", f"sub {index % 3}", f"image_{index}{extension}")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)


def inputs_of(root):
    for folder, _, files in os.walk(root):
        for name in files:
            if os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                yield os.path.relpath(os.path.join(folder, name), root)


def check(input_root, output_root, partial):
    expected = set(inputs_of(input_root))
    present, temporaries, probes, strays = set(), [], [], []
    for folder, _, files in os.walk(output_root):
        for name in files:
            relative = os.path.relpath(os.path.join(folder, name), output_root)
            if name.startswith(".") and name.endswith(PARTIAL_SUFFIX):
                temporaries.append(relative)
            elif name.startswith(IO_PROBE_PREFIX):
                probes.append(relative)
            elif relative in expected:
                present.add(relative)
            elif relative != FAILURE_REPORT:
                strays.append(relative)
    problems = [f"not an output of any input: {path}" for path in sorted(strays)]
    if os.path.exists(os.path.join(output_root, FAILURE_REPORT)):
        with open(os.path.join(output_root, FAILURE_REPORT), encoding="utf-8") as report:
            problems.append(f"failure report lists: {report.read().strip()}")
    if not partial:
        problems += [f"missing output: {path}" for path in sorted(expected - present)]
        problems += [f"temporary left behind: {path}" for path in sorted(temporaries)]
        problems += [f"--io auto token file left behind: {path}" for path in sorted(probes)]
    reference = {}   # input content hash -> PIL's grey image (the inputs are copies of a few originals)
    for relative in sorted(present):
        source_path = os.path.join(input_root, relative)
        with open(source_path, "rb") as source_file:
            digest = hashlib.sha1(source_file.read()).hexdigest()
        if digest not in reference:
            reference[digest] = Image.open(source_path).convert("L")
        try:
            output = Image.open(os.path.join(output_root, relative))
            output.load()   # a truncated file fails here, not at open
        except (OSError, SyntaxError) as error:
            problems.append(f"incomplete or unreadable output {relative}: {error}")
            continue
        if output.mode != "L" or output.size != reference[digest].size:
            problems.append(f"{relative}: mode {output.mode} size {output.size}, "
                            f"expected L {reference[digest].size}")
            continue
        difference = ImageStat.Stat(ImageChops.difference(output, reference[digest])).mean[0]
        if difference > MAX_MEAN_DIFFERENCE:
            problems.append(f"{relative}: mean difference {difference:.2f} from PIL's convert('L')")
    print(f"outputs: {len(present)} complete of {len(expected)} inputs, "
          f"{len(temporaries)} temporaries, {len(probes)} io-probe files, {len(strays)} other files")
    for problem in problems[:20]:
        print(f"  {problem}")
    if len(problems) > 20:
        print(f"  ... and {len(problems) - 20} more")
    return not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    make_parser = commands.add_parser("make")
    make_parser.add_argument("directory")
    make_parser.add_argument("count", type=int)
    check_parser = commands.add_parser("check")
    check_parser.add_argument("input")
    check_parser.add_argument("output")
    check_parser.add_argument("--partial", action="store_true")
    arguments = parser.parse_args()
    if arguments.command == "make":
        make(arguments.directory, arguments.count)
        return 0
    return 0 if check(arguments.input, arguments.output, arguments.partial) else 1


if __name__ == "__main__":
    sys.exit(main())
