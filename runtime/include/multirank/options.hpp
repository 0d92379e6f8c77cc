// Settings of a run: how ranks wait, how much work each worker keeps queued, whether the driver
// rank runs tasks too. Every field can be set from a MULTIRANK_* environment variable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace multirank {

/// Whether rank 0 runs tasks besides driving: `automatic` does when its node has a core per rank,
/// so with `mpirun -np 2` on two cores both cores compute; `always` is forced with one rank.
enum class DriverWorks { automatic, always, never };

/// The settings of a run, each also a MULTIRANK_* variable (docs/environment.md lists them).
/// Rank 0's settings decide for the whole job where they must agree (the profile directory).
struct RuntimeOptions {
  /// How long a waiting rank keeps polling after the last message before it starts to nap
  /// (MULTIRANK_SPIN_US).
  std::chrono::microseconds spin_window{1000};
  /// The longest nap between polls of an idle rank (MULTIRANK_MAX_NAP_US).
  std::chrono::microseconds max_nap{1000};
  /// Work kept queued on each worker, in time, so it never waits on a round trip between tasks;
  /// the window in tasks follows from measured task durations (MULTIRANK_WINDOW_US).
  std::chrono::microseconds window_target{500};
  /// Upper bound on tasks queued per worker (MULTIRANK_MAX_WINDOW).
  std::uint32_t max_window_items = 1024;
  /// MULTIRANK_DRIVER_WORKS = auto | 1 | 0.
  DriverWorks driver_works = DriverWorks::automatic;
  /// Whether a spinning thread yields its core (sched_yield) to other runnable threads
  /// (MULTIRANK_SPIN_YIELD = auto | 1 | 0). Unset (auto): yield where the node runs more busy
  /// threads than it has cores (its ranks, plus the driver's worker thread on the driver's node;
  /// spinning_should_yield). Without yielding, waiting threads take the cores the tasks need;
  /// yielding costs the round trip of a single task in flight a few microseconds
  /// (docs/benchmarks.md).
  std::optional<bool> spin_yield;
  /// A dispatch tree: on each node but the driver's, one rank (its lowest) relays for the node's
  /// ranks, taking their tasks from the driver in one message per node and returning their
  /// results in batches, and watching their processes, so the driver's messages grow with nodes
  /// rather than ranks. Off by default: on one node it changes nothing, and it moves CPU from the
  /// driver to the relays, which pays only where one driver feeds many nodes (docs/benchmarks.md).
  /// Rank 0's setting decides for the whole job (MULTIRANK_DISPATCH_TREE = on | off).
  bool dispatch_tree = false;
  /// For tests and measurements on one machine: the tree takes each node for pseudo-nodes of this
  /// many consecutive ranks, each with a relay of its own; 0: the real nodes. Rank 0's setting
  /// decides (MULTIRANK_TREE_NODE_RANKS).
  std::uint32_t tree_node_ranks = 0;
  /// Largest single MPI message; bigger payloads are split (MULTIRANK_MAX_MESSAGE_BYTES).
  std::size_t max_message_bytes = std::size_t{1} << 30;
  /// A worker rank silent this long (no heartbeat, sent every fifth of it, and no large message
  /// on its way) is taken for lost: its tasks go to the other ranks. A rank on the driver's node
  /// whose process is gone is noticed within a tenth of a second whatever this says. 0 = never
  /// (MULTIRANK_WORKER_TIMEOUT_S).
  std::chrono::seconds worker_timeout{10};
  /// How many times a task lost with its rank is run again elsewhere before its future fails
  /// with WorkerLost; Executor and Pool can set their own (MULTIRANK_RETRIES).
  int retries = 2;
  /// When every process (and the driver's main thread) has been blocked on shared objects this
  /// long, or has only polled them with timeouts that kept expiring while no call succeeded
  /// (`while (true) try { q.get(1s); } catch (Empty&) {}` everywhere, and nothing is put), the
  /// job prints who waits for what (and what each polls, how often in vain) and ends with
  /// status 1; 0 = never (MULTIRANK_WATCHDOG_S).
  std::chrono::seconds watchdog{0};
  /// After SIGINT or SIGTERM, how long tasks already running may take to finish before the job
  /// ends without them (exit status 128 + signal either way) (MULTIRANK_GRACE_S).
  std::chrono::seconds grace{5};
  /// A task running longer than this fails with TaskTimeout naming it and its rank; the job goes
  /// on without that rank until the task returns. 0 = no limit; Executor and Pool can set their
  /// own (MULTIRANK_TASK_TIMEOUT_S).
  std::chrono::seconds task_timeout{0};
  /// Prefix each line a process prints with "[name rank r@host] " (MULTIRANK_TAG_OUTPUT = 0 | 1).
  bool tag_output = false;
  /// spdlog level name: trace, debug, info, warn, error, off (MULTIRANK_LOG_LEVEL). The log goes
  /// to stderr, never stdout, so it stays out of what the program prints; its level is coloured
  /// only when stderr reaches a terminal (under mpirun: when mpirun's stderr is one).
  std::string log_level = "warn";
  /// Where rank 0 writes the job's profile (trace.json, tasks.csv, summary.txt, timeline.svg,
  /// report.html and each rank's log); empty: profiling off, at no cost (MULTIRANK_PROFILE).
  /// Rank 0's setting decides for every rank. See multirank/profile.hpp.
  std::string profile_dir;
  /// Events each rank keeps per kind (tasks, messages, queue samples); past it, per-function
  /// totals stay exact and the reports say how many slices were dropped
  /// (MULTIRANK_PROFILE_MAX_EVENTS).
  std::size_t profile_max_events = 1'000'000;
  /// Rank 0 gathers each rank's log through a buffer of this many bytes, appending it to a file
  /// in the profile directory as it arrives, so the gather's memory does not grow with the job
  /// (MULTIRANK_PROFILE_GATHER_BUFFER_BYTES). Rank 0's setting decides for every rank.
  std::size_t profile_gather_buffer_bytes = std::size_t{16} << 20;
  /// Events of each kind the reports are rendered from, over all ranks: each rank's share is
  /// this divided by the number of ranks, its first events; past it, per-function totals stay
  /// exact, the reports say how many slices were left out, and `rank-<r>.binlog` still has them all
  /// (MULTIRANK_PROFILE_REPORT_EVENTS).
  std::size_t profile_report_events = 4'000'000;

  /// Defaults, overridden by the MULTIRANK_* variables that are set; a malformed value is a
  /// ConfigError naming the variable, the value and what is allowed. (A Runtime that reads the
  /// variables itself reports such an error at start-up and exits with status 2 on every rank.)
  static RuntimeOptions from_env();

  /// A ConfigError naming the first field whose value cannot be used, and what is allowed.
  void validate() const;
};

}  // namespace multirank
