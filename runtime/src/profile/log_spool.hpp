// One worker rank's log as rank 0 gathered it: the header in memory, the events appended to a
// binary file in the profile directory as they arrived, through a buffer of a fixed size. Rank 0
// never holds a whole rank's events: it reads them back a buffer at a time to write the rank's
// rank-<r>.jsonl, and keeps for the reports only the events within their budget.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "recording/profile_log.hpp"

namespace multirank::detail {

/// How many events of each kind a log has, in the order they lie in a spool file.
struct EventCounts {
  std::uint64_t tasks = 0;
  std::uint64_t messages = 0;
  std::uint64_t queue = 0;
  std::uint64_t spans = 0;
};

class LogSpool {
 public:
  /// Creates (truncates) the file at `path`, to be filled by append() with the events as
  /// `counts` says. A file that cannot be created or written is an Error from close(), not
  /// before: the rank that sends the events must be able to send them all.
  LogSpool(std::filesystem::path path, RankLogHeader header, EventCounts counts);
  /// Removes the file.
  ~LogSpool();
  LogSpool(const LogSpool&) = delete;
  LogSpool& operator=(const LogSpool&) = delete;

  /// The next received bytes of the events, in order.
  void append(const void* bytes, std::size_t size);
  /// Once every byte is appended: an Error if any append failed or some are missing.
  void close();

  RankLogHeader& header() noexcept { return header_; }
  const RankLogHeader& header() const noexcept { return header_; }

  /// The rank's whole log as JSON lines (write_rank_log's text), the events read back
  /// `buffer_bytes` at a time.
  void write_log(std::ostream& out, std::size_t buffer_bytes) const;
  /// The log the reports are rendered from: the first `keep` events of each kind. Tasks beyond
  /// it are added to their functions' totals and counted as dropped (as the recorder does past
  /// its buffer: per-function figures stay exact), the other kinds counted as dropped.
  RankLog load(std::size_t keep, std::size_t buffer_bytes) const;

 private:
  /// Calls visit(std::span<const T>) for each piece of the next `count` events of type T in
  /// `in`, `buffer_bytes` at a time.
  template <class T, class Visit>
  void read_events(std::ifstream& in, std::uint64_t count, std::size_t buffer_bytes,
                   Visit visit) const;

  std::filesystem::path path_;
  RankLogHeader header_;
  EventCounts counts_;
  std::ofstream out_;
  std::uint64_t appended_ = 0;
};

}  // namespace multirank::detail
