// Formatting and reading a rank's profile log. Events are written as compact arrays of integers
// straight into a TextSink (a million of them must format quickly at shutdown); the header and
// every string go through nlohmann-json, so names are always escaped correctly.
#include "recording/profile_log.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/text_sink.hpp"
#include "multirank/error.hpp"

namespace multirank::detail {

namespace {

constexpr const char* log_format_name = "multirank-profile-log";
constexpr int log_format_version = 1;

nlohmann::json clock_json(const ClockSample& sample) {
  return {{"local_ns", sample.local_ns},
          {"offset_ns", sample.offset_ns},
          {"error_ns", sample.error_ns}};
}

ClockSample clock_of(const nlohmann::json& j) {
  return {j.at("local_ns").get<std::int64_t>(), j.at("offset_ns").get<std::int64_t>(),
          j.at("error_ns").get<std::int64_t>()};
}

nlohmann::json phase_json(const PhaseEvent& phase) {
  return nlohmann::json::array({phase.name, phase.start_ns, phase.end_ns, phase.row});
}

/// A phase from its array, with or without the "p" in front (an event line, or the header's).
PhaseEvent phase_of(const nlohmann::json& j, std::size_t first) {
  if (!j.is_array() || j.size() != first + 4)
    throw DecodeError("a phase is [name, start, end, row]");
  return {j.at(first).get<std::string>(), j.at(first + 1).get<std::int64_t>(),
          j.at(first + 2).get<std::int64_t>(), j.at(first + 3).get<std::uint32_t>()};
}

nlohmann::json header_json(const RankLogHeader& h) {
  nlohmann::json functions = nlohmann::json::object();
  for (const auto& [id, name] : h.functions) functions[std::to_string(id)] = name;
  nlohmann::json span_names = nlohmann::json::object();
  for (const auto& [id, name] : h.span_names) span_names[std::to_string(id)] = name;
  nlohmann::json phases = nlohmann::json::array();
  for (const auto& phase : h.phases) phases.push_back(phase_json(phase));
  nlohmann::json overflow = nlohmann::json::object();
  for (const auto& [id, totals] : h.overflow) {
    overflow[std::to_string(id)] = {{"calls", totals.calls},
                                    {"total_ns", totals.total_ns},
                                    {"serialise_ns", totals.serialise_ns},
                                    {"max_ns", totals.max_ns}};
  }
  return {{"format", log_format_name},
          {"version", log_format_version},
          {"rank", h.rank},
          {"size", h.size},
          {"host", h.host},
          {"pid", h.pid},
          {"slurm_job_id", h.slurm_job_id},
          {"slurm_step_id", h.slurm_step_id},
          {"runs_tasks", h.runs_tasks},
          {"comm_on_own_thread", h.comm_on_own_thread},
          {"clock_start", clock_json(h.clock_start)},
          {"clock_end", clock_json(h.clock_end)},
          {"window_start_ns", h.window_start_ns},
          {"window_end_ns", h.window_end_ns},
          {"comm_ns", h.comm_ns},
          {"dropped_tasks", h.dropped_tasks},
          {"dropped_messages", h.dropped_messages},
          {"dropped_queue_samples", h.dropped_queue_samples},
          {"complete", h.complete},
          {"functions", functions},
          {"overflow", overflow},
          {"span_names", span_names},
          {"task_thread", h.task_thread},
          {"dropped_spans", h.dropped_spans},
          {"phases", phases}};
}

RankLogHeader header_of(const nlohmann::json& j) {
  if (j.value("format", std::string()) != log_format_name) {
    throw DecodeError("the first line is not a multirank profile log header");
  }
  if (j.at("version").get<int>() != log_format_version) {
    throw DecodeError("profile log version " + j.at("version").dump() +
                      " is not supported (expected " + std::to_string(log_format_version) + ")");
  }
  RankLogHeader h;
  h.rank = j.at("rank").get<int>();
  h.size = j.at("size").get<int>();
  h.host = j.at("host").get<std::string>();
  h.pid = j.at("pid").get<long>();
  h.slurm_job_id = j.at("slurm_job_id").get<std::string>();
  h.slurm_step_id = j.at("slurm_step_id").get<std::string>();
  h.runs_tasks = j.at("runs_tasks").get<bool>();
  h.comm_on_own_thread = j.at("comm_on_own_thread").get<bool>();
  h.clock_start = clock_of(j.at("clock_start"));
  h.clock_end = clock_of(j.at("clock_end"));
  h.window_start_ns = j.at("window_start_ns").get<std::int64_t>();
  h.window_end_ns = j.at("window_end_ns").get<std::int64_t>();
  h.comm_ns = j.at("comm_ns").get<std::int64_t>();
  h.dropped_tasks = j.at("dropped_tasks").get<std::uint64_t>();
  h.dropped_messages = j.at("dropped_messages").get<std::uint64_t>();
  h.dropped_queue_samples = j.at("dropped_queue_samples").get<std::uint64_t>();
  h.complete = j.at("complete").get<bool>();
  for (const auto& [id, name] : j.at("functions").items()) {
    h.functions[std::stoull(id)] = name.get<std::string>();
  }
  // Logs written before spans existed have none.
  if (j.contains("span_names")) {
    for (const auto& [id, name] : j.at("span_names").items())
      h.span_names[std::stoull(id)] = name.get<std::string>();
  }
  h.task_thread = j.value("task_thread", std::uint32_t{0});
  h.dropped_spans = j.value("dropped_spans", std::uint64_t{0});
  // Logs written before start-up and close were recorded have no phases.
  if (j.contains("phases")) {
    for (const auto& phase : j.at("phases")) h.phases.push_back(phase_of(phase, 0));
  }
  for (const auto& [id, totals] : j.at("overflow").items()) {
    h.overflow[std::stoull(id)] = {
        totals.at("calls").get<std::uint64_t>(), totals.at("total_ns").get<std::int64_t>(),
        totals.at("serialise_ns").get<std::int64_t>(), totals.at("max_ns").get<std::int64_t>()};
  }
  return h;
}

/// Reads an event line as written by format_rank_log: ["x",n,n,...] with exactly `values.size()`
/// integers. Far faster than a JSON parser for the millions of lines a big run has; anything else
/// falls back to the JSON parser, which also gives the error message.
template <class Int, std::size_t N>
bool read_integers(std::string_view line, std::array<Int, N>& values) {
  const char* at = line.data() + 4;  // after ["x"
  const char* end = line.data() + line.size();
  for (auto& value : values) {
    if (at >= end || *at != ',') return false;
    auto [next, error] = std::from_chars(at + 1, end, value);
    if (error == std::errc::result_out_of_range) {
      // Function ids are unsigned 64-bit hashes; they come back through the same bits.
      std::uint64_t unsigned_value = 0;
      const auto retry = std::from_chars(at + 1, end, unsigned_value);
      next = retry.ptr;
      error = retry.ec;
      value = static_cast<Int>(unsigned_value);
    }
    if (error != std::errc()) return false;
    at = next;
  }
  return at + 1 == end && *at == ']';
}

}  // namespace

void add_to_totals(OverflowTotals& totals, const TaskEvent& event) noexcept {
  const std::int64_t took = event.end_ns - event.start_ns;
  totals.calls += 1;
  totals.total_ns += took;
  totals.serialise_ns += event.serialise_ns;
  totals.max_ns = std::max(totals.max_ns, took);
}

void count_past_share(RankLogHeader& header, const TaskEvent& task) {
  add_to_totals(header.overflow[task.function_id], task);
  ++header.dropped_tasks;
}

void count_past_share(RankLogHeader& header, const MessageEvent&) noexcept {
  ++header.dropped_messages;
}

void count_past_share(RankLogHeader& header, const QueueSample&) noexcept {
  ++header.dropped_queue_samples;
}

void count_past_share(RankLogHeader& header, const SpanEvent&) noexcept { ++header.dropped_spans; }

void write_log_header(const RankLogHeader& header, TextSink& sink) {
  sink << header_json(header).dump() << '\n';
}

void write_event_lines(std::span<const TaskEvent> events, TextSink& sink) {
  for (const auto& t : events) {
    sink << "[\"t\"," << t.task_id << ',' << t.function_id << ',' << t.start_ns << ',' << t.end_ns
         << ',' << t.serialise_ns << ',' << t.bytes_in << ',' << t.bytes_out << ',' << t.items
         << ',' << t.failed_items << ',' << t.thread << "]\n";
  }
}

void write_event_lines(std::span<const MessageEvent> events, TextSink& sink) {
  for (const auto& m : events) {
    sink << "[\"m\"," << m.time_ns << ',' << static_cast<int>(m.direction) << ',' << m.peer << ','
         << m.kind << ',' << m.bytes << "]\n";
  }
}

void write_event_lines(std::span<const QueueSample> events, TextSink& sink) {
  for (const auto& q : events)
    sink << "[\"q\"," << q.time_ns << ',' << q.pending << ',' << q.running << "]\n";
}

void write_event_lines(std::span<const SpanEvent> events, TextSink& sink) {
  for (const auto& s : events) {
    sink << "[\"s\"," << s.start_ns << ',' << s.end_ns << ',' << s.own_ns << ',' << s.name_id << ','
         << s.counter_id << ',' << s.counter << ',' << s.thread << ',' << s.depth << "]\n";
  }
}

void write_rank_log(const RankLog& log, std::ostream& out) {
  TextSink sink(out);
  write_log_header(log.header, sink);
  write_event_lines(std::span(log.tasks), sink);
  write_event_lines(std::span(log.messages), sink);
  write_event_lines(std::span(log.queue), sink);
  write_event_lines(std::span(log.spans), sink);
}

std::string format_phase_line(const PhaseEvent& phase) {
  nlohmann::json line = phase_json(phase);
  line.insert(line.begin(), "p");
  return line.dump() + "\n";
}

std::string format_rank_log(const RankLog& log) {
  std::ostringstream out;
  write_rank_log(log, out);
  return std::move(out).str();
}

RankLog parse_rank_log(std::string_view text, const std::string& source) {
  RankLog log;
  std::size_t number = 0;
  std::size_t at = 0;
  auto next_line = [&](std::string_view& line) {
    if (at >= text.size()) return false;
    const std::size_t end = std::min(text.find('\n', at), text.size());
    line = text.substr(at, end - at);
    at = end + 1;
    ++number;
    return true;
  };
  std::string_view line;
  try {
    if (!next_line(line)) throw DecodeError("the file is empty");
    log.header = header_of(nlohmann::json::parse(line));
    // About 60 bytes per event line: one allocation instead of a dozen growing copies.
    log.tasks.reserve(text.size() / 64);
    while (next_line(line)) {
      if (line.empty()) continue;
      if (line.size() > 5 && line.compare(0, 2, "[\"") == 0 && line[3] == '"') {
        const char type = line[2];
        if (type == 't') {
          std::array<std::int64_t, 10> v{};
          if (read_integers(line, v)) {
            log.tasks.push_back({static_cast<std::uint64_t>(v[0]), static_cast<std::uint64_t>(v[1]),
                                 v[2], v[3], v[4], static_cast<std::uint64_t>(v[5]),
                                 static_cast<std::uint64_t>(v[6]), static_cast<std::uint32_t>(v[7]),
                                 static_cast<std::uint32_t>(v[8]),
                                 static_cast<std::uint32_t>(v[9])});
            continue;
          }
        } else if (type == 'm') {
          std::array<std::int64_t, 5> v{};
          if (read_integers(line, v) && (v[1] == 0 || v[1] == 1)) {
            log.messages.push_back(
                {v[0], static_cast<MessageDirection>(v[1]), static_cast<std::int32_t>(v[2]),
                 static_cast<std::uint16_t>(v[3]), static_cast<std::uint64_t>(v[4])});
            continue;
          }
        } else if (type == 's') {
          std::array<std::int64_t, 8> v{};
          if (read_integers(line, v)) {
            log.spans.push_back({v[0], v[1], v[2], static_cast<std::uint64_t>(v[3]),
                                 static_cast<std::uint64_t>(v[4]), static_cast<std::uint64_t>(v[5]),
                                 static_cast<std::uint32_t>(v[6]),
                                 static_cast<std::uint32_t>(v[7])});
            continue;
          }
        } else if (type == 'q') {
          std::array<std::int64_t, 3> v{};
          if (read_integers(line, v)) {
            log.queue.push_back(
                {v[0], static_cast<std::uint64_t>(v[1]), static_cast<std::uint64_t>(v[2])});
            continue;
          }
        }
      }
      const auto event = nlohmann::json::parse(line);
      const auto& type = event.at(0).get_ref<const std::string&>();
      if (type == "t" && (event.size() == 10 || event.size() == 11)) {
        // Logs written before tasks had a thread have ten entries: every task on the task thread.
        log.tasks.push_back({event[1].get<std::uint64_t>(), event[2].get<std::uint64_t>(),
                             event[3].get<std::int64_t>(), event[4].get<std::int64_t>(),
                             event[5].get<std::int64_t>(), event[6].get<std::uint64_t>(),
                             event[7].get<std::uint64_t>(), event[8].get<std::uint32_t>(),
                             event[9].get<std::uint32_t>(),
                             event.size() == 11 ? event[10].get<std::uint32_t>() : 0u});
      } else if (type == "m" && event.size() == 6) {
        log.messages.push_back({event[1].get<std::int64_t>(),
                                static_cast<MessageDirection>(event[2].get<int>()),
                                event[3].get<std::int32_t>(), event[4].get<std::uint16_t>(),
                                event[5].get<std::uint64_t>()});
      } else if (type == "s" && event.size() == 9) {
        log.spans.push_back({event[1].get<std::int64_t>(), event[2].get<std::int64_t>(),
                             event[3].get<std::int64_t>(), event[4].get<std::uint64_t>(),
                             event[5].get<std::uint64_t>(), event[6].get<std::uint64_t>(),
                             event[7].get<std::uint32_t>(), event[8].get<std::uint32_t>()});
      } else if (type == "p") {
        // Phases that end after the logs were gathered (rank 0's MPI_Finalize and its writing
        // of the reports), appended to its log once they are over.
        log.header.phases.push_back(phase_of(event, 1));
      } else if (type == "q" && event.size() == 4) {
        log.queue.push_back({event[1].get<std::int64_t>(), event[2].get<std::uint64_t>(),
                             event[3].get<std::uint64_t>()});
      } else {
        throw DecodeError("unknown event " + std::string(line.substr(0, 80)));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw DecodeError(source + " line " + std::to_string(number) +
                      ": not a profile log line: " + e.what());
  } catch (const DecodeError& e) {
    throw DecodeError(source + " line " + std::to_string(number) + ": " + e.what());
  }
  return log;
}

}  // namespace multirank::detail
