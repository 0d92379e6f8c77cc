// Running one task record on whichever rank received it.
#include "tasks/task_execution.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "multirank/detail/codec.hpp"
#include "multirank/detail/registry.hpp"
#include "multirank/detail/task_state.hpp"
#include "multirank/detail/wire.hpp"
#include "recording/profile_recorder.hpp"
#include "recording/program_records.hpp"

namespace multirank::detail {

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> text(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && text ? std::string(text.get()) : std::string(name);
}

ErrorInfo describe_current_exception() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  ErrorInfo info{type ? demangle(type->name()) : std::string("unknown exception"), ""};
  try {
    throw;
  } catch (const std::exception& e) {
    info.message = e.what();
  } catch (...) {
    info.message = "(a thrown value that is not a std::exception)";
  }
  return info;
}

namespace {

void write_error_item(ByteWriter& out, const ErrorInfo& info) {
  out.write_pod(static_cast<std::uint8_t>(ItemStatus::error));
  write_blob(out, encode_error_info(info));
}

/// The exception being handled as ErrorInfo at `stage`: a registered type's value travels too.
ErrorInfo describe_failure(TaskStage stage) {
  ErrorInfo info = describe_current_exception();
  info.stage = static_cast<std::uint8_t>(stage);
  const std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) return info;
  if (const ExceptionEntry* registered = Registry::instance().find_exception(*type)) {
    try {
      ByteWriter out(info.exception_bytes);
      registered->save_current(out);
      info.exception_id = registered->id;
    } catch (...) {
      // Its own save() failed: it still comes back, as a RemoteError saying why.
      const ErrorInfo failure = describe_current_exception();
      info.exception_bytes.clear();
      info.message +=
          " (it could not be sent as itself: " + failure.type_name + ": " + failure.message + ")";
    }
  }
  return info;
}

/// Runs one item; its result or error is appended to `out` as one item. Returns false if the
/// item failed.
bool run_item(const TaskEntry* entry, std::uint64_t function_id, std::uint64_t args_signature,
              std::span<const char> args, ByteWriter& out, ErrorInfo& failure, ItemTiming& timing) {
  if (entry == nullptr) {
    failure = {"multirank::TaskError",
               "no task with id " + std::to_string(function_id) +
                   " is registered on this rank (was it built from another binary?)"};
    write_error_item(out, failure);
    return false;
  }
  if (entry->args_signature != args_signature) {
    failure = {"multirank::TaskError", "task '" + entry->name + "' expects " + entry->signature +
                                           " but was sent other argument types"};
    write_error_item(out, failure);
    return false;
  }
  // The result is encoded straight into the message; on failure, the partial bytes are cut off.
  const std::size_t item_start = out.size();
  out.write_pod(static_cast<std::uint8_t>(ItemStatus::ok));
  const std::size_t length_at = out.reserve(sizeof(std::uint64_t));
  try {
    ByteReader in(args);
    entry->invoke(entry->function, in, out, &timing);
    out.patch_pod<std::uint64_t>(length_at, out.size() - length_at - sizeof(std::uint64_t));
    return true;
  } catch (...) {
    ErrorInfo info = describe_failure(timing.stage);
    if (info.type_name == "multirank::DecodeError" ||
        info.type_name.find("archive_exception") != std::string::npos) {
      info.message = (timing.stage == TaskStage::decoding_arguments ? "the arguments of task '"
                                                                    : "the result of task '") +
                     entry->name + "' could not be (de)serialised: " + info.message;
    }
    out.bytes().resize(item_start);
    write_error_item(out, info);
    failure = std::move(info);
    return false;
  }
}

}  // namespace

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t execute_record(ByteReader& in, ByteWriter& out, ExecutionContext& context) {
  const auto task = in.read_pod<TaskRecordHeader>();
  // Items cut off by the end of the message fail one by one, as unreadable.
  return execute_record(task, in.take(std::min<std::uint64_t>(task.items_bytes, in.remaining())),
                        out, context);
}

namespace {

/// Answers a record whose item count its bytes cannot hold (each item starts with an 8-byte
/// length): the count is garbled, so it is answered with one error item for the whole record
/// rather than with as many as the count claims.
std::int64_t fail_record(const TaskRecordHeader& task, std::size_t item_bytes, ByteWriter& out,
                         ExecutionContext& context) {
  const TaskEntry* entry = Registry::instance().find(task.function_id);
  const ErrorInfo failure{
      "multirank::DecodeError",
      "the record of task " +
          (entry != nullptr ? "'" + entry->name + "'" : "id " + std::to_string(task.function_id)) +
          " is garbled: it claims " + std::to_string(task.item_count) + " item(s) in " +
          std::to_string(item_bytes) + " bytes, which hold at most " +
          std::to_string(item_bytes / sizeof(std::uint64_t))};
  const std::int64_t now = steady_now_ns();
  const std::size_t header_at = out.reserve(sizeof(ResultRecordHeader));
  const std::size_t items_start = out.size();
  write_error_item(out, failure);
  out.patch_pod(header_at,
                ResultRecordHeader{task.task_id, now, now, 1, 0, out.size() - items_start});
  if ((task.flags & task_flag_initializer) != 0) context.broken_groups.emplace(task.group, failure);
  return 0;
}

}  // namespace

std::int64_t execute_record(const TaskRecordHeader& task, std::span<const char> item_bytes,
                            ByteWriter& out, ExecutionContext& context) {
  if (task.item_count > item_bytes.size() / sizeof(std::uint64_t)) {
    return fail_record(task, item_bytes.size(), out, context);
  }
  ByteReader items(item_bytes);
  const TaskEntry* entry = Registry::instance().find(task.function_id);
  const auto broken = context.broken_groups.find(task.group);

  // Results are usually about as large as the arguments: room for them in one allocation (a
  // guess, so capped: a huge argument may well have a small result).
  constexpr std::size_t guess_cap = std::size_t{64} << 20;
  out.make_room(sizeof(ResultRecordHeader) +
                std::min(item_bytes.size() + task.item_count, guess_cap));
  const std::size_t header_at = out.reserve(sizeof(ResultRecordHeader));
  const std::size_t items_start = out.size();
  ResultRecordHeader result{task.task_id, steady_now_ns(), 0, task.item_count, 0, 0};
  ProfileRecorder* const recorder = context.recorder;
  std::uint32_t failed_items = 0;
  std::int64_t serialise_ns = 0;
  std::int64_t item_start = result.start_ns;
  std::int64_t last_item_end = 0;  // when profiling: the record's end, without another clock read
  for (std::uint32_t i = 0; i < task.item_count; ++i) {
    last_item_end = 0;
    std::span<const char> args;
    try {
      args = read_blob(items);
    } catch (const DecodeError& e) {
      write_error_item(
          out, {"multirank::DecodeError", std::string("task record truncated: ") + e.what()});
      ++failed_items;
      continue;
    }
    if (context.skip_with) {
      write_error_item(out, *context.skip_with);
      ++failed_items;
      continue;
    }
    if (broken != context.broken_groups.end()) {
      write_error_item(out,
                       {broken->second.type_name,
                        "the pool's initializer failed on this rank: " + broken->second.message});
      ++failed_items;
      continue;
    }
    ErrorInfo failure;
    ItemTiming timing;
    timing.measure = recorder != nullptr;
    if (!run_item(entry, task.function_id, task.args_signature, args, out, failure, timing)) {
      ++failed_items;
      if ((task.flags & task_flag_initializer) != 0)
        context.broken_groups.emplace(task.group, failure);
    }
    if (recorder != nullptr) {
      // Decoding before the call and encoding after it; an item that failed before its call
      // counts as (de)serialising throughout.
      const std::int64_t item_end = steady_now_ns();
      const std::int64_t decoded = timing.decoded_ns != 0 ? timing.decoded_ns : item_end;
      const std::int64_t returned = timing.returned_ns != 0 ? timing.returned_ns : item_end;
      serialise_ns += (decoded - item_start) + (item_end - returned);
      item_start = item_end;
      last_item_end = item_end;
    }
  }
  result.end_ns = last_item_end != 0 ? last_item_end : steady_now_ns();
  result.items_bytes = out.size() - items_start;
  out.patch_pod(header_at, result);
  if (recorder != nullptr) {
    if (recorder->task_thread() == 0) recorder->set_task_thread(ProgramRecords::thread_number());
    recorder->record_task({task.task_id, task.function_id, recorder->from_steady(result.start_ns),
                           recorder->from_steady(result.end_ns), serialise_ns, item_bytes.size(),
                           result.items_bytes, task.item_count, failed_items});
  }
  return result.end_ns - result.start_ns;
}

}  // namespace multirank::detail
