// Registering plain C++ functions as tasks that any rank can run. A task is referred to by a
// stable name (hashed on the wire), never by address, because addresses differ between ranks.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "multirank/detail/codec.hpp"
#include "multirank/detail/registry.hpp"
#include "multirank/detail/type_name.hpp"
#include "multirank/error.hpp"

namespace multirank {

namespace detail {

template <class R, class... P, std::size_t... I>
R call_with_decoded(R (*function)(P...), std::tuple<std::decay_t<P>...>& values,
                    std::index_sequence<I...>) {
  // Pass by-value and const& parameters as rvalues (no copy of a large argument); a non-const
  // lvalue reference parameter binds to the decoded value itself.
  return function(static_cast<P&&>(std::get<I>(values))...);
}

inline std::int64_t steady_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <class R, class... P>
void invoke_registered(AnyFunction any, ByteReader& args, ByteWriter& result, ItemTiming* timing) {
  auto function = reinterpret_cast<R (*)(P...)>(any);
  std::tuple<std::decay_t<P>...> values;
  std::apply([&](auto&... value) { (decode(args, value), ...); }, values);
  if (args.remaining() != 0) {
    throw DecodeError(std::to_string(args.remaining()) +
                      " bytes left after the arguments: the sender encoded other types");
  }
  if (timing != nullptr) {
    timing->stage = TaskStage::running;
    if (timing->measure) timing->decoded_ns = steady_clock_ns();
  }
  if constexpr (std::is_void_v<R>) {
    call_with_decoded(function, values, std::index_sequence_for<P...>{});
    if (timing != nullptr && timing->measure) timing->returned_ns = steady_clock_ns();
  } else {
    R value = call_with_decoded(function, values, std::index_sequence_for<P...>{});
    if (timing != nullptr) {
      timing->stage = TaskStage::encoding_result;
      if (timing->measure) timing->returned_ns = steady_clock_ns();
    }
    encode(result, value);
  }
}

template <class... P>
std::uint64_t args_signature_of() {
  return fnv1a(signature_of<void, std::decay_t<P>...>());
}

const TaskEntry& register_entry(TaskEntry entry);
const TaskEntry& entry_for_function(AnyFunction function, const char* signature);
const TaskEntry& entry_for_name(const std::string& name, const std::string& signature);

}  // namespace detail

template <class Signature>
class TaskRef;

/// A handle on a registered task, typed by its signature, so `submit` checks the arguments at
/// compile time. Obtain one from `register_task`, `MULTIRANK_TASK`, or `TaskRef::named`.
///
/// @code
///   int square(int x) { return x * x; }
///   MULTIRANK_TASK(square);                       // namespace scope, every rank
///   auto f = executor.submit(square, 7);          // by function...
///   auto sq = multirank::TaskRef<int(int)>::named("square");
///   auto g = executor.submit(sq, 8);              // ...or by name, checked against the registry
/// @endcode
/// Thread safety: a TaskRef is immutable and may be shared freely.
template <class R, class... P>
class TaskRef<R(P...)> {
  static_assert(!std::is_reference_v<R>, "a task returns a value, not a reference");

 public:
  using result_type = R;
  using function_type = R (*)(P...);

  explicit TaskRef(const detail::TaskEntry& entry) : entry_(&entry) {}

  /// The registered task of that name; a TaskError if none or if its signature differs.
  static TaskRef named(const std::string& name) {
    return TaskRef(detail::entry_for_name(name, detail::signature_of<R, std::decay_t<P>...>()));
  }
  /// The task registered for this function; a TaskError if it was never registered.
  static TaskRef of(function_type function) {
    static const std::string signature = detail::signature_of<R, std::decay_t<P>...>();
    return TaskRef(detail::entry_for_function(reinterpret_cast<detail::AnyFunction>(function),
                                              signature.c_str()));
  }

  const std::string& name() const { return entry_->name; }
  const detail::TaskEntry& entry() const { return *entry_; }

 private:
  const detail::TaskEntry* entry_;
};

/// Registers `function` under `name` on this rank. Call it identically on every rank, at
/// namespace scope (static initialisation) so the registry is complete before the Runtime starts.
template <class R, class... P>
TaskRef<R(P...)> register_task(std::string name, R (*function)(P...)) {
  detail::TaskEntry entry{std::move(name),
                          detail::signature_of<R, std::decay_t<P>...>(),
                          0,
                          detail::args_signature_of<P...>(),
                          reinterpret_cast<detail::AnyFunction>(function),
                          &detail::invoke_registered<R, P...>};
  entry.id = detail::fnv1a(entry.name);
  return TaskRef<R(P...)>(detail::register_entry(std::move(entry)));
}

namespace detail {
/// Turns what a user passes as a task (a function pointer or a TaskRef) into a TaskRef.
template <class R, class... P>
TaskRef<R(P...)> as_task(R (*function)(P...)) {
  return TaskRef<R(P...)>::of(function);
}
template <class R, class... P>
TaskRef<R(P...)> as_task(const TaskRef<R(P...)>& task) {
  return task;
}
template <class Task>
using task_ref_t = decltype(as_task(std::declval<Task>()));
template <class Task>
using task_result_t = typename task_ref_t<Task>::result_type;
}  // namespace detail

}  // namespace multirank

#define MULTIRANK_DETAIL_CONCAT2(a, b) a##b
#define MULTIRANK_DETAIL_CONCAT(a, b) MULTIRANK_DETAIL_CONCAT2(a, b)

/// Registers the function `fn` as a task named "fn". Use at namespace scope, in a file every rank
/// links.
#define MULTIRANK_TASK(fn)                                                      \
  [[maybe_unused]] static const auto MULTIRANK_DETAIL_CONCAT(multirank_task_, fn) = \
      ::multirank::register_task(#fn, &fn)
