// Running task records: the one code path shared by worker ranks and the driver's own worker
// thread. Whatever goes wrong with one item (unknown task, undecodable arguments, the function
// throwing, a result that cannot be encoded) becomes that item's error, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "multirank/detail/byte_buffer.hpp"
#include "multirank/detail/wire.hpp"

namespace multirank::detail {

class ProfileRecorder;

/// What one executing slot remembers between records: the groups (pools) whose initializer failed
/// here, whose later records fail with that error instead of running without their set-up.
struct ExecutionContext {
  std::unordered_map<std::uint64_t, ErrorInfo> broken_groups;
  ProfileRecorder* recorder = nullptr;  // set when profiling: each record is logged there
  /// Once set (the job was interrupted), records are answered with this error instead of running.
  std::optional<ErrorInfo> skip_with;
};

/// Reads one task record (header and items) from `in`, runs it and appends its result record to
/// `out`. Returns the executing time in nanoseconds. Throws DecodeError only when the record
/// header itself is unreadable, which means the whole message is corrupt.
std::int64_t execute_record(ByteReader& in, ByteWriter& out, ExecutionContext& context);
/// The same, for a record whose header and items are at hand separately (the driver's own worker).
std::int64_t execute_record(const TaskRecordHeader& task, std::span<const char> items,
                            ByteWriter& out, ExecutionContext& context);

/// The exception in flight as (type, message); works for any thrown type. Call inside a catch.
ErrorInfo describe_current_exception();
/// A C++ type name as written in source, from its mangled form.
std::string demangle(const char* name);

/// Nanoseconds on the steady clock, the time base of records.
std::int64_t steady_now_ns();

}  // namespace multirank::detail
