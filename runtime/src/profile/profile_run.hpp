// A whole profiled run, assembled from the ranks' logs: every time stamp moved onto rank 0's clock
// (each rank's offset, corrected linearly for drift between the start and end estimates) and made
// relative to the start of the run; and the figures every report shows, computed once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "recording/profile_log.hpp"

namespace multirank::detail {

/// One rank's events on the run's time axis (nanoseconds since the run started, rank 0's clock).
struct RankTimeline {
  RankLogHeader header;
  int node = 0;  // index into ProfileRun::nodes
  std::vector<TaskEvent> tasks;
  std::vector<MessageEvent> messages;
  std::vector<QueueSample> queue;
  std::vector<SpanEvent> spans;       // sorted by start
  std::vector<PhaseEvent> phases;     // start-up and close, in the order they began
  std::int64_t process_start_ns = 0;  // when the rank's process started (rank 0's: 0)
};

struct ProfileRun {
  std::string label;                // where it came from (a directory)
  std::vector<RankTimeline> ranks;  // indexed by rank
  std::vector<std::string> nodes;   // host names, in order of first rank
  std::map<std::uint64_t, std::string> functions;
  std::map<std::uint64_t, std::string> span_names;  // span and counter names, by id
  std::int64_t duration_ns = 0;                     // rank 0's profiled window
  bool complete = true;

  const std::string& function_name(std::uint64_t id) const;
};

/// Places the logs of one run on a common time axis; a DecodeError if a rank is missing or twice.
ProfileRun assemble_run(std::vector<RankLog> logs, std::string label);
/// Every rank's log in DIR (rank-<r>.binlog, or rank-<r>.jsonl where a rank has no binary log),
/// as written, in no particular order; a DecodeError names a log that cannot be read.
std::vector<RankLog> load_rank_logs(const std::filesystem::path& dir);
/// Reads DIR's rank logs and assembles them.
ProfileRun load_run(const std::filesystem::path& dir);
/// The rank's time `local_ns` on rank 0's clock, by its start and end offset estimates.
std::int64_t to_rank0_clock(const RankLogHeader& header, std::int64_t local_ns);

struct RankStats {
  int rank = 0;
  std::string host;
  bool runs_tasks = true;
  std::uint64_t tasks = 0;  // records: a submit, or a chunk of a map
  std::uint64_t items = 0;
  std::uint64_t failed_items = 0;
  double busy_s = 0;       // running tasks, (de)serialising their arguments and results included
  double serialise_s = 0;  // the part of busy spent (de)serialising
  double comm_s = 0;       // inside MPI calls that moved a message
  double wait_s = 0;       // between its first and last task, with nothing to run
  double idle_s = 0;       // the rest: before its first task and after its last
  double utilisation = 0;  // busy / wall
  double clock_offset_s = 0;
  double clock_error_s = 0;
};

struct FunctionStats {
  std::string name;
  std::uint64_t calls = 0;  // items (a chunk of a map counts each of its items)
  std::uint64_t records = 0;
  std::uint64_t failed = 0;
  double total_s = 0;
  double mean_s = 0;  // per call
  double p50_s = 0;   // per call, over the recorded slices (a chunk: its time / its items)
  double p95_s = 0;
  double max_s = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::vector<double> call_s;  // per-call time of each recorded slice, unordered, for histograms
};

/// One span name over every rank, like a line of Python's pstats.
struct SpanStats {
  std::string name;
  std::uint64_t calls = 0;
  double total_s = 0;  // the spans' whole time, nested spans included (cumulative)
  double own_s = 0;    // less the time of the spans nested in them
  double mean_s = 0;   // per call, whole time
  double p50_s = 0;
  double p95_s = 0;
  double max_s = 0;
  double busy_share = 0;  // own time over the job's busy time (every rank's tasks)
  std::string counter;    // the counter added to these spans, if any, and its sum
  std::uint64_t counter_total = 0;
  // Over the ranks that ran it: each rank's total time, summarised.
  int ranks = 0;
  double rank_min_s = 0;
  double rank_p50_s = 0;
  double rank_max_s = 0;
  int rank_of_max = 0;
};

/// One phase of start-up or close over the ranks that had it: how long it took on the typical rank
/// and on the slowest, so a run of hundreds of ranks still reads as one line per phase.
struct PhaseStats {
  std::string name;
  int ranks = 0;
  double median_s = 0;
  double p95_s = 0;
  double max_s = 0;
  int slowest_rank = 0;
  double median_start_s = 0;  // when it began on the typical rank, on the run's time axis
};

struct SlowTask {
  std::uint64_t task_id = 0;
  std::uint64_t function_id = 0;
  std::string function;  // filled for the slowest only
  int rank = 0;
  double start_s = 0;
  double duration_s = 0;
};

/// A figure of the ranks that run tasks, by quantile over them: how a run of hundreds of ranks
/// reads in a few lines instead of one per rank.
struct RankSpread {
  std::string figure;  // "busy", "comm", ...
  double min = 0;
  double p25 = 0;
  double median = 0;
  double p75 = 0;
  double max = 0;
  int rank_of_min = 0;
  int rank_of_max = 0;
};

/// Per-rank tables list every rank up to this many ranks; beyond, rank 0 and the busiest and
/// least busy ranks, with the spreads over all of them.
constexpr std::size_t ranks_listed_in_full = 32;
constexpr std::size_t extreme_ranks_listed = 8;

struct RunSummary {
  double wall_s = 0;
  std::uint64_t tasks = 0;
  std::uint64_t dropped_tasks = 0;
  std::vector<RankStats> ranks;
  // The ranks the per-rank tables list (indices into `ranks`, in rank order): all of them, or
  // beyond ranks_listed_in_full, rank 0 and the extreme_ranks_listed busiest and least busy.
  std::vector<std::size_t> listed_ranks;
  std::vector<RankSpread> rank_spreads;  // busy, serialise, comm, wait, idle, utilisation
  std::vector<FunctionStats> functions;  // by total time, largest first
  std::vector<SlowTask> slowest;         // longest first
  std::vector<SpanStats> spans;          // by total time, largest first
  std::vector<PhaseStats> phases;        // in the order they happen on rank 0, then the others'
  std::uint64_t dropped_spans = 0;
  double mean_busy_s = 0;  // over the ranks that run tasks
  double max_busy_s = 0;
  double balance_efficiency = 0;  // mean busy / max busy (1 = perfectly balanced)
  double imbalance_factor = 0;    // max busy / mean busy
  double max_clock_error_s = 0;
  std::string slurm_job_id;
  std::string slurm_step_id;
};

RunSummary summarise(const ProfileRun& run, std::size_t slowest = 10);

}  // namespace multirank::detail
