#!/usr/bin/python3
"""Check a profile directory written by a multirank run (MULTIRANK_PROFILE=DIR) from the outside:
one rank-<r>.binlog log per rank whose header names that rank, its host, and (under Slurm) the job.

  test_profile.py DIR --ranks N [--hosts K] [--slurm-job ID] [--clocks-aligned] [--tasks-on HOST,...]
--tasks-on: tasks.csv shows tasks run on each of these hosts.
--clocks-aligned: the ranks share one physical clock (namespace hosts), so each rank's estimated
offset to rank 0 must be zero within the error the estimate itself states.
"""
import argparse
import csv
import json
import os
import sys

CLOCK_SLACK_NS = 100_000   # rounding between the two samples a bound is made of


def binary_log_header(path):
    """The header of a rank's binary log: its first line says how many bytes of events follow
    ([format, version, byte order, [count, size] for tasks, messages, queue samples, spans]), and
    the header's JSON line comes after them."""
    with open(path, "rb") as log:
        first = json.loads(log.readline())
        if first[0] != "multirank-binary-log":
            raise ValueError(f"first line names {first[0]!r}, not multirank-binary-log")
        log.seek(sum(count * size for count, size in first[3:7]), os.SEEK_CUR)
        return json.loads(log.readline())


def check_task_hosts(path, wanted):
    try:
        with open(path, newline="", encoding="utf-8") as table:
            rows = list(csv.DictReader(table))
    except OSError as error:
        return [f"no task table: {error}"]
    if rows and "host" not in rows[0]:
        return [f"{path} has no host column"]
    counts = {}
    for row in rows:
        counts[row["host"]] = counts.get(row["host"], 0) + 1
    print("tasks per host: " + ", ".join(f"{host}:{count}" for host, count in sorted(counts.items())))
    return [f"no task ran on {host}" for host in wanted if not counts.get(host)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--hosts", type=int)
    parser.add_argument("--slurm-job")
    parser.add_argument("--clocks-aligned", action="store_true")
    parser.add_argument("--tasks-on", default="")
    arguments = parser.parse_args()

    if not os.path.isdir(arguments.directory):
        print(f"  no profile directory {arguments.directory}")
        return 1
    problems, hosts = [], {}
    for rank in range(arguments.ranks):
        path = os.path.join(arguments.directory, f"rank-{rank}.binlog")
        try:
            header = binary_log_header(path)
        except (OSError, ValueError, IndexError, TypeError) as error:
            problems.append(f"rank {rank}: no readable log header in {path}: {error}")
            continue
        if header.get("rank") != rank or header.get("size") != arguments.ranks:
            problems.append(f"{path}: header says rank {header.get('rank')} of {header.get('size')}")
        if not header.get("host"):
            problems.append(f"{path}: header names no host")
        hosts[rank] = header.get("host")
        if arguments.slurm_job and str(header.get("slurm_job_id")) != arguments.slurm_job:
            problems.append(f"{path}: slurm_job_id {header.get('slurm_job_id')!r}, expected {arguments.slurm_job}")
        if arguments.clocks_aligned:
            for sample_name in ("clock_start", "clock_end"):
                sample = header.get(sample_name) or {}
                offset, error = sample.get("offset_ns"), sample.get("error_ns")
                if offset is None or error is None:
                    problems.append(f"{path}: no {sample_name} offset/error")
                elif abs(offset) > error + CLOCK_SLACK_NS:
                    problems.append(f"{path}: {sample_name} offset {offset} ns beyond its stated error {error} ns")
                else:
                    print(f"rank {rank} {sample_name}: offset {offset} ns, error {error} ns")
    extra = sorted(set(os.listdir(arguments.directory)) & {f"rank-{r}.binlog" for r in range(arguments.ranks, 4096)})
    if extra:
        problems.append(f"logs of ranks that did not run: {extra}")
    print("ranks on hosts: " + ", ".join(f"{rank}:{host}" for rank, host in sorted(hosts.items())))
    if arguments.hosts is not None and len(set(hosts.values())) != arguments.hosts:
        problems.append(f"ranks on {len(set(hosts.values()))} distinct hosts, expected {arguments.hosts}")
    if arguments.tasks_on:
        problems += check_task_hosts(os.path.join(arguments.directory, "tasks.csv"), arguments.tasks_on.split(","))
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
