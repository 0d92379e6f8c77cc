#!/usr/bin/python3
"""Checks the commands the documentation shows: every program or script named in a ```sh block
exists, and every --option written after it is one its --help mentions. Also checks that the
settings table (docs/environment.md) lists exactly the MULTIRANK_* variables the runtime reads.

    check_commands.py SOURCE_DIR BIN_DIR FILE.md...
"""
import os
import re
import shlex
import subprocess
import sys

source, bin_dir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
problems = []
slurm_conf = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"docs-slurm-{os.getpid()}.conf")
with open(slurm_conf, "w") as conf:
    conf.write("ClusterName=docs\nSlurmctldHost=localhost\nNodeName=localhost\nPartitionName=p Nodes=localhost\n")
checked = 0
help_cache = {}

# Tools that are not the project's own, and how they list their options (Slurm's need a
# configuration file to print their help, any will do; sacct needs its database, and squeue's help
# leaves out --me, so those two are not checked).
SYSTEM_HELP = {
    "mpirun": ["mpirun", "--help", "all"],
    "cmake": ["cmake", "--help-full"],
    "ctest": ["ctest", "--help"],
    "sbatch": ["sbatch", "--help"],
    "srun": ["srun", "--help"],
    "scancel": ["scancel", "--help"],
    "pkg-config": ["pkg-config", "--help"],
}
# Scripts that hand (some of) their options on to another program, whose help counts too.
PASSES_TO = {
    "launch/test.sh": [SYSTEM_HELP["ctest"]],
    "launch/sanitize.sh": [SYSTEM_HELP["ctest"]],
    "launch/mpirun.sh": [SYSTEM_HELP["mpirun"]],
    "launch/slurm/grayscale.sbatch": [[os.path.join(bin_dir, "grayscale"), "--help"]],
}


def help_text(argv):
    key = tuple(argv)
    if key not in help_cache:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                                  env=dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1",
                                           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                                           SLURM_CONF=slurm_conf))
            help_cache[key] = done.stdout + done.stderr
        except (OSError, subprocess.TimeoutExpired) as error:
            help_cache[key] = f"<could not run {argv}: {error}>"
    return help_cache[key]


def program_of(token, first):
    """The help commands of the program a token names ([] if it does not exist), or None."""
    if token.startswith(("launch/", "apps/bench/")):
        path = os.path.join(source, token)
        if not os.path.isfile(path):
            return []
        return [["bash", path, "--help"]] + PASSES_TO.get(token, [])
    if token.startswith("build/bin/"):
        path = os.path.join(bin_dir, token[len("build/bin/"):])
        return [[path, "--help"]] if os.path.isfile(path) else []
    path = os.path.join(bin_dir, token)
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return [[path, "--help"]]
    if token in SYSTEM_HELP and first:
        return [SYSTEM_HELP[token]]
    return None


def check_line(where, line):
    global checked
    line = line.split(" #")[0].strip()
    if not line or line.startswith("#"):
        return
    try:
        tokens = shlex.split(line)
    except ValueError:
        return
    current, helps = None, []
    for token in tokens:
        if token in ("|", "&&", ";", "||"):
            current, helps = None, []
            continue
        if current is None and re.match(r"^[A-Z_]+=", token):
            continue  # VAR=value before the command
        found = program_of(token, current is None)
        if found is not None:
            if not found:
                problems.append(f"{where}: `{token}` does not exist")
            current, helps = token, found
            checked += 1
            continue
        match = re.match(r"^--[a-z][a-z0-9-]*", token)
        if current and helps and match:
            option = match.group(0)
            text = "".join(help_text(argv) for argv in helps)
            if not re.search(re.escape(option) + r"(?![a-z0-9-])", text):
                problems.append(f"{where}: `{current}` has no option {option} (not in its --help)")


for path in files:
    rel = os.path.relpath(path, source)
    lines = open(path, encoding="utf-8").read().split("\n")
    in_sh = False
    for number, line in enumerate(lines, 1):
        fence = re.match(r"^```(\w*)", line)
        if fence:
            in_sh = not in_sh and fence.group(1) in ("sh", "bash", "console")
            continue
        if in_sh:
            check_line(f"{rel}:{number}", line)

# The settings table lists exactly the variables the runtime reads.
options_source = open(os.path.join(source, "runtime/src/core/options.cpp")
                      if os.path.exists(os.path.join(source, "runtime/src/core/options.cpp"))
                      else os.path.join(source, "runtime/src/options.cpp")).read()
read = set(re.findall(r'"(MULTIRANK_[A-Z_]+)"', options_source))
table = open(os.path.join(source, "docs/environment.md")).read()
documented = set(re.findall(r"^\| `(MULTIRANK_[A-Z_]+)` \| `", table, re.M))
for name in sorted(read - documented):
    problems.append(f"docs/environment.md: {name} is read by the runtime but not in the settings table")
for name in sorted(documented - read):
    problems.append(f"docs/environment.md: {name} is in the settings table but the runtime does not read it")

os.remove(slurm_conf)
print(f"{checked} commands checked in {len(files)} files; {len(read)} settings")
if problems:
    print("\n".join(problems))
    print(f"FAIL: {len(problems)} problem(s)")
    sys.exit(1)
print("PASS")
