#!/usr/bin/python3
"""Projects worker utilisation and job time to thousands of workers from the driver's costs that
apps/bench/scale_sweep.sh measured, after checking the model against the measured points.

    scale_model.py SWEEP.json [SWEEP.json...] [--tree SWEEP.json] [--markdown FILE] [--svg FILE]
                   [--costs A,B,W]

(several sweeps, as from runs at different worker counts, are read as one)

The model is analytical: a job's throughput X (tasks per second) is the smallest of what the
driver can dispatch and what the workers can run, and a worker's utilisation is X * L / N (the
share of its time spent in tasks of length L, N workers). Its assumptions:

1. The driver's CPU per task is c = a + b * m: a per task record (encode, match the result,
   complete the future), b per message it sends or receives, m messages per task (every message
   the driver handled during the map, heartbeats included). a is the median over N of the
   driver's CPU per empty task, less b * m (empty tasks travel tens to hundreds to a message,
   and the driver never waits for work); b is the median over the other maps of what their CPU
   per task exceeds a by, per message. Medians, since single runs on a shared machine stray far.
   The driver's CPU includes its polling while it waits for results, which grows with the task
   length as m does, so b is an upper bound: it charges that polling to the messages. A sweep
   with only empty or only non-empty tasks gives b = 0 and all the driver's CPU to a. m for a projection is what the dispatch policy chose in
   the measured runs (task and result messages per task) at the largest N for the nearest task
   length at or below L: from the longest measured length up the policy's window is one task
   and each task travels alone each way.
2. Every worker also spends w per task outside the task (receive, run, reply): the CPU per task
   the worker ranks used on empty tasks. With more ranks than cores, idle workers poll on cores
   the busy ones need, so that figure grows with N there; the validation uses each run's own
   (measured on its empty tasks), the projection the smallest N's, since on a cluster each
   worker has its own core and its polling costs nobody.
3. The driver's core does nothing else: throughput is at most (1 - H) / c, where H is the share
   of its core spent on heartbeats (N per interval received and N sent, b each; the interval is
   a fifth of MULTIRANK_WORKER_TIMEOUT_S, 10 s by default, so 2 s).
4. Workers are never starved by latency: the dispatch policy keeps a window of work queued on
   each, so only capacity limits throughput (the window hides the round trip). Start-up and
   close are left out (issue 18 item 5 measures them apart); a job is 100 tasks per worker.
5. On the measured machine the driver and N workers share its cores (oversubscribed), and on a
   machine shared with other work they get what the scheduler gives them: X <= C / (c + w + L)
   as well, C the cores the job's ranks actually used during the map (their CPU seconds over
   the wall time; the machine's core count where the worker ranks could not be read). That is
   the only difference between the validation model and the projection, where every worker and
   the driver have a core each. So on a small shared machine the validation checks that the
   fitted costs add up to what the job spent per task; that the driver saturates where the
   model says can only be seen on a machine with a core per rank.
6. Nodes have 64 cores; with the dispatch tree (MULTIRANK_DISPATCH_TREE=on) one rank of each
   relays for the node's 63 workers. The driver then spends a_t + b_t * m_t per task: a_t per
   task record and b_t per message, fitted as in assumption 1 to runs measured with the tree on
   (--tree SWEEP.json), and m_t the driver's messages per task in those runs (envelopes, each
   carrying a node's tasks or results, and the rest) at their largest N for the nearest task
   length at or below L. So relays are assumed to batch on 64-core nodes no better than on the
   measured (smaller, pseudo-) nodes, which understates the tree. It hears heartbeats from relays
   only. A relay spends b_t per message it forwards: the node's messages (m per task, as the
   driver's without the tree) and its envelopes (m_t). Without --tree runs, the tree is the
   design's projection instead: a_t = a, b_t = b, and m_t = 2 / B, B the tasks a node's 63
   workers run in 5 ms (at least 1, at most 1024). The driver still spends a_t on every task
   (each is a future of the program's), so the tree removes per-message costs, never the
   per-task one.

Validation: the model predicts the driver's CPU per task of every measured map from its messages
per task, and (with assumption 5) its throughput from its N, L and C; the table gives each
point's errors, then the median and worst relative errors of both.
Only the Python standard library is used.
"""
import argparse
import html
import json
import math
import statistics
import sys

PROJECTED_WORKERS = [1024, 4096, 8192]
PROJECTED_TASK_US = [100, 1000, 10_000, 100_000]
CORES_PER_NODE = 64
TASKS_PER_WORKER = 100
WINDOW_US = 500.0  # MULTIRANK_WINDOW_US's default: work queued per worker slot
MAX_WINDOW = 1024  # MULTIRANK_MAX_WINDOW's default
RELAY_PERIOD_US = 5000.0  # the projected tree: a relay's batches each way, at most this often
DEFAULT_HEARTBEAT_INTERVAL_S = 2.0  # MULTIRANK_WORKER_TIMEOUT_S 10 s / 5
MAP_FIELDS = {"task_us": (int, float), "tasks": (int,), "wall_s": (int, float),
              "tasks_per_s": (int, float), "driver_cpu_s": (int, float),
              "task_messages": (int,), "result_messages": (int,), "messages": (int,)}


class SweepError(Exception):
    """The sweep's JSON is unreadable or lacks what the model needs."""


def load_sweep(path):
    """The sweep's runs, each checked for the fields the model reads; SweepError names the file
    and what is wrong."""
    try:
        with open(path, encoding="utf-8") as file:
            sweep = json.load(file)
    except OSError as error:
        raise SweepError(f"{path}: cannot read it: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise SweepError(f"{path}: not valid JSON: {error.msg} at line {error.lineno} column "
                         f"{error.colno}") from None
    if not isinstance(sweep, dict) or not isinstance(sweep.get("runs"), list) or not sweep["runs"]:
        raise SweepError(f"{path}: expected an object with a non-empty list 'runs' "
                         "(apps/bench/scale_sweep.sh writes one)")
    for r, run in enumerate(sweep["runs"]):
        where = f"{path}: runs[{r}]"
        if not isinstance(run, dict):
            raise SweepError(f"{where}: not an object")
        for key, kinds in (("workers", (int,)), ("cores", (int,)), ("maps", (list,)),
                           ("idle", (dict,))):
            if not isinstance(run.get(key), kinds) or isinstance(run.get(key), bool):
                raise SweepError(f"{where}: '{key}' missing or not a {kinds[0].__name__}")
        if run["workers"] < 1 or run["cores"] < 1 or not run["maps"]:
            raise SweepError(f"{where}: needs workers >= 1, cores >= 1 and at least one map")
        if not isinstance(run["idle"].get("driver_cpu_fraction"), (int, float)):
            raise SweepError(f"{where}.idle: 'driver_cpu_fraction' missing or not a number")
        for m, row in enumerate(run["maps"]):
            for key, kinds in MAP_FIELDS.items():
                value = row.get(key) if isinstance(row, dict) else None
                if not isinstance(value, kinds) or isinstance(value, bool) or value < 0:
                    raise SweepError(f"{where}.maps[{m}]: '{key}' missing or not a number >= 0")
            if row["tasks"] == 0 or row["wall_s"] <= 0:
                raise SweepError(f"{where}.maps[{m}]: needs tasks > 0 and wall_s > 0")
    return sweep


def cpu_per_task_us(row):
    return row["driver_cpu_s"] / row["tasks"] * 1e6


def messages_per_map_task(row):
    return row["messages"] / row["tasks"]


def empty_task_worker_cost(run):
    """The worker ranks' CPU per empty task in this run (µs), or None where not measured."""
    for row in run["maps"]:
        if row["task_us"] == 0 and isinstance(row.get("workers_cpu_per_task_us"), (int, float)):
            return row["workers_cpu_per_task_us"]
    return None


def fit_costs(runs):
    """a (µs per task), b (µs per message) and w (µs per task on a worker): assumptions 1, 2."""
    empty = [row for run in runs for row in run["maps"] if row["task_us"] == 0]
    others = [row for run in runs for row in run["maps"] if row["task_us"] > 0 and row["messages"]]
    worker_costs = [cost for cost in map(empty_task_worker_cost, runs) if cost is not None]
    w = worker_costs[0] if worker_costs else 0.0
    if not empty or not others:  # one kind of map: a message's cost cannot be told apart
        return statistics.median(cpu_per_task_us(row) for run in runs for row in run["maps"]), 0.0, w
    a = statistics.median(cpu_per_task_us(row) for row in empty)
    b = 0.0
    for _ in range(2):  # a's correction for the few messages of empty tasks moves b a little
        b = max(0.0, statistics.median((cpu_per_task_us(row) - a) / messages_per_map_task(row)
                                       for row in others))
        a = max(0.0, statistics.median(cpu_per_task_us(row) - b * messages_per_map_task(row)
                                       for row in empty))
    return a, b, w


def messages_per_task(runs):
    """Task length (µs) -> messages per task the dispatch policy used at the largest N."""
    largest = max(runs, key=lambda run: run["workers"])
    return {row["task_us"]: (row["task_messages"] + row["result_messages"]) / row["tasks"]
            for row in largest["maps"]}


def m_for(task_us, measured):
    """Messages per task for a length: the nearest measured length at or below it."""
    below = [length for length in measured if length <= task_us]
    return measured[max(below)] if below else measured[min(measured)]


def throughput(workers, task_us, a, b, w, m, heartbeat_interval_s, cores=None):
    """Tasks per second of one driver feeding `workers`, and which limit binds."""
    c = (a + b * m) * 1e-6
    heartbeat_share = 2 * workers / heartbeat_interval_s * b * 1e-6
    limits = {"driver": max(0.0, 1 - heartbeat_share) / c if c > 0 else math.inf,
              "workers": workers / ((task_us + w) * 1e-6) if task_us + w > 0 else math.inf}
    if cores is not None:
        limits["cores"] = cores / (c + (task_us + w) * 1e-6)
    bound = min(limits, key=limits.get)
    return limits[bound], bound


class TreeCosts:
    """The dispatch tree's costs (assumption 6): a_t, b_t and the driver's messages per task by
    task length, fitted to `runs` measured with the tree on or, lacking those, the design's."""

    def __init__(self, a, b, runs=None):
        self.measured = bool(runs)
        if self.measured:
            self.a, self.b, _ = fit_costs(runs)
            self.m = messages_per_task(runs)
        else:
            self.a, self.b, self.m = a, b, None

    def messages(self, task_us):
        if self.m is not None:
            return m_for(task_us, self.m)
        batch = min(MAX_WINDOW, max(1.0, (CORES_PER_NODE - 1) * RELAY_PERIOD_US / task_us))
        return 2 / batch


def tree_throughput(workers, task_us, w, m, tree, heartbeat_interval_s):
    """The same with one relay per node of CORES_PER_NODE (assumption 6)."""
    per_node = CORES_PER_NODE - 1
    nodes = math.ceil(workers / per_node)
    m_t = tree.messages(task_us)
    driver_c = (tree.a + tree.b * m_t) * 1e-6
    heartbeat_share = 2 * nodes / heartbeat_interval_s * tree.b * 1e-6
    relay_c = tree.b * (m + m_t) * 1e-6
    relay_heartbeats = per_node / heartbeat_interval_s * 2 * tree.b * 1e-6
    limits = {"driver": max(0.0, 1 - heartbeat_share) / driver_c,
              "relays": nodes * max(0.0, 1 - relay_heartbeats) / relay_c if relay_c > 0 else math.inf,
              "workers": workers / ((task_us + w) * 1e-6)}
    bound = min(limits, key=limits.get)
    return limits[bound], bound


def validate(runs, a, b, w, label=""):
    """Each measured map against the model's prediction for its N, L and cores; `label` follows
    the worker count in the table (the tree's runs)."""
    rows = []
    for run in runs:
        interval = run["idle"].get("heartbeat_interval_s") or math.inf
        run_w = empty_task_worker_cost(run)
        run_w = w if run_w is None else run_w
        for row in run["maps"]:
            m = row["messages"] / row["tasks"]
            cores = run["cores"]
            if isinstance(row.get("workers_cpu_per_task_us"), (int, float)):
                cores = (row["driver_cpu_s"] + row["workers_cpu_per_task_us"] * row["tasks"] * 1e-6) / row["wall_s"]
            predicted, bound = throughput(run["workers"], row["task_us"], a, b, run_w, m,
                                          interval, cores=cores)
            measured = row["tasks_per_s"]
            cpu = row["driver_cpu_s"] / row["tasks"] * 1e6
            rows.append({"workers": f"{run['workers']}{label}", "task_us": row["task_us"], "cores": cores,
                         "cpu": cpu, "model_cpu": a + b * m, "cpu_error": (a + b * m - cpu) / cpu,
                         "measured": measured, "predicted": predicted, "bound": bound,
                         "error": (predicted - measured) / measured})
    return rows


def projections(a, b, w, measured_m, tree):
    rows = []
    for task_us in PROJECTED_TASK_US:
        m = m_for(task_us, measured_m)
        for workers in PROJECTED_WORKERS:
            single, single_bound = throughput(workers, task_us, a, b, w, m,
                                              DEFAULT_HEARTBEAT_INTERVAL_S)
            tree_rate, tree_bound = tree_throughput(workers, task_us, w, m, tree,
                                                    DEFAULT_HEARTBEAT_INTERVAL_S)
            tasks = TASKS_PER_WORKER * workers
            rows.append({"workers": workers, "task_us": task_us, "m": m,
                         "single_utilisation": single * task_us * 1e-6 / workers,
                         "single_job_s": tasks / single, "single_bound": single_bound,
                         "tree_utilisation": tree_rate * task_us * 1e-6 / workers,
                         "tree_job_s": tasks / tree_rate, "tree_bound": tree_bound,
                         "ideal_job_s": TASKS_PER_WORKER * (task_us + w) * 1e-6})
    return rows


def length_label(task_us):
    return f"{task_us / 1000:g} ms" if task_us >= 1000 else f"{task_us:g} µs"


def markdown(sweep, path, a, b, w, checks, rows, tree, overridden=False):
    errors = [abs(check["error"]) for check in checks]
    source = "Given with --costs" if overridden else "Fitted"
    lines = [f"{source}; measured in `{path}` ({sweep.get('date', 'undated')}, "
             f"{sweep.get('machine', '?')}, commit {sweep.get('commit', '?')}): a = {a:.2f} µs "
             f"of driver CPU per task, b = {b:.2f} µs per message, w = {w:.2f} µs of worker CPU "
             "per task." + ("" if overridden or b > 0 else " (b is 0: with maps of only empty or "
                            "only non-empty tasks the fit cannot tell a message's cost from a "
                            "task's, and counts it all in a.)"),
             "" if not tree.measured else
             f"With the dispatch tree (--tree runs): a_t = {tree.a:.2f} µs per task, b_t = "
             f"{tree.b:.2f} µs per message; its runs' rows are marked (tree) in the validation.",
             "",
             "Validation: each measured map's driver CPU per task and throughput against the "
             "model's for its N, L, messages per task and the cores the job's ranks used:",
             "",
             "| workers | task | driver µs/task | model µs/task | error | cores used | "
             "measured tasks/s | model tasks/s | error | model's limit |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for check in checks:
        lines.append(f"| {check['workers']} | {length_label(check['task_us'])} | "
                     f"{check['cpu']:.2f} | {check['model_cpu']:.2f} | "
                     f"{100 * check['cpu_error']:+.0f} % | {check['cores']:.2f} | "
                     f"{check['measured']:.0f} | {check['predicted']:.0f} | "
                     f"{100 * check['error']:+.0f} % | {check['bound']} |")
    tree_note = ("the tree from its measured costs" if tree.measured
                 else "the tree from its design, not measured")
    cpu_errors = [abs(check["cpu_error"]) for check in checks]
    # An empty-task map gave its run's w, so its throughput is not predicted independently.
    task_errors = [abs(check["error"]) for check in checks if check["task_us"] > 0] or errors
    lines += ["",
              f"Relative error of the driver's CPU per task: median "
              f"{100 * statistics.median(cpu_errors):.0f} %, worst {100 * max(cpu_errors):.0f} % "
              f"over {len(cpu_errors)} points; of the throughput of the maps of non-empty tasks "
              f"(the empty ones gave each run's w): median "
              f"{100 * statistics.median(task_errors):.0f} %, worst "
              f"{100 * max(task_errors):.0f} % over {len(task_errors)} points.",
              "",
              f"Projection ({CORES_PER_NODE}-core nodes, {TASKS_PER_WORKER} tasks per worker, "
              "heartbeats every 2 s; " + tree_note + "):",
              "",
              "| task | workers | msgs/task | single driver: utilisation | job s | limit | "
              "tree: utilisation | job s | limit | ideal job s |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {length_label(row['task_us'])} | {row['workers']} | {row['m']:.2f} | "
                     f"{row['single_utilisation']:.3f} | {row['single_job_s']:.3g} | "
                     f"{row['single_bound']} | {row['tree_utilisation']:.3f} | "
                     f"{row['tree_job_s']:.3g} | {row['tree_bound']} | {row['ideal_job_s']:.3g} |")
    return "\n".join(lines) + "\n"


def svg(a, b, w, measured_m, tree):
    """Utilisation against workers (log scale), a line per task length, solid for the single
    driver and dashed for the projected tree."""
    workers_axis = [2 ** k for k in range(6, 14)]  # 64 to 8192
    colours = ["#c53030", "#2b6cb0", "#2f855a", "#6b46c1"]
    left, top, plot_w, plot_h = 70, 40, 520, 300
    width, height = left + plot_w + 200, top + plot_h + 60

    def x_of(n):
        return left + plot_w * (math.log2(n) - 6) / 7

    def y_of(u):
        return top + plot_h * (1 - u)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif" font-size="13">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left + plot_w / 2}" y="24" text-anchor="middle" font-size="15" '
           'font-weight="bold">Projected worker utilisation, one driver and with a relay per '
           f'node{"" if tree.measured else " (design)"}</text>']
    for tick in range(0, 11, 2):
        y = y_of(tick / 10)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
                   'stroke="#e2e8f0"/>')
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{tick / 10:g}</text>')
    for n in workers_axis:
        x = x_of(n)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
                   'stroke="#e2e8f0"/>')
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{n}</text>')
    out.append(f'<text x="{left + plot_w / 2}" y="{top + plot_h + 44}" text-anchor="middle">'
               'workers (log scale)</text>')
    out.append(f'<text x="18" y="{top + plot_h / 2}" text-anchor="middle" '
               f'transform="rotate(-90 18 {top + plot_h / 2})">worker utilisation</text>')
    for index, task_us in enumerate(PROJECTED_TASK_US):
        m = m_for(task_us, measured_m)
        colour = colours[index % len(colours)]
        for with_tree in (False, True):
            points = []
            for n in workers_axis:
                if with_tree:
                    x_rate, _ = tree_throughput(n, task_us, w, m, tree, DEFAULT_HEARTBEAT_INTERVAL_S)
                else:
                    x_rate, _ = throughput(n, task_us, a, b, w, m, DEFAULT_HEARTBEAT_INTERVAL_S)
                points.append(f"{x_of(n):.1f},{y_of(min(1.0, x_rate * task_us * 1e-6 / n)):.1f}")
            dash = ' stroke-dasharray="6 4"' if with_tree else ""
            out.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                       f'stroke-width="2"{dash}/>')
        y = top + 10 + index * 22
        out.append(f'<line x1="{left + plot_w + 16}" y1="{y}" x2="{left + plot_w + 46}" y2="{y}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{left + plot_w + 52}" y="{y + 4}">'
                   f'{html.escape(length_label(task_us))} tasks</text>')
    y = top + 10 + len(PROJECTED_TASK_US) * 22 + 10
    out.append(f'<line x1="{left + plot_w + 16}" y1="{y}" x2="{left + plot_w + 46}" y2="{y}" '
               'stroke="#4a5568" stroke-width="2"/>')
    out.append(f'<text x="{left + plot_w + 52}" y="{y + 4}">one driver</text>')
    out.append(f'<line x1="{left + plot_w + 16}" y1="{y + 22}" x2="{left + plot_w + 46}" '
               f'y2="{y + 22}" stroke="#4a5568" stroke-width="2" stroke-dasharray="6 4"/>')
    out.append(f'<text x="{left + plot_w + 52}" y="{y + 26}">relay per node</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="The model's assumptions: see this file's docstring.")
    parser.add_argument("sweeps", nargs="+", metavar="SWEEP.json",
                        help="the JSON apps/bench/scale_sweep.sh wrote (OUT/sweep.json)")
    parser.add_argument("--tree", action="append", default=[], metavar="SWEEP.json",
                        help="runs measured with the dispatch tree on, for its costs (assumption 6)")
    parser.add_argument("--markdown", help="also write the tables to this file")
    parser.add_argument("--svg", help="write the plot of utilisation against workers here")
    parser.add_argument("--costs", metavar="A,B,W",
                        help="project with these costs (µs per task, per message, worker's per "
                             "task) instead of the fitted ones; the validation still uses the fit")
    args = parser.parse_args()
    override = None
    if args.costs:
        try:
            override = [float(v) for v in args.costs.split(",")]
            if len(override) != 3 or min(override) < 0:
                raise ValueError
        except ValueError:
            parser.error(f"--costs '{args.costs}': expected three numbers >= 0, A,B,W in µs")
    try:
        sweeps = [load_sweep(path) for path in args.sweeps]
        tree_sweeps = [load_sweep(path) for path in args.tree]
    except SweepError as error:
        sys.exit(f"scale_model.py: {error}")
    sweep = sweeps[0]
    runs = sorted((run for each in sweeps for run in each["runs"]), key=lambda run: run["workers"])
    a, b, w = fit_costs(runs)
    measured_m = messages_per_task(runs)
    checks = validate(runs, a, b, w)
    tree_runs = sorted((run for each in tree_sweeps for run in each["runs"]),
                       key=lambda run: run["workers"])
    tree = TreeCosts(a, b, tree_runs)
    if tree.measured:
        checks += validate(tree_runs, tree.a, tree.b, w, label=" (tree)")
    if override:
        a, b, w = override
        if not tree.measured:
            tree = TreeCosts(a, b)
    text = markdown(sweep, ", ".join(args.sweeps), a, b, w, checks,
                    projections(a, b, w, measured_m, tree), tree, overridden=bool(override))
    print(text, end="")
    for path, content in ((args.markdown, text), (args.svg, svg(a, b, w, measured_m, tree) if args.svg else None)):
        if path:
            try:
                with open(path, "w", encoding="utf-8") as file:
                    file.write(content)
            except OSError as error:
                sys.exit(f"scale_model.py: cannot write {path}: {error.strerror}")


if __name__ == "__main__":
    main()
