#!/usr/bin/python3
"""Checks that every file or folder of the repository the documentation names exists: paths in
`code` that start with one of the repository's top-level folders (`runtime/src/engine/`,
`apps/bench/bar_chart.py`), public headers named as `multirank/NAME.hpp`, and the targets of
relative Markdown links and images. Paths with placeholders (`<`, `*`, capitals as in
`DIR/hostfile`) and build outputs (`build/...`) are not checked.

    check_paths.py SOURCE_DIR FILE.md...
"""
import os
import re
import sys

source, files = sys.argv[1], sys.argv[2:]
top_level = {name for name in os.listdir(source)
             if os.path.isdir(os.path.join(source, name)) and not name.startswith(("build", ".git"))}
problems, checked = [], 0


def check(where, path, base):
    global checked
    checked += 1
    if not os.path.exists(os.path.join(base, path)):
        problems.append(f"{where}: `{path}` does not exist")


for path in files:
    rel = os.path.relpath(path, source)
    in_fence = False
    for number, line in enumerate(open(path, encoding="utf-8").read().split("\n"), 1):
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        where = f"{rel}:{number}"
        for token in re.findall(r"`([^`\s]+)`", line):
            token = token.rstrip(".,:;")
            if re.search(r"[<>*{}$]|[A-Z]{2,}", token):
                continue
            if token.startswith("multirank/") and token.endswith(".hpp"):
                check(where, os.path.join("runtime/include", token), source)
            elif "/" in token and token.split("/")[0] in top_level:
                check(where, token, source)
        for target in re.findall(r"\]\(([^)\s]+)\)", line):
            target = target.split("#")[0]
            if not target or re.match(r"^[a-z]+:", target):
                continue
            check(where, target, os.path.dirname(path))

print(f"{checked} paths checked in {len(files)} files")
if problems:
    print("\n".join(problems))
    print(f"FAIL: {len(problems)} path(s) named in the documentation do not exist")
    sys.exit(1)
print("PASS")
