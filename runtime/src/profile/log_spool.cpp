// A gathered log on disk, written and read back in pieces of a fixed size.
#include "profile/log_spool.hpp"

#include <algorithm>
#include <span>
#include <vector>

#include "core/text_sink.hpp"
#include "multirank/error.hpp"
#include "recording/profile_event_buffer.hpp"

namespace multirank::detail {

namespace {

std::uint64_t total_bytes(const EventCounts& c) {
  return c.tasks * sizeof(TaskEvent) + c.messages * sizeof(MessageEvent) +
         c.queue * sizeof(QueueSample) + c.spans * sizeof(SpanEvent);
}

}  // namespace

LogSpool::LogSpool(std::filesystem::path path, RankLogHeader header, EventCounts counts)
    : path_(std::move(path)),
      header_(std::move(header)),
      counts_(counts),
      out_(path_, std::ios::binary | std::ios::trunc) {}

LogSpool::~LogSpool() {
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

void LogSpool::append(const void* bytes, std::size_t size) {
  if (out_) out_.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(size));
  appended_ += size;
}

void LogSpool::close() {
  if (!out_.is_open()) throw Error(path_.string() + ": cannot be created (gathering the profile)");
  out_.close();
  if (!out_ || appended_ != total_bytes(counts_)) {
    throw Error(path_.string() + ": writing the gathered log failed (" + std::to_string(appended_) +
                " of " + std::to_string(total_bytes(counts_)) + " bytes)");
  }
}

template <class T, class Visit>
void LogSpool::read_events(std::ifstream& in, std::uint64_t count, std::size_t buffer_bytes,
                           Visit visit) const {
  if (count == 0) return;
  // No larger than the events: a small log does not fault in (and zero) a whole buffer.
  std::vector<T> buffer(static_cast<std::size_t>(
      std::min<std::uint64_t>(std::max<std::size_t>(1, buffer_bytes / sizeof(T)), count)));
  for (std::uint64_t done = 0; done < count;) {
    const auto piece =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), count - done));
    in.read(reinterpret_cast<char*>(buffer.data()),
            static_cast<std::streamsize>(piece * sizeof(T)));
    if (!in) throw Error(path_.string() + ": the gathered log cannot be read back");
    visit(std::span<const T>(buffer.data(), piece));
    done += piece;
  }
}

void LogSpool::write_log(std::ostream& out, std::size_t buffer_bytes) const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw Error(path_.string() + ": the gathered log cannot be opened");
  TextSink sink(out);
  write_log_header(header_, sink);
  auto write = [&sink](auto events) { write_event_lines(events, sink); };
  read_events<TaskEvent>(in, counts_.tasks, buffer_bytes, write);
  read_events<MessageEvent>(in, counts_.messages, buffer_bytes, write);
  read_events<QueueSample>(in, counts_.queue, buffer_bytes, write);
  read_events<SpanEvent>(in, counts_.spans, buffer_bytes, write);
}

RankLog LogSpool::load(std::size_t keep, std::size_t buffer_bytes) const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw Error(path_.string() + ": the gathered log cannot be opened");
  RankLog log;
  log.header = header_;
  auto& h = log.header;
  auto keep_first = [keep](auto& into, std::uint64_t count, auto past) {
    reserve_on_huge_pages(into, static_cast<std::size_t>(std::min<std::uint64_t>(keep, count)));
    return [&into, keep, past](auto events) {
      for (const auto& event : events) {
        if (into.size() < keep) {
          into.push_back(event);
        } else {
          past(event);
        }
      }
    };
  };
  read_events<TaskEvent>(in, counts_.tasks, buffer_bytes,
                         keep_first(log.tasks, counts_.tasks, [&h](const TaskEvent& task) {
                           add_to_totals(h.overflow[task.function_id], task);
                           ++h.dropped_tasks;
                         }));
  read_events<MessageEvent>(in, counts_.messages, buffer_bytes,
                            keep_first(log.messages, counts_.messages,
                                       [&h](const MessageEvent&) { ++h.dropped_messages; }));
  read_events<QueueSample>(in, counts_.queue, buffer_bytes,
                           keep_first(log.queue, counts_.queue,
                                      [&h](const QueueSample&) { ++h.dropped_queue_samples; }));
  read_events<SpanEvent>(
      in, counts_.spans, buffer_bytes,
      keep_first(log.spans, counts_.spans, [&h](const SpanEvent&) { ++h.dropped_spans; }));
  return log;
}

}  // namespace multirank::detail
