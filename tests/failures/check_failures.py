#!/usr/bin/python3
"""Failures seen from outside the job: what each fault at each stage of a task's life gives (the
error, its message, the executor or pool working on after it), the job's exit status under every
launcher, and how soon the job is gone once its outcome is decided.

    check_failures.py SOURCE_DIR BIN_DIR SUITE

SUITE is one of:
  executor.recovery executor.plain pool.recovery pool.plain
      the failure matrix (tests/programs/failure_matrix.cpp) under launch/mpirun.sh -n 3, with or
      without mpirun's --enable-recovery
  bare-recovery   plain `mpirun --enable-recovery`, without the wrapper: a failed driver fails mpirun
  interrupts      Ctrl-C on the wrapper: prompt with nothing running, the grace for running tasks
  startup.N       a malformed setting on N ranks: one message, exit status 2 on every rank
Each case runs as its own job; every failing case is listed before the suite fails. Time bounds
are generous (a loaded CI machine): they catch a job that waits out a timeout, not a slow one.
"""
import os
import re
import signal
import subprocess
import sys
import time

SOURCE, BIN, SUITE = sys.argv[1], sys.argv[2], sys.argv[3]
WRAPPER = os.path.join(SOURCE, "launch", "mpirun.sh")
MATRIX = os.path.join(BIN, "failure_matrix")
END_WITHIN_S = 10  # once the outcome is decided (a job runs about 1-2 s here)
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
ENV.pop("MULTIRANK_EXIT_STATUS_FILE", None)

failures = []


def run(argv, limit=60, interrupt_after=None, ready=None):
    """Runs argv with SIGINT at its default (a shell's `&` would ignore it); returns
    (status, output, seconds from the interrupt or the start to the end)."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    output = b""
    start = time.monotonic()
    if interrupt_after is not None:
        os.set_blocking(process.stdout.fileno(), False)
        while ready.encode() not in output and time.monotonic() - start < limit:
            chunk = process.stdout.read()
            if chunk:
                output += chunk
            elif process.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(interrupt_after)
        process.send_signal(signal.SIGINT)
        start = time.monotonic()
        os.set_blocking(process.stdout.fileno(), True)
    try:
        rest, _ = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        process.kill()
        rest, _ = process.communicate()
    output += rest
    text = "\n".join(line for line in output.decode(errors="replace").splitlines()
                     if "PMIX ERROR" not in line)
    return process.returncode, text, time.monotonic() - start


def check(name, ok, what, output):
    if not ok:
        failures.append(f"{name}: {what}\n--- output:\n{output}\n---")
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {what}")


def last_line(output):
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ""


HOST = r"\([^)]+\)"
RANK = rf"rank [12] {HOST}"


def expect_case(name, argv, statuses, patterns, last=None, within=END_WITHIN_S):
    status, output, seconds = run(argv)
    check(name, status in statuses, f"exit status {status} in {sorted(statuses)}", output)
    for pattern in patterns:
        check(name, re.search(pattern, output, re.S) is not None, f"output matches /{pattern}/",
              output)
    if last is not None:
        check(name, re.search(last, last_line(output)) is not None,
              f"the last line matches /{last}/ (got: {last_line(output)!r})", output)
    check(name, seconds < within, f"ended in {seconds:.1f} s (bound {within} s)", output)


def matrix(api, recovery):
    wrapper = [WRAPPER, "-n", "3"] + (["--enable-recovery", "--"] if recovery else [])
    job = lambda *cell: wrapper + [MATRIX, api, *cell]
    recovered = r"next task: 84\n(.*\n)?done"
    # Faults on the driver: the job's status is the driver's, whatever mpirun says.
    for stage in ("driver-encode", "driver-decode"):
        for fault, status, how in (("exit", 3, r"exited with status 3"),
                                   ("abort", 134, r"was killed by SIGABRT"),
                                   ("segv", 139, r"was killed by SIGSEGV")):
            expect_case(f"{api} {stage} {fault}", job(stage, fault), {status}, [],
                        last=rf"^multirank: the driver \(rank 0\) {how}; exit status {status}")
    # A user exception keeps its type and says where it came from; the next task runs.
    raised = {
        "driver-encode": r"caught FmBoom: fm-boom at stage 1",
        "worker-decode": rf"caught multirank::RemoteError: task 'echo' raised FmBoom while decoding its arguments on {RANK}: fm-boom",
        "task": rf"caught multirank::RemoteError: task 'echo' raised FmBoom on {RANK}: fm-boom",
        "worker-encode": rf"caught multirank::RemoteError: task 'echo' raised FmBoom while encoding its result on {RANK}: fm-boom",
        "driver-decode": rf"caught multirank::RemoteError: task 'echo' raised FmBoom while its result was decoded on the driver on {RANK}: fm-boom",
    }
    for stage, pattern in raised.items():
        expect_case(f"{api} {stage} throw", job(stage, "throw"), {0}, [pattern + r".*" + recovered])
    # A worker that dies: the task fails with WorkerLost naming it; the job goes on.
    if api == "executor":  # set_retries(0)
        lost = rf"caught multirank::WorkerLost: task \d+ \('echo' on 1 item\(s\), arguments \(Payload\) in \d+ bytes\) was lost with rank\(s\) [12] {HOST} and is not run again \(retries = 0\)"
    else:  # the default retries: it kills every worker rank, then fails (never run on the driver)
        lost = rf"caught multirank::WorkerLost: task \d+ \('echo' .*was lost with rank\(s\) [12] {HOST}, [12] {HOST} and no worker rank is left to run it again"
    for stage in ("worker-decode", "task", "worker-encode"):
        for fault in ("exit", "abort", "segv"):
            name = f"{api} {stage} {fault}"
            if recovery:
                expect_case(name, job(stage, fault), {0}, [lost + r".*" + recovered])
            else:
                # mpirun ends the job at once when a rank dies: the driver finished first (0) or
                # ended on mpirun's SIGTERM (143); the wrapper's last line says which.
                expect_case(name, job(stage, fault), {0, 143}, [],
                            last=r"^multirank: (the driver finished its work \(exit status 0\), but mpirun reported status [1-9]"
                                 r"|mpirun stopped the job, as it does when a rank fails)")
    # A task that kills every rank it runs on, default settings: WorkerLost naming every rank, the
    # driver lives and runs the next task itself.
    poison = rf"caught multirank::WorkerLost: task \d+ \('crash_on_worker' .*was lost with rank\(s\) [12] {HOST}, [12] {HOST} and no worker rank is left to run it again \(a task running when its rank was lost never runs on the driver"
    crash_after_main = r"^multirank: the driver \(rank 0\) was killed by SIGSEGV; exit status 139"
    if recovery:
        expect_case(f"{api} poison", job("poison"), {0}, [poison + r".*" + recovered])
        expect_case(f"{api} shutdown-crash", job("shutdown-crash"), {0},
                    [r"shut down with [1-9] lost\n" + recovered])
        expect_case(f"{api} large-crash", job("large-crash"), {0},
                    [r"caught multirank::WorkerLost: task \d+ \('size_of' .* in 2097152\d\d bytes\) was lost.*" + recovered],
                    within=30)
    expect_case(f"{api} after-main", job("after-main"), {139}, [r"next task: 84"], last=crash_after_main)


def bare_recovery():
    """Without the wrapper, mpirun --enable-recovery exits 0 whatever the ranks do; the runtime
    makes it exit 1 when the driver fails, and 0 when it succeeds."""
    mpirun = ["mpirun", "--enable-recovery", "--oversubscribe", "--bind-to", "none", "-n", "3", MATRIX]
    expect_case("bare exit 3", mpirun + ["executor", "driver-encode", "exit"], {1}, [])
    expect_case("bare segv", mpirun + ["executor", "driver-decode", "segv"], {1}, [])
    expect_case("bare crash after main", mpirun + ["executor", "after-main"], {1}, [r"next task: 84"])
    expect_case("bare worker lost", mpirun + ["executor", "task", "segv"], {0},
                [r"caught multirank::WorkerLost.*next task: 84\ndone"])
    expect_case("bare poison", mpirun + ["pool", "poison"], {0}, [r"caught multirank::WorkerLost.*next task: 84"])


def interrupts():
    wrapper = [WRAPPER, "-n", "3"]
    # Nothing running (every process blocked on a queue): gone at once, the report and the verdict.
    status, output, seconds = run(wrapper + [os.path.join(BIN, "deadlock")], interrupt_after=1,
                                  ready="both started")
    name = "Ctrl-C, nothing running"
    check(name, status == 130, f"exit status {status} is 130", output)
    check(name, re.search(r"interrupted by SIGINT; 3 blocked call", output) is not None,
          "the blocked calls are reported", output)
    check(name, last_line(output).startswith("multirank: the job was interrupted by SIGINT; exit status 130"),
          f"the verdict is the last line (got {last_line(output)!r})", output)
    check(name, seconds < END_WITHIN_S, f"ended {seconds:.1f} s after SIGINT", output)
    # A running task gets its grace (default 5 s) and its result is kept.
    status, output, seconds = run(wrapper + [os.path.join(BIN, "interrupted_job"), "long", "3000"],
                                  interrupt_after=0.5, ready="long task running")
    name = "Ctrl-C, a task running"
    check(name, status == 130, f"exit status {status} is 130", output)
    check(name, re.search(r"long task result 42.*queued task failed: interrupted by SIGINT", output, re.S)
          is not None, "the running task finished in its grace, queued ones failed", output)
    check(name, seconds < END_WITHIN_S, f"ended {seconds:.1f} s after SIGINT", output)


def startup(np):
    """A malformed setting: one message naming the variable, the value and what is allowed, and
    exit status 2 on every rank, without an abort."""
    env_value = "abc"
    ENV["MULTIRANK_TASK_TIMEOUT_S"] = env_value
    name = f"bad setting on {np} rank(s)"
    status, output, seconds = run(["mpirun", "--oversubscribe", "--bind-to", "none", "-n", str(np),
                                   "-x", "MULTIRANK_TASK_TIMEOUT_S", os.path.join(BIN, "example_pool")])
    message = r"multirank: cannot start: MULTIRANK_TASK_TIMEOUT_S='abc' is not an integer >= 0 \(seconds; 0: no limit\)"
    check(name, status == 2, f"exit status {status} is 2", output)
    check(name, len(re.findall(message, output)) == 1, "exactly one message", output)
    check(name, not re.search(r"terminate called|core dumped|MPI_ABORT|Aborted", output),
          "no abort", output)
    # Every rank exits 2: mpirun's status is the first non-zero one, so look at each rank's.
    status, output, _ = run(["mpirun", "--oversubscribe", "--bind-to", "none", "-n", str(np),
                             "-x", "MULTIRANK_TASK_TIMEOUT_S", "sh", "-c",
                             f'"{os.path.join(BIN, "example_pool")}" 2>/dev/null; echo "rank status $?"'])
    check(name, output.count("rank status 2") == np, f"all {np} rank(s) exited 2", output)
    del ENV["MULTIRANK_TASK_TIMEOUT_S"]


if SUITE.endswith((".recovery", ".plain")):
    api, mode = SUITE.split(".")
    matrix(api, mode == "recovery")
elif SUITE == "bare-recovery":
    bare_recovery()
elif SUITE == "interrupts":
    interrupts()
elif SUITE.startswith("startup."):
    startup(int(SUITE.split(".")[1]))
else:
    sys.exit(f"check_failures.py: unknown suite {SUITE}")

if failures:
    print(f"\n{len(failures)} check(s) failed:\n")
    print("\n".join(failures))
    sys.exit(1)
print("PASS")
