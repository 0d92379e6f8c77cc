// Registering plain C++ functions as tasks that any rank can run. A task is referred to by a
// stable name (hashed on the wire), never by address, because addresses differ between ranks.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
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

/// The name MULTIRANK_TASK_OVERLOAD registers: the function's name followed by the parameter list
/// of its signature, both as written ("scale" and "double(double, int)" give "scale(double, int)").
std::string overload_task_name(std::string_view function, std::string_view signature);

}  // namespace detail

template <class Signature>
class TaskRef;

/// A handle on a registered task, typed by its signature, so `submit` checks the arguments at
/// compile time. Obtain one from `register_task`, `MULTIRANK_TASK`, `TaskRef::named` or
/// `TaskRef::of`; `of` is also how to pick one overload of an overloaded function.
///
/// @code
///   int square(int x) { return x * x; }
///   MULTIRANK_TASK(square);                       // namespace scope, every rank
///   auto f = executor.submit(square, 7);          // by function...
///   auto sq = multirank::TaskRef<int(int)>::named("square");
///   auto g = executor.submit(sq, 8);              // ...or by name, checked against the registry
///
///   double scale(double x, int times);            // overloaded: name the one meant
///   double scale(double x);
///   MULTIRANK_TASK_OVERLOAD(scale, double(double, int));
///   auto h = executor.submit(multirank::TaskRef<double(double, int)>::of(scale), 1.5, 2);
/// @endcode
/// Thread safety: a TaskRef is immutable and may be shared freely.
template <class R, class... P>
class TaskRef<R(P...)> {
  static_assert(!std::is_reference_v<R>,
                "multirank: a task cannot return a reference (its caller is on another rank; the "
                "signature is named above): return the value");

 public:
  /// What the task returns.
  using result_type = R;
  /// The task's function pointer type.
  using function_type = R (*)(P...);

  /// The task of a registry entry; named() and of() find one.
  explicit TaskRef(const detail::TaskEntry& entry) : entry_(&entry) {}

  /// The registered task of that name; a TaskError if none or if its signature differs.
  static TaskRef named(const std::string& name) {
    return TaskRef(detail::entry_for_name(name, detail::signature_of<R, std::decay_t<P>...>()));
  }
  /// The task registered for this function; a TaskError if it was never registered. Given an
  /// overloaded function, it takes the overload of this signature.
  static TaskRef of(function_type function) {
    static const std::string signature = detail::signature_of<R, std::decay_t<P>...>();
    return TaskRef(detail::entry_for_function(reinterpret_cast<detail::AnyFunction>(function),
                                              signature.c_str()));
  }

  /// The name it is registered under.
  const std::string& name() const { return entry_->name; }
  /// Its registry entry.
  const detail::TaskEntry& entry() const { return *entry_; }

 private:
  const detail::TaskEntry* entry_;
};

namespace detail {

template <class T>
struct is_task_ref : std::false_type {};
template <class R, class... P>
struct is_task_ref<TaskRef<R(P...)>> : std::true_type {};

template <class T>
inline constexpr bool is_function_pointer_v =
    std::conjunction_v<std::is_pointer<T>, std::is_function<std::remove_pointer_t<T>>>;

/// What can be run as a task: a function (decayed to its pointer) or a TaskRef. GCC's note under
/// a refusal repeats the name: "is_task_v<main()::<lambda(int)> >' evaluates to false".
template <class Task>
inline constexpr bool is_task_v =
    is_function_pointer_v<std::decay_t<Task>> || is_task_ref<std::decay_t<Task>>::value;
template <class Task>
concept not_a_task = !is_task_v<Task>;

/// What a refused task turns into; any error it causes further on comes after TaskOf's message.
struct NotATask {
  using result_type = NotATask;
};

/// The TaskRef a task (a decayed function pointer or a TaskRef) stands for; anything else stops
/// compilation here, with the one message that says what a task is.
template <class Task>
struct TaskOf {
  static_assert(is_task_v<Task>,
                "multirank: this is not a task (its type is named above): a task is a function "
                "declared at namespace scope, or a static member function, registered with "
                "MULTIRANK_TASK (or a multirank::TaskRef to one); a lambda, function object or "
                "non-static member function cannot be a task, since captures and objects cannot "
                "cross ranks");
  using type = NotATask;
};
template <class R, class... P>
struct TaskOf<R (*)(P...)> {
  using type = TaskRef<R(P...)>;
};
template <class R, class... P>
struct TaskOf<R (*)(P...) noexcept> {
  using type = TaskRef<R(P...)>;
};
template <class R, class... P>
struct TaskOf<TaskRef<R(P...)>> {
  using type = TaskRef<R(P...)>;
};

template <class Task>
using task_ref_t = typename TaskOf<std::decay_t<Task>>::type;
template <class Task>
using task_result_t = typename task_ref_t<Task>::result_type;

/// Turns what a user passes as a task (a function or a TaskRef) into a TaskRef.
template <class Task>
task_ref_t<Task> as_task(const Task& task) {
  if constexpr (is_task_ref<Task>::value) {
    return task;
  } else if constexpr (is_task_v<Task>) {
    return task_ref_t<Task>::of(task);
  } else {
    return {};
  }
}

}  // namespace detail

/// Registers `function` under `name` on this rank. Call it identically on every rank, at
/// namespace scope (static initialisation) so the registry is complete before the Runtime starts.
/// Argument and result types must be ones the codec or Boost.Serialization can carry; any other
/// type, or a pointer, stops compilation with a message naming it.
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

/// Anything else given to register_task (a lambda, a function object, a member function
/// pointer) stops compilation at detail::TaskOf's message.
template <detail::not_a_task Function>
detail::task_ref_t<Function> register_task(std::string, const Function&) {
  return {};
}

}  // namespace multirank

#define MULTIRANK_DETAIL_CONCAT2(a, b) a##b
#define MULTIRANK_DETAIL_CONCAT(a, b) MULTIRANK_DETAIL_CONCAT2(a, b)

/// Registers the function named by the argument as a task, under that name as written. Use it at
/// namespace scope, in a file every rank links. The name may be qualified, and may name a static
/// member function; the task name (part of the task's id on the wire and of the start-up check
/// that every rank has the same tasks) is the argument's spelling, so write it the same way on
/// every rank.
///
/// @code
///   int square(int x);
///   MULTIRANK_TASK(square);            // "square"
///   namespace physics { double energy(double mass); }
///   MULTIRANK_TASK(physics::energy);   // "physics::energy"
///   MULTIRANK_TASK(::top_level);       // "::top_level"
///   struct Solver { static int step(int state); };
///   MULTIRANK_TASK(Solver::step);      // "Solver::step"
///   MULTIRANK_TASK(add<int, long>);    // a function template's specialisation: "add<int, long>"
/// @endcode
/// An overloaded name needs MULTIRANK_TASK_OVERLOAD (given to MULTIRANK_TASK or to submit, it fails
/// with "<unresolved overloaded function type>"). Compile-time refusals, each one static_assert
/// that comes first and names the type: a lambda, a function object or a non-static member
/// function (only functions can be found again on another rank; captures cannot cross ranks); a
/// pointer argument or result; a reference result; an argument or result type that neither the
/// codec (numbers, std::string, and std::vector, std::array, std::tuple, std::pair, std::optional
/// of such) nor Boost.Serialization can carry (give it a serialize() member or free function, and
/// include the Boost header of a standard container, e.g. <boost/serialization/map.hpp>).
#define MULTIRANK_TASK(...)                                                                  \
  [[maybe_unused]] static const auto MULTIRANK_DETAIL_CONCAT(multirank_task_, __COUNTER__) = \
      ::multirank::register_task(#__VA_ARGS__, &__VA_ARGS__)

/// Registers one overload of the function `fn`, the one of the given signature, under the name
/// followed by the signature's parameter list as written, so each overload has its own task.
/// Submit it through its TaskRef (`TaskRef<Signature>::of(fn)` picks the overload), or through a
/// cast to its function pointer type.
///
/// @code
///   double scale(double x, int times);
///   double scale(double x);
///   MULTIRANK_TASK_OVERLOAD(scale, double(double, int));   // "scale(double, int)"
///   MULTIRANK_TASK_OVERLOAD(scale, double(double));        // "scale(double)"
///   ...
///   executor.submit(multirank::TaskRef<double(double, int)>::of(scale), 1.5, 2);
///   executor.submit(static_cast<double (*)(double)>(scale), 1.5);
/// @endcode
#define MULTIRANK_TASK_OVERLOAD(fn, ...)                                                     \
  [[maybe_unused]] static const auto MULTIRANK_DETAIL_CONCAT(multirank_task_, __COUNTER__) = \
      ::multirank::register_task(::multirank::detail::overload_task_name(#fn, #__VA_ARGS__), \
                                 static_cast<std::add_pointer_t<__VA_ARGS__>>(&fn))
