#!/usr/bin/python3
"""Finds the whole C++ programs in the documentation (a ```cpp block with `int main(`) and what
each says it prints (the ```text block that follows it, when the prose between says "prints"),
and writes them out for the build: OUT_DIR/NAME.cpp, OUT_DIR/NAME.expected, and
OUT_DIR/programs.cmake listing (NAME SOURCE_MARKDOWN LINE EXPECTED_OR_EMPTY).

    extract_programs.py OUT_DIR FILE.md...
"""
import os
import re
import sys

out_dir, files = sys.argv[1], sys.argv[2:]
os.makedirs(out_dir, exist_ok=True)
entries = []
for path in files:
    lines = open(path, encoding="utf-8").read().split("\n")
    base = re.sub(r"[^A-Za-z0-9]+", "_", os.path.splitext(os.path.relpath(path))[0]).strip("_").lower()
    blocks = []  # (language, first line number, text, prose before it)
    prose, i = [], 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)", lines[i])
        if fence:
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.append((fence.group(1), start, "\n".join(body) + "\n", " ".join(prose)))
            prose = []
        else:
            prose.append(lines[i])
        i += 1
    count = 0
    for k, (language, line, text, _) in enumerate(blocks):
        if language != "cpp" or not re.search(r"\bint main\(", text):
            continue
        count += 1
        name = f"{base}_{count}"
        with open(os.path.join(out_dir, name + ".cpp"), "w", encoding="utf-8") as out:
            out.write(f"// From {os.path.relpath(path)}, line {line}: extracted by tests/docs/extract_programs.py.\n")
            out.write(text)
        expected = ""
        if k + 1 < len(blocks) and blocks[k + 1][0] == "text" and "prints" in blocks[k + 1][3]:
            expected = os.path.join(out_dir, name + ".expected")
            with open(expected, "w", encoding="utf-8") as out:
                out.write(blocks[k + 1][2])
        entries.append((name, os.path.abspath(path), line, expected))

manifest = os.path.join(out_dir, "programs.cmake")
text = "set(doc_programs\n" + "".join(f'  "{n}|{p}|{l}|{e}"\n' for n, p, l, e in entries) + ")\n"
# Rewritten only when it changes, so an unchanged manifest does not make CMake configure again.
if not os.path.exists(manifest) or open(manifest).read() != text:
    with open(manifest, "w") as out:
        out.write(text)
print(f"{len(entries)} documented programs")
