// A rank's profile log in its binary form, DIR/rank-<r>.binlog: what rank 0 writes at the end of a
// profiled run. Its events are their bytes, as the ranks recorded and sent them, so writing a
// log formats nothing: the JSON lines of the same events cost rank 0 more than the reports did,
// while the user waited for the job to exit.
// Layout: one JSON line naming the format and saying how many events of each kind follow and
// how large each one is; the events (tasks, messages, queue samples, spans, in that order); then
// the header as its JSON line, and any phase lines added later, exactly as in the JSON-lines form
// (profile_log.hpp). Only a build with the same event layout and byte order reads the events (the
// first line says which); `multirank-report --jsonl DIR` writes the portable JSON lines.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "recording/profile_log.hpp"

namespace multirank::detail {

/// How many events of each kind a log has, in the order they lie in a binary log.
struct EventCounts {
  std::uint64_t tasks = 0;
  std::uint64_t messages = 0;
  std::uint64_t queue = 0;
  std::uint64_t spans = 0;

  /// The bytes of all the events.
  std::uint64_t bytes() const noexcept;
};

/// The binary log's first line, with its line break.
std::string binary_log_preamble(const EventCounts& counts);
/// What follows the events: the header's line (phase lines may be appended after it).
void write_binary_log_end(const RankLogHeader& header, std::ostream& out);
/// The whole log in its binary form.
void write_binary_log(const RankLog& log, std::ostream& out);
/// Whether `bytes` start as a binary log does (otherwise they may be JSON lines).
bool is_binary_log(std::string_view bytes) noexcept;
/// Reads a log written by write_binary_log; a DecodeError naming `source` and what is wrong
/// (another layout, missing bytes, a malformed line) if it is not one.
RankLog parse_binary_log(std::string_view bytes, const std::string& source);

}  // namespace multirank::detail
