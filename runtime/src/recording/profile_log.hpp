// One rank's profile log: what the rank recorded during a run (tasks, messages, the driver's queue
// depth) and the header that places it (rank, host, clock offsets), and its portable form, JSON
// lines: the header's, which every rank sends to rank 0 and every binary log carries
// (binary_log.hpp), and `multirank-report --jsonl`'s rank-<r>.jsonl, one line per event.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace multirank::detail {

class TextSink;

/// One task record executed on a rank (a plain submit, or one chunk of a map).
struct TaskEvent {
  std::uint64_t task_id = 0;
  std::uint64_t function_id = 0;
  std::int64_t start_ns = 0;  // the rank's clock
  std::int64_t end_ns = 0;
  std::int64_t serialise_ns = 0;  // decoding arguments and encoding results, within the task
  std::uint64_t bytes_in = 0;     // encoded arguments
  std::uint64_t bytes_out = 0;    // encoded results (or errors)
  std::uint32_t items = 0;
  std::uint32_t failed_items = 0;
  std::uint32_t thread =
      0;  // 0: the rank's task thread; n: the program's own thread n (profile::Task)
};

/// One span the program timed inside its work (multirank::profile::Span), on one of its threads.
struct SpanEvent {
  std::int64_t start_ns = 0;  // the rank's clock
  std::int64_t end_ns = 0;
  std::int64_t own_ns = 0;       // the span's time less its child spans'
  std::uint64_t name_id = 0;     // RankLogHeader::span_names
  std::uint64_t counter_id = 0;  // the counter added to it (RankLogHeader::span_names), 0: none
  std::uint64_t counter = 0;
  std::uint32_t thread = 0;  // ProgramRecords::thread_number of the thread it ran on
  std::uint32_t depth = 0;   // 0: outermost; n: inside n spans
};

enum class MessageDirection : std::uint8_t { sent = 0, received = 1 };

/// One whole multirank message sent or received by the rank (continuations included).
struct MessageEvent {
  std::int64_t time_ns = 0;
  MessageDirection direction = MessageDirection::sent;
  std::int32_t peer = 0;
  std::uint16_t kind = 0;
  std::uint64_t bytes = 0;
};

/// The driver's queue at one moment: records waiting to be handed out, and handed out but not done.
struct QueueSample {
  std::int64_t time_ns = 0;
  std::uint64_t pending = 0;
  std::uint64_t running = 0;
};

/// A stretch of a rank's start-up or close (MPI_Init, the clock estimate, gathering the
/// profile...), outside the Runtime's tasks: where a short job's wall time goes that no task
/// accounts for.
struct PhaseEvent {
  std::string name;
  std::int64_t start_ns = 0;  // the rank's clock
  std::int64_t end_ns = 0;
  // 0: the thread that starts and closes the Runtime; 1: a thread of its own beside it (rank 0's
  // profile writer, which overlaps MPI_Finalize).
  std::uint32_t row = 0;
};

/// The rank's clock against rank 0's, estimated by ping-pong: rank 0 time = local - offset.
struct ClockSample {
  std::int64_t local_ns = 0;  // the rank's clock when the estimate was made
  std::int64_t offset_ns = 0;
  std::int64_t error_ns = 0;  // half the best round trip: the offset is within +- this
};

/// Totals of the tasks that did not fit the bounded buffer, per function.
struct OverflowTotals {
  std::uint64_t calls = 0;
  std::int64_t total_ns = 0;
  std::int64_t serialise_ns = 0;
  std::int64_t max_ns = 0;
};

/// A task record past a buffer, added to its function's totals.
void add_to_totals(OverflowTotals& totals, const TaskEvent& event) noexcept;

struct RankLogHeader {
  int rank = 0;
  int size = 1;
  std::string host;
  long pid = 0;
  std::string slurm_job_id;  // empty outside Slurm
  std::string slurm_step_id;
  bool runs_tasks = true;           // worker ranks, and rank 0 when it has a worker thread
  bool comm_on_own_thread = false;  // rank 0: the engine's MPI calls overlap its tasks
  ClockSample clock_start;
  ClockSample clock_end;
  std::int64_t window_start_ns = 0;  // what the profile covers, on the rank's clock
  std::int64_t window_end_ns = 0;
  std::int64_t comm_ns = 0;         // time inside MPI calls that moved a message
  std::uint64_t dropped_tasks = 0;  // beyond the bounded buffer (counted in `overflow`)
  std::uint64_t dropped_messages = 0;
  std::uint64_t dropped_queue_samples = 0;
  bool complete = true;  // false: saved on a fatal error, the run did not finish
  std::map<std::uint64_t, std::string> functions;  // function id -> task name
  std::map<std::uint64_t, OverflowTotals> overflow;
  std::map<std::uint64_t, std::string> span_names;  // span and counter names, by id
  std::uint32_t task_thread = 0;    // the thread number that ran the Runtime's tasks (0: none)
  std::uint64_t dropped_spans = 0;  // beyond the bounded buffer
  std::vector<PhaseEvent> phases;   // in the order they began
};

struct RankLog {
  RankLogHeader header;
  std::vector<TaskEvent> tasks;
  std::vector<MessageEvent> messages;
  std::vector<QueueSample> queue;
  std::vector<SpanEvent> spans;
};

/// An event past the share of a log that the reports keep (its first events of each kind), counted
/// in `header` as dropped; a task is also added to its function's totals, so per-function figures
/// stay exact. The one rule for rank 0 keeping a gathered log's share and for a rank that sends
/// rank 0 no more than its share.
void count_past_share(RankLogHeader& header, const TaskEvent& task);
void count_past_share(RankLogHeader& header, const MessageEvent& message) noexcept;
void count_past_share(RankLogHeader& header, const QueueSample& sample) noexcept;
void count_past_share(RankLogHeader& header, const SpanEvent& span) noexcept;

/// The log as JSON lines: a header object, then one compact array per event.
void write_rank_log(const RankLog& log, std::ostream& out);
/// The same in pieces, for a log too large to hold at once: the header's line, then each kind's
/// events in write_rank_log's order (tasks, messages, queue samples, spans), a piece at a time,
/// all into one sink (its buffer is a megabyte: one per log, not one per piece).
void write_log_header(const RankLogHeader& header, TextSink& out);
void write_event_lines(std::span<const TaskEvent> events, TextSink& out);
void write_event_lines(std::span<const MessageEvent> events, TextSink& out);
void write_event_lines(std::span<const QueueSample> events, TextSink& out);
void write_event_lines(std::span<const SpanEvent> events, TextSink& out);
/// The same, as a string.
std::string format_rank_log(const RankLog& log);
/// A phase as a line to append to a log already written: parse_rank_log adds it to the header's.
std::string format_phase_line(const PhaseEvent& phase);
/// Reads a log written by format_rank_log; a DecodeError naming `source` and the line if it is
/// not one.
RankLog parse_rank_log(std::string_view text, const std::string& source);

}  // namespace multirank::detail
