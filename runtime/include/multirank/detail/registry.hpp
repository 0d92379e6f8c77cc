// The task registry: every function a rank may be asked to run, by name, and the exception types
// that cross ranks as themselves. It is the one piece of
// process-wide mutable state in multirank; it is filled during static initialisation, sealed when
// the Runtime starts, and compared across ranks so a rank built from another binary is caught
// at start-up rather than mid-run.
#pragma once

#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <unordered_map>
#include <vector>

#include "multirank/detail/byte_buffer.hpp"

namespace multirank::detail {

/// Any function pointer, stored uniformly; converted back to its real type by the entry's invoker.
using AnyFunction = void (*)();

/// The stages of a task's life where an exception can come from, as reported with it.
enum class TaskStage : std::uint8_t {
  unknown = 0,
  decoding_arguments = 1,  // the arguments' load() on the rank that runs the task
  running = 2,             // the task function
  encoding_result = 3,     // the result's save() there
  decoding_result = 4,     // the result's load() on the driver
};

/// Where an invoker notes how far an item got (the stage an exception came from) and, when
/// profiling (`measure`), the steady-clock times (ns) at which decoding the arguments ended and
/// the function returned: the rest of the item's time is (de)serialising.
struct ItemTiming {
  bool measure = false;
  TaskStage stage = TaskStage::decoding_arguments;
  std::int64_t decoded_ns = 0;
  std::int64_t returned_ns = 0;
};

/// Decodes the arguments from `args`, runs the function and encodes its result into `result`;
/// fills `timing` unless it is null. Exceptions from decoding, the function or encoding propagate
/// to the caller.
using Invoker = void (*)(AnyFunction function, ByteReader& args, ByteWriter& result,
                         ItemTiming* timing);

/// An exception type registered to cross ranks as itself (multirank/remote_exception.hpp).
struct ExceptionEntry {
  std::string name;
  std::uint64_t id;            // fnv1a("exception " + name): what travels in error items
  const std::type_info* type;  // the registered type, matched exactly
  /// Encodes the exception being handled (it is of `type`) into `out`. Call inside a catch.
  void (*save_current)(ByteWriter& out);
  /// The exception decoded from `bytes`, carrying `origin` (a RemoteError) as its nested exception.
  std::exception_ptr (*load_nested)(std::span<const char> bytes, std::exception_ptr origin);
  /// The exception being handled (it is of `type`), with `origin` nested. Call inside a catch.
  std::exception_ptr (*nest_current)(std::exception_ptr origin);
};

struct TaskEntry {
  std::string name;
  std::string signature;         // e.g. "int(int)"
  std::uint64_t id;              // fnv1a(name): what travels in task records
  std::uint64_t args_signature;  // fnv1a of the argument types: checked on the receiving rank
  AnyFunction function;
  Invoker invoke;
};

class Registry {
 public:
  /// The process's registry (constructed on first use, so static registrations in any
  /// translation unit may run in any order).
  static Registry& instance();

  /// Adds a task; the same name with another function or signature is a TaskError.
  const TaskEntry& add(TaskEntry entry);
  const TaskEntry* find(std::uint64_t id) const;
  const TaskEntry* find_by_name(const std::string& name) const;
  const TaskEntry* find_by_function(AnyFunction function) const;

  /// Adds an exception type; the same name for another type is a TaskError.
  const ExceptionEntry& add_exception(ExceptionEntry entry);
  const ExceptionEntry* find_exception(std::uint64_t id) const;
  const ExceptionEntry* find_exception(const std::type_info& type) const;

  /// After this, add() throws: every rank must hold the same registry for the whole run.
  void seal() { sealed_ = true; }
  /// One hash over every (name, signature), independent of registration order.
  std::uint64_t digest() const;
  /// "name: signature" lines, sorted: what ranks exchange to explain a digest mismatch.
  std::vector<std::string> describe() const;

 private:
  Registry() = default;
  std::unordered_map<std::uint64_t, TaskEntry> by_id_;
  std::unordered_map<AnyFunction, std::uint64_t> by_function_;
  std::unordered_map<std::uint64_t, ExceptionEntry> exceptions_;
  std::unordered_map<std::type_index, std::uint64_t> exceptions_by_type_;
  bool sealed_ = false;
};

}  // namespace multirank::detail
