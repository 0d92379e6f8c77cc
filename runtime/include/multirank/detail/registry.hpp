// The task registry: every function a rank may be asked to run, by name. It is the one piece of
// process-wide mutable state in multirank; it is filled during static initialisation, sealed when
// the Runtime starts, and compared across ranks so a rank built from another binary is caught
// at start-up rather than mid-run.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "multirank/detail/byte_buffer.hpp"

namespace multirank::detail {

/// Any function pointer, stored uniformly; converted back to its real type by the entry's invoker.
using AnyFunction = void (*)();

/// When profiling, where an invoker notes the steady-clock times (ns) at which decoding the
/// arguments ended and the function returned: the rest of the item's time is (de)serialising.
struct ItemTiming {
  std::int64_t decoded_ns = 0;
  std::int64_t returned_ns = 0;
};

/// Decodes the arguments from `args`, runs the function and encodes its result into `result`;
/// fills `timing` unless it is null. Exceptions from decoding, the function or encoding propagate
/// to the caller.
using Invoker = void (*)(AnyFunction function, ByteReader& args, ByteWriter& result, ItemTiming* timing);

struct TaskEntry {
  std::string name;
  std::string signature;        // e.g. "int(int)"
  std::uint64_t id;             // fnv1a(name): what travels in task records
  std::uint64_t args_signature; // fnv1a of the argument types: checked on the receiving rank
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
  bool sealed_ = false;
};

}  // namespace multirank::detail
