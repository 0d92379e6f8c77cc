// trace.json in the Chrome trace event format (ui.perfetto.dev, chrome://tracing): a process per
// node, a thread per rank, task slices, message arrows as flow events, the driver's queue depth as
// a counter. Events are streamed through a TextSink (the rare ones formatted with fmt); every
// string goes through nlohmann-json for escaping.
#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/fixed_decimal.hpp"
#include "core/text_sink.hpp"
#include "profile/profile_reports.hpp"

namespace multirank::detail {

namespace {

std::string json_string(const std::string& text) { return nlohmann::json(text).dump(); }

const char* kind_name(std::uint16_t kind) {
  switch (kind) {
    case 1:
      return "tasks";
    case 2:
      return "results";
    case 3:
      return "stop";
    default:
      return "message";
  }
}

/// A slice on a rank's row: one task record, or several neighbouring ones merged.
struct Slice {
  std::int64_t start_ns;
  std::int64_t end_ns;
  const TaskEvent* first;
  std::uint64_t merged;  // task records in the slice
  std::uint64_t items;
  std::uint64_t bytes_in;
  std::uint64_t bytes_out;
  std::uint64_t failed;
  std::int64_t serialise_ns;
};

/// Calls `emit` with the rank's tasks as slices, in order; tasks of one function closer than
/// `resolution_ns` are merged, so a huge run stays loadable while every task is still accounted
/// for in some slice. One slice at a time, not a vector of them: that was megabytes to allocate.
template <class Emit>
void for_each_slice(const std::vector<TaskEvent>& tasks, std::int64_t resolution_ns, Emit emit) {
  bool open = false;
  Slice s{};
  for (const auto& task : tasks) {
    if (open && resolution_ns > 0 && s.first->function_id == task.function_id &&
        task.start_ns - s.end_ns < resolution_ns) {
      s.end_ns = std::max(s.end_ns, task.end_ns);
      s.merged += 1;
      s.items += task.items;
      s.bytes_in += task.bytes_in;
      s.bytes_out += task.bytes_out;
      s.failed += task.failed_items;
      s.serialise_ns += task.serialise_ns;
      continue;
    }
    if (open) emit(s);
    s = {task.start_ns,     task.end_ns,      &task, 1, task.items, task.bytes_in, task.bytes_out,
         task.failed_items, task.serialise_ns};
    open = true;
  }
  if (open) emit(s);
}

/// The events of one trace.json, in order, separated by commas; rows (pid, tid) as the trace
/// shows them: rank 0's driver thread (messages, queue) first, then a row per rank, grouped by
/// node.
class TraceEvents {
 public:
  explicit TraceEvents(std::ostream& out) : sink_(out) {}

  /// Starts an event: whatever the previous rare one formatted goes out first.
  void begin_event() {
    if (!rare_.empty()) {
      sink_ << std::string_view(rare_);
      rare_.clear();
    }
    sink_ << (first_event_ ? "\n" : ",\n");
    first_event_ = false;
  }
  /// Where a rare event (metadata, merged slices) is formatted with fmt.
  std::back_insert_iterator<std::string> rare() { return std::back_inserter(rare_); }
  void end_rare() {
    sink_ << std::string_view(rare_);
    rare_.clear();
  }
  TextSink& sink() { return sink_; }

  static int pid_of(const RankTimeline& lane) { return lane.node + 1; }
  static int tid_of(const RankTimeline& lane) { return lane.header.rank + 1; }
  /// The row of the program's own thread `thread` (profile::Task) on the rank: after the ranks'.
  static int program_tid_of(const RankTimeline& lane, std::uint32_t thread) {
    return program_tid_base + lane.header.rank * program_threads_per_rank +
           static_cast<int>(thread);
  }
  /// The row of a span: its task's row when the rank's task thread recorded it.
  static int span_tid_of(const RankTimeline& lane, std::uint32_t thread) {
    return thread == lane.header.task_thread ? tid_of(lane) : program_tid_of(lane, thread);
  }
  /// The row of a phase on a thread of its own (rank 0's profile writer).
  static int phase_tid_of(const RankTimeline& lane) {
    return program_tid_base + lane.header.rank * program_threads_per_rank +
           program_threads_per_rank - 1;
  }
  static constexpr int program_tid_base = 1 << 24;
  static constexpr int program_threads_per_rank = 1 << 16;
  static constexpr int driver_tid = 0;

 private:
  TextSink sink_;
  std::string rare_;  // the few events formatted with fmt, then sunk
  bool first_event_ = true;
};

/// The names and sort order of the nodes (processes) and ranks (threads).
void write_rows(TraceEvents& events, const ProfileRun& run) {
  auto it = events.rare();
  for (std::size_t node = 0; node < run.nodes.size(); ++node) {
    events.begin_event();
    fmt::format_to(
        it, FMT_COMPILE(R"({{"ph":"M","name":"process_name","pid":{},"args":{{"name":{}}}}})"),
        node + 1, json_string("node " + run.nodes[node]));
    events.begin_event();
    fmt::format_to(
        it,
        FMT_COMPILE(
            R"({{"ph":"M","name":"process_sort_index","pid":{},"args":{{"sort_index":{}}}}})"),
        node + 1, node);
  }
  for (const auto& lane : run.ranks) {
    const auto& h = lane.header;
    std::string name = "rank " + std::to_string(h.rank);
    if (h.rank == 0) name += h.runs_tasks ? " (driver's worker thread)" : " (driver)";
    events.begin_event();
    fmt::format_to(
        it,
        FMT_COMPILE(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":{}}}}})"),
        TraceEvents::pid_of(lane), TraceEvents::tid_of(lane), json_string(name));
    events.begin_event();
    fmt::format_to(
        it,
        FMT_COMPILE(
            R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})"),
        TraceEvents::pid_of(lane), TraceEvents::tid_of(lane), h.rank + 1);
  }
  for (const auto& lane : run.ranks) {
    std::set<std::uint32_t> threads;
    for (const auto& task : lane.tasks) {
      if (task.thread != 0) threads.insert(task.thread);
    }
    for (const auto& span : lane.spans) {
      if (span.thread != lane.header.task_thread) threads.insert(span.thread);
    }
    for (const std::uint32_t thread : threads) {
      const int tid = TraceEvents::program_tid_of(lane, thread);
      events.begin_event();
      fmt::format_to(
          it,
          FMT_COMPILE(
              R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":{}}}}})"),
          TraceEvents::pid_of(lane), tid,
          json_string("rank " + std::to_string(lane.header.rank) + " program thread " +
                      std::to_string(thread)));
      events.begin_event();
      fmt::format_to(
          it,
          FMT_COMPILE(
              R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})"),
          TraceEvents::pid_of(lane), tid, lane.header.rank + 1);
    }
  }
  const RankTimeline& driver = run.ranks.front();
  events.begin_event();
  fmt::format_to(
      it,
      FMT_COMPILE(
          R"x({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":"rank 0 driver (MPI, scheduling)"}}}})x"),
      TraceEvents::pid_of(driver), TraceEvents::driver_tid);
  events.begin_event();
  fmt::format_to(
      it,
      FMT_COMPILE(
          R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":0}}}})"),
      TraceEvents::pid_of(driver), TraceEvents::driver_tid);
}

/// One row's task slices: the rank's task thread (`thread` 0), or one of the program's threads.
void write_rank_slices(TraceEvents& events, const std::map<std::uint64_t, std::string>& names,
                       const std::string& unknown, const RankTimeline& lane, std::uint32_t thread,
                       const std::vector<TaskEvent>& tasks, std::int64_t resolution_ns) {
  auto it = events.rare();
  TextSink& sink = events.sink();
  {
    const int pid = TraceEvents::pid_of(lane);
    const int tid =
        thread == 0 ? TraceEvents::tid_of(lane) : TraceEvents::program_tid_of(lane, thread);
    for_each_slice(tasks, resolution_ns, [&](const Slice& s) {
      const auto name_it = names.find(s.first->function_id);
      const std::string& name = name_it == names.end() ? unknown : name_it->second;
      events.begin_event();
      if (s.merged == 1) {
        // What most records share is left out (one item, no failure): a slice is written per
        // task, and this file is the largest part of the writing.
        sink << "{\"name\":" << std::string_view(name) << R"(,"cat":"task","ph":"X","ts":)"
             << micros_text(s.start_ns) << ",\"dur\":" << micros_text(s.end_ns - s.start_ns)
             << ",\"pid\":" << pid << ",\"tid\":" << tid << R"(,"args":{"task":)"
             << s.first->task_id << ",\"bytes_in\":" << s.bytes_in
             << ",\"bytes_out\":" << s.bytes_out
             << ",\"serialise_us\":" << micros_text(s.serialise_ns);
        if (s.items != 1) sink << ",\"items\":" << s.items;
        if (s.failed != 0) sink << ",\"failed_items\":" << s.failed << R"(,"status":"failed")";
        sink << "}}";
      } else {
        // The name keeps the function and says how many records the slice stands for.
        const std::string merged_name =
            json_string(name.substr(1, name.size() - 2) + " \u00d7" + std::to_string(s.merged));
        fmt::format_to(
            it,
            FMT_COMPILE(
                R"({{"name":{},"cat":"task","ph":"X","ts":{},"dur":{},"pid":{},"tid":{},"args":{{"first_task":{},"tasks":{},"items":{},"bytes_in":{},"bytes_out":{},"serialise_us":{},"failed_items":{}}}}})"),
            merged_name, micros_text(s.start_ns), micros_text(s.end_ns - s.start_ns), pid, tid,
            s.first->task_id, s.merged, s.items, s.bytes_in, s.bytes_out,
            micros_text(s.serialise_ns), s.failed);
        events.end_rare();
      }
    });
  }
}

/// Every rank's task slices (tasks of one function closer than `resolution_ns` merged).
void write_slices(TraceEvents& events, const ProfileRun& run, std::int64_t resolution_ns) {
  std::map<std::uint64_t, std::string> names;
  for (const auto& [id, name] : run.functions) names[id] = json_string(name);
  const std::string unknown = json_string("(unknown task)");
  for (const auto& lane : run.ranks) {
    // The program's own threads (profile::Task) each get a row: their work overlaps the task
    // thread's. Most runs have none, and their task list is used as it is.
    std::map<std::uint32_t, std::vector<TaskEvent>> by_thread;
    const bool one_thread = std::none_of(lane.tasks.begin(), lane.tasks.end(),
                                         [](const TaskEvent& task) { return task.thread != 0; });
    if (!one_thread) {
      for (const auto& task : lane.tasks) by_thread[task.thread].push_back(task);
    }
    for (auto& [thread, tasks] : by_thread) {
      std::sort(tasks.begin(), tasks.end(),
                [](const TaskEvent& a, const TaskEvent& b) { return a.start_ns < b.start_ns; });
    }
    if (one_thread) write_rank_slices(events, names, unknown, lane, 0, lane.tasks, resolution_ns);
    for (const auto& [thread, tasks] : by_thread) {
      write_rank_slices(events, names, unknown, lane, thread, tasks, resolution_ns);
    }
  }
}

/// Every span as a slice on its thread's row: inside a task, on the task's row, so trace viewers
/// draw it as the task's child, and nested spans as its children.
void write_spans(TraceEvents& events, const ProfileRun& run) {
  std::map<std::uint64_t, std::string> names;
  for (const auto& [id, name] : run.span_names) names[id] = json_string(name);
  const std::string unknown = json_string("(unknown span)");
  auto name_of = [&](std::uint64_t id) -> const std::string& {
    const auto it = names.find(id);
    return it == names.end() ? unknown : it->second;
  };
  TextSink& sink = events.sink();
  for (const auto& lane : run.ranks) {
    const int pid = TraceEvents::pid_of(lane);
    for (const auto& span : lane.spans) {
      events.begin_event();
      sink << "{\"name\":" << std::string_view(name_of(span.name_id))
           << R"(,"cat":"span","ph":"X","ts":)" << micros_text(span.start_ns)
           << ",\"dur\":" << micros_text(span.end_ns - span.start_ns) << ",\"pid\":" << pid
           << ",\"tid\":" << TraceEvents::span_tid_of(lane, span.thread) << R"(,"args":{"own_us":)"
           << micros_text(span.own_ns);
      if (span.counter_id != 0)
        sink << ',' << std::string_view(name_of(span.counter_id)) << ':' << span.counter;
      sink << "}}";
    }
  }
}

/// Start-up and close as slices on the row of the thread that ran them: rank 0's driver row, a
/// worker rank's own row (its tasks come between them), and a row of its own for a phase that
/// overlaps those (rank 0's writing of the reports, beside MPI_Finalize).
void write_phases(TraceEvents& events, const ProfileRun& run) {
  auto it = events.rare();
  for (const auto& lane : run.ranks) {
    const int main_row =
        lane.header.rank == 0 ? TraceEvents::driver_tid : TraceEvents::tid_of(lane);
    bool beside = false;
    for (const auto& phase : lane.phases) {
      const int tid = phase.row == 0 ? main_row : TraceEvents::phase_tid_of(lane);
      beside = beside || phase.row != 0;
      events.begin_event();
      fmt::format_to(
          it,
          FMT_COMPILE(
              R"({{"name":{},"cat":"phase","ph":"X","ts":{},"dur":{},"pid":{},"tid":{},"args":{{"rank":{}}}}})"),
          json_string(phase.name), micros_text(phase.start_ns),
          micros_text(phase.end_ns - phase.start_ns), TraceEvents::pid_of(lane), tid,
          lane.header.rank);
      events.end_rare();
    }
    if (!beside) continue;
    events.begin_event();
    fmt::format_to(
        it,
        FMT_COMPILE(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":{}}}}})"),
        TraceEvents::pid_of(lane), TraceEvents::phase_tid_of(lane),
        json_string("rank " + std::to_string(lane.header.rank) + " profile writer"));
    events.end_rare();
  }
}

/// Every message as a short slice on its rank's row, and sends paired with receives as arrows.
void write_messages(TraceEvents& events, const ProfileRun& run) {
  // Messages between two ranks arrive in the order they were sent (MPI does not let them
  // overtake), so the k-th sent from a to b is the k-th received by b from a.
  std::map<std::pair<int, int>, std::vector<std::int64_t>> sent;
  std::map<std::pair<int, int>, std::vector<std::int64_t>> received;
  TextSink& sink = events.sink();
  auto row_of = [](const RankTimeline& lane) {
    return lane.header.rank == 0 ? TraceEvents::driver_tid : TraceEvents::tid_of(lane);
  };
  for (const auto& lane : run.ranks) {
    const int rank = lane.header.rank;
    for (const auto& m : lane.messages) {
      const bool is_send = m.direction == MessageDirection::sent;
      (is_send ? sent[{rank, m.peer}] : received[{m.peer, rank}]).push_back(m.time_ns);
      events.begin_event();
      sink << "{\"name\":\"" << (is_send ? "send " : "receive ") << kind_name(m.kind)
           << (is_send ? " to" : " from") << " rank " << m.peer
           << R"(","cat":"message","ph":"X","ts":)" << micros_text(m.time_ns)
           << ",\"dur\":0.1,\"pid\":" << TraceEvents::pid_of(lane) << ",\"tid\":" << row_of(lane)
           << R"(,"args":{"bytes":)" << m.bytes << "}}";
    }
  }
  std::uint64_t flow_id = 0;
  for (const auto& [pair, sends] : sent) {
    // A run saved on a fatal error has the driver's log only: its peers have no rows.
    if (static_cast<std::size_t>(std::max(pair.first, pair.second)) >= run.ranks.size()) continue;
    const auto& receives = received[pair];
    const auto& from = run.ranks.at(static_cast<std::size_t>(pair.first));
    const auto& to = run.ranks.at(static_cast<std::size_t>(pair.second));
    // A log that dropped messages cannot be paired reliably: no arrows rather than wrong ones.
    if (sends.size() != receives.size()) continue;
    for (std::size_t k = 0; k < sends.size(); ++k, ++flow_id) {
      events.begin_event();
      sink << R"({"name":"message","cat":"message","ph":"s","id":)" << flow_id
           << ",\"ts\":" << micros_text(sends[k]) << ",\"pid\":" << TraceEvents::pid_of(from)
           << ",\"tid\":" << row_of(from) << '}';
      events.begin_event();
      sink << R"({"name":"message","cat":"message","ph":"f","bp":"e","id":)" << flow_id
           << ",\"ts\":" << micros_text(std::max(receives[k], sends[k]))
           << ",\"pid\":" << TraceEvents::pid_of(to) << ",\"tid\":" << row_of(to) << '}';
    }
  }
}

}  // namespace

void write_trace_json(const ProfileRun& run, std::ostream& out, std::size_t max_events) {
  std::size_t task_count = 0;
  std::size_t message_count = 0;
  std::size_t span_count = 0;
  for (const auto& lane : run.ranks) {
    task_count += lane.tasks.size();
    message_count += lane.messages.size();
    span_count += lane.spans.size();
  }
  const bool aggregate = task_count > max_events;
  // Resolution that leaves about max_events slices if tasks were spread evenly over the ranks.
  const std::int64_t resolution_ns =
      aggregate ? std::max<std::int64_t>(1, run.duration_ns *
                                                static_cast<std::int64_t>(run.ranks.size()) /
                                                static_cast<std::int64_t>(max_events))
                : 0;
  const bool with_messages = message_count <= max_events / 2;

  TraceEvents events(out);
  events.sink() << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
  write_rows(events, run);
  write_slices(events, run, resolution_ns);
  // Spans are not merged: past the bound the trace has none (the summary has them all).
  if (span_count <= max_events) write_spans(events, run);
  write_phases(events, run);
  if (with_messages) write_messages(events, run);
  const RankTimeline& driver = run.ranks.front();
  for (const auto& sample : driver.queue) {
    events.begin_event();
    events.sink() << R"({"name":"driver queue","ph":"C","ts":)" << micros_text(sample.time_ns)
                  << ",\"pid\":" << TraceEvents::pid_of(driver) << R"(,"args":{"pending":)"
                  << sample.pending << ",\"running\":" << sample.running << "}}";
  }

  nlohmann::json other{{"generator", "multirank"},   {"ranks", run.ranks.size()},
                       {"task_records", task_count}, {"complete", run.complete},
                       {"aggregated", aggregate},    {"message_arrows", with_messages}};
  if (aggregate) {
    other["aggregation"] = fmt::format(
        "{} task records exceed {}: records of one function closer than {} on a rank are merged "
        "into one slice",
        task_count, max_events, human_duration(static_cast<double>(resolution_ns) * 1e-9));
  }
  if (!with_messages) {
    other["messages_omitted"] =
        fmt::format("{} messages: arrows and message slices left out", message_count);
  }
  if (span_count > max_events) {
    other["spans_omitted"] =
        fmt::format("{} spans exceed {}: left out (summary.txt and report.html count them all)",
                    span_count, max_events);
  }
  nlohmann::json clocks = nlohmann::json::array();
  for (const auto& lane : run.ranks) {
    clocks.push_back(
        {{"rank", lane.header.rank},
         {"offset_ns", lane.header.clock_start.offset_ns},
         {"error_ns", std::max(lane.header.clock_start.error_ns, lane.header.clock_end.error_ns)}});
  }
  other["clocks"] = clocks;
  // Where each rank's life began on the time axis (rank 0's at 0): its phases lie after it.
  nlohmann::json process_starts = nlohmann::json::array();
  for (const auto& lane : run.ranks)
    process_starts.push_back(static_cast<double>(lane.process_start_ns) * 1e-3);
  other["process_start_us"] = process_starts;
  events.end_rare();
  events.sink() << "\n],\"otherData\":" << std::string_view(other.dump()) << "}\n";
}

}  // namespace multirank::detail
