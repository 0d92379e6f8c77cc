// Running task records: the one code path shared by worker ranks and the driver's own worker
// thread. Whatever goes wrong with one item (unknown task, undecodable arguments, the function
// throwing, a result that cannot be encoded) becomes that item's error, never a crash.
#pragma once

#include "multirank/detail/byte_buffer.hpp"

namespace multirank::detail {

/// Reads one task record (header and items) from `in`, runs it and appends its result record to
/// `out`. Returns the executing time in nanoseconds. Throws DecodeError only when the record
/// header itself is unreadable, which means the whole message is corrupt.
std::int64_t execute_record(ByteReader& in, ByteWriter& out);

/// Nanoseconds on the steady clock, the time base of records.
std::int64_t steady_now_ns();

}  // namespace multirank::detail
