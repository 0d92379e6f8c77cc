// Writing and reading the binary form of a rank's profile log.
#include "recording/binary_log.hpp"

#include <bit>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/text_sink.hpp"
#include "multirank/error.hpp"

namespace multirank::detail {

namespace {

constexpr const char* binary_format_name = "multirank-binary-log";
constexpr int binary_format_version = 1;

constexpr const char* native_byte_order() {
  return std::endian::native == std::endian::little ? "little" : "big";
}

template <class T>
void write_events(const std::vector<T>& events, std::ostream& out) {
  out.write(reinterpret_cast<const char*>(events.data()),
            static_cast<std::streamsize>(events.size() * sizeof(T)));
}

/// `count` events of T from `bytes` at `at`, which the caller checked are there.
template <class T>
void read_events(std::string_view bytes, std::size_t& at, std::uint64_t count,
                 std::vector<T>& into) {
  into.resize(static_cast<std::size_t>(count));
  if (into.empty()) return;  // an empty vector's data() may be null, which memcpy must not get
  std::memcpy(into.data(), bytes.data() + at, into.size() * sizeof(T));
  at += into.size() * sizeof(T);
}

/// The count of one kind from the first line's [count, size], checking the size is this build's.
template <class T>
std::uint64_t count_of(const nlohmann::json& entry, const char* kind) {
  if (!entry.is_array() || entry.size() != 2)
    throw DecodeError(std::string("the first line's ") + kind + " are not [count, size]");
  const auto size = entry[1].get<std::uint64_t>();
  if (size != sizeof(T)) {
    throw DecodeError(std::string("its ") + kind + " are " + std::to_string(size) +
                      " bytes each, this build's " + std::to_string(sizeof(T)) +
                      ": read it with the multirank-report of the build that wrote it (--jsonl "
                      "writes the portable JSON lines)");
  }
  return entry[0].get<std::uint64_t>();
}

}  // namespace

std::uint64_t EventCounts::bytes() const noexcept {
  return tasks * sizeof(TaskEvent) + messages * sizeof(MessageEvent) + queue * sizeof(QueueSample) +
         spans * sizeof(SpanEvent);
}

std::string binary_log_preamble(const EventCounts& counts) {
  const nlohmann::json line = {binary_format_name,
                               binary_format_version,
                               native_byte_order(),
                               {counts.tasks, sizeof(TaskEvent)},
                               {counts.messages, sizeof(MessageEvent)},
                               {counts.queue, sizeof(QueueSample)},
                               {counts.spans, sizeof(SpanEvent)}};
  return line.dump() + "\n";
}

void write_binary_log_end(const RankLogHeader& header, std::ostream& out) {
  TextSink sink(out);
  write_log_header(header, sink);
}

void write_binary_log(const RankLog& log, std::ostream& out) {
  out << binary_log_preamble(
      {log.tasks.size(), log.messages.size(), log.queue.size(), log.spans.size()});
  write_events(log.tasks, out);
  write_events(log.messages, out);
  write_events(log.queue, out);
  write_events(log.spans, out);
  write_binary_log_end(log.header, out);
}

bool is_binary_log(std::string_view bytes) noexcept {
  return bytes.starts_with(std::string("[\"") + binary_format_name + "\"");
}

RankLog parse_binary_log(std::string_view bytes, const std::string& source) {
  const std::size_t first_end = bytes.find('\n');
  if (!is_binary_log(bytes) || first_end == std::string_view::npos)
    throw DecodeError(source + ": not a multirank binary profile log (no first line naming it)");
  EventCounts counts;
  try {
    const auto first = nlohmann::json::parse(bytes.substr(0, first_end));
    if (!first.is_array() || first.size() != 7)
      throw DecodeError("the first line is not [format, version, byte order, 4 x [count, size]]");
    if (first[1].get<int>() != binary_format_version) {
      throw DecodeError("format version " + first[1].dump() + ", this build reads " +
                        std::to_string(binary_format_version));
    }
    if (first[2].get<std::string>() != native_byte_order()) {
      throw DecodeError("written on a " + first[2].get<std::string>() +
                        "-endian machine: read it there (--jsonl writes the portable JSON lines)");
    }
    counts = {count_of<TaskEvent>(first[3], "tasks"), count_of<MessageEvent>(first[4], "messages"),
              count_of<QueueSample>(first[5], "queue samples"),
              count_of<SpanEvent>(first[6], "spans")};
  } catch (const nlohmann::json::exception& e) {
    throw DecodeError(source + ": not a multirank binary profile log: " + e.what());
  } catch (const DecodeError& e) {
    throw DecodeError(source + ": " + e.what());
  }
  std::size_t at = first_end + 1;
  if (bytes.size() - at < counts.bytes()) {
    throw DecodeError(source + ": cut short: " + std::to_string(bytes.size() - at) +
                      " bytes of events where its first line promises " +
                      std::to_string(counts.bytes()));
  }
  const std::size_t events_start = at;
  std::vector<TaskEvent> tasks;
  std::vector<MessageEvent> messages;
  std::vector<QueueSample> queue;
  std::vector<SpanEvent> spans;
  read_events(bytes, at, counts.tasks, tasks);
  read_events(bytes, at, counts.messages, messages);
  read_events(bytes, at, counts.queue, queue);
  read_events(bytes, at, counts.spans, spans);
  // The header and the phase lines after the events read as the JSON-lines form does; any event
  // lines there (none are written) follow the binary ones.
  RankLog log =
      parse_rank_log(bytes.substr(at), source + " (after its " + std::to_string(at - events_start) +
                                           " bytes of events)");
  tasks.insert(tasks.end(), log.tasks.begin(), log.tasks.end());
  messages.insert(messages.end(), log.messages.begin(), log.messages.end());
  queue.insert(queue.end(), log.queue.begin(), log.queue.end());
  spans.insert(spans.end(), log.spans.begin(), log.spans.end());
  log.tasks = std::move(tasks);
  log.messages = std::move(messages);
  log.queue = std::move(queue);
  log.spans = std::move(spans);
  return log;
}

}  // namespace multirank::detail
