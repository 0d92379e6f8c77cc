// A gathered log on disk, written as it arrives, its reports' share kept on the way.
#include "profile/log_spool.hpp"

#include <algorithm>
#include <cstring>

#include "multirank/error.hpp"
#include "recording/profile_event_buffer.hpp"

namespace multirank::detail {

LogSpool::LogSpool(std::filesystem::path path, RankLogHeader header, EventCounts counts,
                   std::size_t keep)
    : path_(std::move(path)),
      header_(std::move(header)),
      counts_(counts),
      keep_(keep),
      out_(path_, std::ios::binary | std::ios::trunc) {
  out_ << binary_log_preamble(counts_);
  auto room = [keep](auto& into, std::uint64_t count) {
    reserve_on_huge_pages(into, static_cast<std::size_t>(std::min<std::uint64_t>(keep, count)));
  };
  room(kept_.tasks, counts_.tasks);
  room(kept_.messages, counts_.messages);
  room(kept_.queue, counts_.queue);
  room(kept_.spans, counts_.spans);
}

LogSpool::~LogSpool() {
  if (published_) return;
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

template <class T>
void LogSpool::keep_events(const char* bytes, std::size_t size, std::vector<T>& into) {
  static_assert(sizeof(T) <= sizeof(partial_));
  auto one = [&](const char* at) {
    T event;
    std::memcpy(&event, at, sizeof(T));
    if (into.size() < keep_) {
      into.push_back(event);
    } else {
      count_past_share(kept_.header, event);
    }
  };
  if (partial_size_ > 0) {
    const std::size_t fill = std::min(size, sizeof(T) - partial_size_);
    std::memcpy(partial_.data() + partial_size_, bytes, fill);
    partial_size_ += fill;
    bytes += fill;
    size -= fill;
    if (partial_size_ < sizeof(T)) return;
    one(partial_.data());
    partial_size_ = 0;
  }
  const std::size_t whole = size / sizeof(T);
  // Within the budget, the events are copied as a block.
  const std::size_t fits = std::min(whole, keep_ - std::min(keep_, into.size()));
  if (fits > 0) {
    const std::size_t before = into.size();
    into.resize(before + fits);
    std::memcpy(into.data() + before, bytes, fits * sizeof(T));
  }
  for (std::size_t i = fits; i < whole; ++i) one(bytes + i * sizeof(T));
  const std::size_t rest = size - whole * sizeof(T);
  std::memcpy(partial_.data(), bytes + whole * sizeof(T), rest);
  partial_size_ = rest;
}

void LogSpool::append(const void* bytes, std::size_t size) {
  if (out_) out_.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(size));
  const auto* at = static_cast<const char*>(bytes);
  // The kinds lie one after the other: each piece of the bytes goes to the kind it falls in.
  const std::uint64_t ends[] = {
      counts_.tasks * sizeof(TaskEvent),
      counts_.tasks * sizeof(TaskEvent) + counts_.messages * sizeof(MessageEvent),
      counts_.tasks * sizeof(TaskEvent) + counts_.messages * sizeof(MessageEvent) +
          counts_.queue * sizeof(QueueSample),
      counts_.bytes()};
  while (size > 0) {
    const auto kind = static_cast<std::size_t>(
        std::upper_bound(std::begin(ends), std::end(ends), appended_) - std::begin(ends));
    if (kind == std::size(ends)) {  // more than the counts said: close() reports it
      appended_ += size;
      return;
    }
    const auto take =
        static_cast<std::size_t>(std::min<std::uint64_t>(size, ends[kind] - appended_));
    switch (kind) {
      case 0:
        keep_events(at, take, kept_.tasks);
        break;
      case 1:
        keep_events(at, take, kept_.messages);
        break;
      case 2:
        keep_events(at, take, kept_.queue);
        break;
      default:
        keep_events(at, take, kept_.spans);
    }
    at += take;
    size -= take;
    appended_ += take;
  }
}

void LogSpool::close() {
  if (!out_.is_open()) throw Error(path_.string() + ": cannot be created (gathering the profile)");
  out_.close();
  if (!out_ || appended_ != counts_.bytes()) {
    throw Error(path_.string() + ": writing the gathered log failed (" + std::to_string(appended_) +
                " of " + std::to_string(counts_.bytes()) + " bytes)");
  }
}

void LogSpool::publish(const std::filesystem::path& path) {
  {
    std::ofstream out(path_, std::ios::binary | std::ios::app);
    write_binary_log_end(header_, out);
    out.flush();
    if (!out) throw Error(path_.string() + ": the header cannot be added to the gathered log");
  }
  std::filesystem::rename(path_, path);
  path_ = path;
  published_ = true;
}

RankLog LogSpool::take_kept() {
  // What was counted on the way (the events past the share) goes onto the rank's own header,
  // whose counts and totals are its recorder's.
  const RankLogHeader& past = kept_.header;
  RankLogHeader header = header_;
  header.dropped_tasks += past.dropped_tasks;
  header.dropped_messages += past.dropped_messages;
  header.dropped_queue_samples += past.dropped_queue_samples;
  header.dropped_spans += past.dropped_spans;
  for (const auto& [function, totals] : past.overflow) {
    OverflowTotals& into = header.overflow[function];
    into.calls += totals.calls;
    into.total_ns += totals.total_ns;
    into.serialise_ns += totals.serialise_ns;
    into.max_ns = std::max(into.max_ns, totals.max_ns);
  }
  RankLog log = std::move(kept_);
  log.header = std::move(header);
  kept_ = RankLog{};
  return log;
}

}  // namespace multirank::detail
