// Profiling a whole multirank job: every rank, every task, every message, gathered to rank 0 and
// rendered as a trace, a table, a text summary, an SVG timeline and one HTML report.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string_view>
#include <vector>

namespace multirank::profile {

/// Profiling is switched on for a run by naming a directory, on rank 0 (every rank follows it):
/// `MULTIRANK_PROFILE=DIR` in the environment, or RuntimeOptions::profile_dir. Off, it costs a
/// branch per event. On, each rank records its tasks (function, id, start, end, bytes in and out,
/// status), its messages and, on rank 0, the queue depth, in bounded buffers
/// (MULTIRANK_PROFILE_MAX_EVENTS per kind); clocks are matched to rank 0's by ping-pong at start
/// and end. When the Runtime ends, rank 0 gathers every log over MPI and writes into DIR:
/// `rank-<r>.binlog` (each rank's raw log, binary: write_jsonl_logs or `multirank-report --jsonl`
/// turns it into JSON lines), `trace.json` (ui.perfetto.dev, chrome://tracing),
/// `tasks.csv`, `summary.txt`, `timeline.svg` and `report.html`. If the driver dies of an
/// exception, it saves its own log and reports, marked incomplete.
///
/// @code
///   // MULTIRANK_PROFILE=prof mpirun -np 4 ./my_program   then open prof/report.html
///   multirank::RuntimeOptions options = multirank::RuntimeOptions::from_env();
///   options.profile_dir = "prof";
///   multirank::Runtime runtime(argc, argv, options);
/// @endcode

/// Work the program does itself, outside the Runtime's tasks, recorded as a task record of
/// `function` on this rank, from construction to destruction, on a row of its own for the calling
/// thread: in tasks.csv, the summary, trace.json and the report like any task. On any thread, also
/// before the Runtime starts (what is done while MPI starts belongs in the profile too). A name
/// registered as a task joins that function's figures. When the Runtime starts without
/// profiling, recording stops: each Task is then one branch and allocates nothing.
///
/// @code
///   multirank::profile::Task task("convert_images");  // converting one image before MPI is up
/// @endcode
class Task {
 public:
  /// `function` must outlive the Task; `items`: how many calls the record stands for.
  explicit Task(std::string_view function, std::uint32_t items = 1) noexcept;
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

 private:
  std::string_view function_;
  std::uint32_t items_;
  std::int64_t start_ns_ = 0;  // 0: not recording
};

/// A span of time inside the program's work, named, from construction to destruction: the
/// cProfile of a distributed job. Spans opened while another is open on the same thread nest in
/// it. In trace.json each is a slice under its task (the same row), and summary.txt and
/// report.html have a table over all ranks: calls, total and own time (less the child spans),
/// mean, p50, p95, max and share of the busy time per name, and how the top names spread over
/// the ranks. On any rank and thread, in tasks, Process targets and on the driver. Off (the
/// Runtime started without profiling) it is one branch and allocates nothing; on, it costs two
/// clock readings and an uncontended lock (docs/profiling.md has the figure). Each thread keeps
/// at most MULTIRANK_PROFILE_MAX_EVENTS spans; the rest are counted as dropped.
///
/// @code
///   {
///     multirank::profile::Span span("decode");
///     image = decode(bytes);
///     span.add("bytes", bytes.size());
///   }
/// @endcode
class Span {
 public:
  /// `name` must live as long as the program (a string literal): it is kept as given.
  explicit Span(const char* name) noexcept;
  ~Span();
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

  /// Adds `value` to the span's counter, named `counter` (a string literal; one counter per
  /// span: the last name given).
  void add(const char* counter, std::uint64_t value) noexcept;

 private:
  const char* name_;
  const char* counter_ = nullptr;
  std::uint64_t value_ = 0;
  std::int64_t start_ns_ = 0;  // 0: not recording
  std::int64_t child_ns_ = 0;  // time in the spans nested in this one
  Span* parent_ = nullptr;
  std::uint32_t depth_ = 0;
};

/// Re-renders trace.json, tasks.csv, summary.txt, timeline.svg and report.html from the rank logs
/// in `log_dir` into `out_dir` (what `multirank-report DIR` does). A DecodeError names a log that
/// is missing or malformed.
void render(const std::filesystem::path& log_dir, const std::filesystem::path& out_dir);

/// Writes each rank's log in `log_dir` as JSON lines, `out_dir`/rank-<r>.jsonl (what
/// `multirank-report --jsonl DIR` does): a header object, then one array per event, for jq, pandas
/// or a build with another event layout. Returns the files written.
std::vector<std::filesystem::path> write_jsonl_logs(const std::filesystem::path& log_dir,
                                                    const std::filesystem::path& out_dir);

/// Writes a side-by-side comparison of several profiled runs (their directories) to `out`.
void compare(const std::vector<std::filesystem::path>& run_dirs, std::ostream& out);

}  // namespace multirank::profile
