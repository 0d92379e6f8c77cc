#!/usr/bin/env python3
"""The library's sources are layered (runtime/src/README.md): a file may include the private
headers of its own part and of the parts below it, never of a part above; the public headers
(include/multirank/, detail/ included) are open to every part, and include no private header.

Usage: source_layers_point_down.py <runtime dir>
First checks that the rules catch a made-up tree that breaks each of them, then checks the real
tree, printing every include that points the wrong way."""

import os
import re
import sys
import tempfile

# Top to bottom: a part may include from itself and from the parts after it. The files directly
# in src/ (runtime.cpp, which composes all the parts) are the top.
LAYERS = ["", "worker", "objects", "process", "engine", "profile", "tasks", "wire", "recording",
          "core"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def part_of(relative_path):
    """The part a path under src/ belongs to: its first folder, or "" for a file in src/."""
    folders = relative_path.split("/")[:-1]
    return folders[0] if folders else ""


def layer_name(part):
    return part or "src/ (runtime.cpp)"


def sources(root, extensions):
    for folder, _, names in os.walk(root):
        for name in sorted(names):
            if name.endswith(extensions):
                path = os.path.join(folder, name)
                yield path, os.path.relpath(path, root).replace(os.sep, "/")


def problems_in(runtime_dir):
    src = os.path.join(runtime_dir, "src")
    include = os.path.join(runtime_dir, "include")
    problems = []
    for folder in sorted(os.listdir(src)):
        if os.path.isdir(os.path.join(src, folder)):
            if folder not in LAYERS:
                problems.append(f"src/{folder}/ is not a layer: add it to runtime/src/README.md "
                                f"and to LAYERS in {os.path.basename(__file__)}")
            elif not os.path.isfile(os.path.join(src, folder, "README.md")):
                problems.append(f"src/{folder}/ has no README.md saying what it owns and may call")
    for path, relative in sources(src, (".cpp", ".hpp")):
        part = part_of(relative)
        if part not in LAYERS:
            continue
        text = open(path, encoding="utf-8").read()
        for match in INCLUDE.finditer(text):
            target = match.group(1)
            if target.startswith("multirank/"):
                continue
            line = text.count("\n", 0, match.start()) + 1
            target_part = part_of(target)
            if target_part not in LAYERS or not os.path.isfile(os.path.join(src, target)):
                problems.append(f"src/{relative}:{line} includes \"{target}\", which is no "
                                f"private header under src/<part>/")
            elif LAYERS.index(target_part) < LAYERS.index(part):
                problems.append(f"src/{relative}:{line} ({layer_name(part)}) includes "
                                f"\"{target}\" from {layer_name(target_part)}, a layer above it")
    for path, relative in sources(include, (".hpp", ".h")):
        text = open(path, encoding="utf-8").read()
        for match in INCLUDE.finditer(text):
            if not match.group(1).startswith("multirank/"):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"include/{relative}:{line} includes \"{match.group(1)}\": a "
                                f"public header may include only public headers (it is installed)")
    return problems


def made_up_tree(root, files):
    for relative, text in files.items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)


def rules_catch_each_breach():
    """Each rule on a tree that breaks only it: the check must name that breach."""
    sound = {
        "src/runtime.cpp": '#include "worker/loop.hpp"\n#include "multirank/api.hpp"\n',
        "src/worker/README.md": "", "src/worker/loop.hpp": '#include "core/log.hpp"\n',
        "src/core/README.md": "", "src/core/log.hpp": "",
        "include/multirank/api.hpp": '#include "multirank/detail/x.hpp"\n',
    }
    breaches = {
        "upward include": ({"src/core/log.hpp": '#include "worker/loop.hpp"\n'}, "a layer above"),
        "unknown part": ({"src/misc/README.md": ""}, "is not a layer"),
        "part without README": ({"src/wire/x.hpp": ""}, "has no README.md"),
        "missing header": ({"src/core/log.hpp": '#include "core/gone.hpp"\n'}, "no private header"),
        "public header leaking": ({"include/multirank/api.hpp": '#include "core/log.hpp"\n'},
                                  "only public headers"),
    }
    with tempfile.TemporaryDirectory() as root:
        made_up_tree(os.path.join(root, "sound"), sound)
        assert problems_in(os.path.join(root, "sound")) == [], problems_in(
            os.path.join(root, "sound"))
        for name, (change, expected) in breaches.items():
            tree = os.path.join(root, name.replace(" ", "_"))
            made_up_tree(tree, {**sound, **change})
            found = problems_in(tree)
            assert len(found) == 1 and expected in found[0], f"{name}: {found}"


def main():
    rules_catch_each_breach()
    problems = problems_in(sys.argv[1])
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} breach(es) of the layers (top to bottom: "
              f"{' -> '.join(layer_name(part) for part in LAYERS)})")
        return 1
    print("every include in runtime/src points down or sideways")
    return 0


if __name__ == "__main__":
    sys.exit(main())
