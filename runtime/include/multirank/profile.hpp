// Profiling a whole multirank job: every rank, every task, every message, gathered to rank 0 and
// rendered as a trace, a table, a text summary, an SVG timeline and one HTML report.
#pragma once

#include <filesystem>
#include <ostream>
#include <vector>

namespace multirank::profile {

/// Profiling is switched on for a run by naming a directory, on rank 0 (every rank follows it):
/// `MULTIRANK_PROFILE=DIR` in the environment, or RuntimeOptions::profile_dir. Off, it costs a
/// branch per event. On, each rank records its tasks (function, id, start, end, bytes in and out,
/// status), its messages and, on rank 0, the queue depth, in bounded buffers
/// (MULTIRANK_PROFILE_MAX_EVENTS per kind); clocks are matched to rank 0's by ping-pong at start and
/// end. When the Runtime ends, rank 0 gathers every log over MPI and writes into DIR:
/// `rank-<r>.jsonl` (each rank's raw log), `trace.json` (ui.perfetto.dev, chrome://tracing),
/// `tasks.csv`, `summary.txt`, `timeline.svg` and `report.html`. If the driver dies of an
/// exception, it saves its own log and reports, marked incomplete.
///
/// @code
///   // MULTIRANK_PROFILE=prof mpirun -np 4 ./my_program   then open prof/report.html
///   multirank::RuntimeOptions options = multirank::RuntimeOptions::from_env();
///   options.profile_dir = "prof";
///   multirank::Runtime runtime(argc, argv, options);
/// @endcode

/// Re-renders trace.json, tasks.csv, summary.txt, timeline.svg and report.html from the rank logs
/// in `log_dir` into `out_dir` (what `multirank-report DIR` does). A DecodeError names a log that
/// is missing or malformed.
void render(const std::filesystem::path& log_dir, const std::filesystem::path& out_dir);

/// Writes a side-by-side comparison of several profiled runs (their directories) to `out`.
void compare(const std::vector<std::filesystem::path>& run_dirs, std::ostream& out);

}  // namespace multirank::profile
