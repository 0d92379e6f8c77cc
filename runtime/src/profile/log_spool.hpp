// One worker rank's log as rank 0 gathers it: the header in memory, the events appended as they
// arrive, through a buffer of a fixed size, to a file in the profile directory that becomes the
// rank's binary log (rank-<r>.binlog) once the header is added. Rank 0 never holds a whole rank's
// events: as they go by it keeps for the reports only those within their budget.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

#include "recording/binary_log.hpp"

namespace multirank::detail {

class LogSpool {
 public:
  /// Creates (truncates) the file at `path` and writes the binary log's first line, to be
  /// followed by append() with the events as `counts` says; the reports keep the first `keep`
  /// events of each kind. A file that cannot be created or written is an Error from close(), not
  /// before: the rank that sends the events must be able to send them all.
  LogSpool(std::filesystem::path path, RankLogHeader header, EventCounts counts, std::size_t keep);
  /// Removes the file, unless it was published.
  ~LogSpool();
  LogSpool(const LogSpool&) = delete;
  LogSpool& operator=(const LogSpool&) = delete;

  /// The next received bytes of the events, in order; pieces may cut events in two.
  void append(const void* bytes, std::size_t size);
  /// Once every byte is appended: an Error if any append failed or some are missing.
  void close();

  RankLogHeader& header() noexcept { return header_; }
  const RankLogHeader& header() const noexcept { return header_; }

  /// After close(): adds the header (as it is now) after the events and renames the file to
  /// `path`, where it stays: the rank's whole binary log, no event of it copied or formatted.
  void publish(const std::filesystem::path& path);
  /// The log the reports are rendered from: the first `keep` events of each kind. Tasks beyond
  /// it are added to their functions' totals and counted as dropped (as the recorder does past
  /// its buffer: per-function figures stay exact), the other kinds counted as dropped. Once.
  RankLog take_kept();

 private:
  /// The `size` bytes at `bytes` of the events of kind T, where `partial_` may hold the start
  /// of the first: the events within the budget go to `into`, the others are counted past it.
  template <class T>
  void keep_events(const char* bytes, std::size_t size, std::vector<T>& into);

  std::filesystem::path path_;
  RankLogHeader header_;
  EventCounts counts_;
  std::size_t keep_;
  std::ofstream out_;
  std::uint64_t appended_ = 0;
  bool published_ = false;
  // The events within the budget; its header counts those past it (and their tasks' totals).
  RankLog kept_;
  // An event cut in two by the pieces, until its end arrives.
  alignas(8) std::array<char, 128> partial_{};
  std::size_t partial_size_ = 0;
};

}  // namespace multirank::detail
