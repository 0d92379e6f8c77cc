#!/usr/bin/env python3
"""Checks a profile's start-up and close phases: on every rank, in trace.json, each phase once, in
order, none overlapping the next, all within the rank's life (after its process started, before
rank 0 held every log); and the phase table of summary.txt and report.html with every phase.
Usage: check_phases.py PROFILE_DIR RANKS [--program-owns-mpi]   (exit status 0 when they are)
--program-owns-mpi: the program initialised MPI and finalises it itself, so the Runtime has no
MPI_Finalize to record.
As a module: check(trace, summary, html, ranks) raises PhaseError on the first problem."""
import json
import os
import re
import sys

STARTUP = ["process start to main", "main to the Runtime", "MPI_Init", "communicator and hosts",
           "settings and registry check", "profile start", "clock estimate"]
CLOSE_RANK0 = ["stopping the workers", "closing clock estimate", "gathering the profile"]
CLOSE_WORKER = ["closing clock estimate", "gathering the profile"]
# After the gather: only in rank 0's appended lines and the "Closing on rank 0" section.
AFTER_GATHER = ["MPI_Finalize", "writing the reports"]
# Times in trace.json are microseconds with three decimals: allow their rounding.
SLACK_US = 0.002


class PhaseError(AssertionError):
    pass


def expected(rank):
    return STARTUP + (CLOSE_RANK0 if rank == 0 else CLOSE_WORKER)


def main_row(rank):
    """The row of the thread that starts and closes the Runtime: rank 0's driver row, else the rank's."""
    return 0 if rank == 0 else rank + 1


def check_trace(trace, ranks):
    events = trace["traceEvents"]
    starts = trace["otherData"]["process_start_us"]
    if len(starts) != ranks:
        raise PhaseError(f"process_start_us has {len(starts)} ranks, expected {ranks}")
    phases = {}
    for e in events:
        if e.get("ph") == "X" and e.get("cat") == "phase":
            phases.setdefault(e["args"]["rank"], []).append(e)
    if sorted(phases) != list(range(ranks)):
        raise PhaseError(f"phases on ranks {sorted(phases)}, expected every one of {ranks}")
    gathered = max(e["ts"] + e["dur"] for e in phases[0] if e["name"] == "gathering the profile")
    for rank in range(ranks):
        mine = sorted(phases[rank], key=lambda e: e["ts"])
        names = [e["name"] for e in mine]
        if names != expected(rank):
            raise PhaseError(f"rank {rank}: phases {names}, expected {expected(rank)}")
        for e in mine:
            if e["tid"] != main_row(rank):
                raise PhaseError(f"rank {rank}: {e['name']} on row {e['tid']}, not {main_row(rank)}")
            if e["dur"] < 0:
                raise PhaseError(f"rank {rank}: {e['name']} lasts {e['dur']} µs")
        if abs(mine[0]["ts"] - starts[rank]) > SLACK_US:
            raise PhaseError(f"rank {rank}: the first phase starts at {mine[0]['ts']} µs, not at the "
                             f"process start {starts[rank]} µs")
        for before, after in zip(mine, mine[1:]):
            if after["ts"] + SLACK_US < before["ts"] + before["dur"]:
                raise PhaseError(f"rank {rank}: {after['name']} starts at {after['ts']} µs, before "
                                 f"{before['name']} ends at {before['ts'] + before['dur']} µs")
        if mine[-1]["ts"] + mine[-1]["dur"] > gathered + SLACK_US:
            raise PhaseError(f"rank {rank}: {mine[-1]['name']} ends after rank 0 held every log")
        if rank == 0:
            continue
        # A worker rank runs its tasks between its start-up and its close.
        up = next(e for e in mine if e["name"] == STARTUP[-1])
        down = next(e for e in mine if e["name"] == CLOSE_WORKER[0])
        for e in events:
            if e.get("cat") == "task" and e.get("ph") == "X" and e["tid"] == main_row(rank) \
                    and e["pid"] == mine[0]["pid"]:
                if e["ts"] + SLACK_US < up["ts"] + up["dur"] or e["ts"] + e["dur"] > down["ts"] + SLACK_US:
                    raise PhaseError(f"rank {rank}: task {e['args'].get('task')} outside the run "
                                     f"between start-up and close")


def check_tables(summary, html, ranks, after_gather=AFTER_GATHER):
    table = re.search(r"^Start-up and close.*?\n(.*?)\n\n", summary, re.M | re.S)
    if table is None:
        raise PhaseError("summary.txt has no start-up and close table")
    rows = {}
    # Columns: ranks (6), median, p95, max (12 each), slowest rank (9), then the phase's name.
    for line in table.group(1).splitlines()[1:]:
        if len(line) <= 57 or not line[:6].strip().isdigit() or not line[47:56].strip().isdigit():
            raise PhaseError(f"summary.txt: not a phase row: {line!r}")
        rows[line[57:]] = int(line[:6])
    for name in STARTUP + CLOSE_WORKER:
        if rows.get(name) != ranks:
            raise PhaseError(f"summary.txt: {name!r} over {rows.get(name)} ranks, expected {ranks}")
    if rows.get("stopping the workers") != 1:
        raise PhaseError(f"summary.txt: 'stopping the workers' over {rows.get('stopping the workers')} ranks, expected 1 (rank 0)")
    closing = summary[summary.find("\nClosing on rank 0"):]
    for name in after_gather:
        if not re.search(rf"^  {re.escape(name)}: ", closing, re.M):
            raise PhaseError(f"summary.txt: no {name!r} in the closing section on rank 0")
    section = html[html.find("<h2>Start-up and close</h2>"):]
    if not section:
        raise PhaseError("report.html has no start-up and close table")
    for name in STARTUP + CLOSE_RANK0:
        if f'<td class="l">{name}</td>' not in section:
            raise PhaseError(f"report.html: no row for {name!r}")


def check(trace, summary, html, ranks, after_gather=AFTER_GATHER):
    check_trace(trace, ranks)
    check_tables(summary, html, ranks, after_gather)


def read(profile):
    with open(os.path.join(profile, "trace.json")) as f:
        trace = json.load(f)
    with open(os.path.join(profile, "summary.txt")) as f:
        summary = f.read()
    with open(os.path.join(profile, "report.html")) as f:
        html = f.read()
    return trace, summary, html


if __name__ == "__main__":
    profile, ranks = sys.argv[1], int(sys.argv[2])
    after_gather = AFTER_GATHER[1:] if "--program-owns-mpi" in sys.argv[3:] else AFTER_GATHER
    try:
        check(*read(profile), ranks, after_gather)
    except PhaseError as error:
        sys.exit(f"{profile}: {error}")
    print(f"{profile}: start-up and close phases in order on {ranks} rank(s)")
