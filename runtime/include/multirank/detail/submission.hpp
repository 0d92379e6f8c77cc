// Turning a task and its arguments into task records: the encoding shared by Executor and Pool.
#pragma once

#include <cstdint>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "multirank/detail/codec.hpp"
#include "multirank/detail/driver_engine.hpp"
#include "multirank/detail/task_state.hpp"
#include "multirank/task.hpp"

namespace multirank::detail {

/// Encodes an argument as the parameter type the task declares, so the receiving rank decodes
/// exactly what the function takes. An argument already of that type is encoded without a copy.
template <class P, class A>
void encode_argument(ByteWriter& out, A&& argument) {
  using Param = std::decay_t<P>;
  if constexpr (std::is_same_v<std::decay_t<A>, Param>) {
    encode(out, argument);
  } else {
    static_assert(std::is_constructible_v<Param, A&&>,
                  "an argument does not convert to the task's parameter type");
    encode(out, Param(std::forward<A>(argument)));
  }
}

/// Appends one item (one call's arguments) as a length-prefixed blob.
template <class... P, class... A>
void append_item(ByteWriter& out, A&&... arguments) {
  static_assert(sizeof...(P) == sizeof...(A), "wrong number of arguments for this task");
  const std::size_t length_at = out.reserve(sizeof(std::uint64_t));
  const std::size_t start = out.size();
  (encode_argument<P>(out, std::forward<A>(arguments)), ...);
  out.patch_pod<std::uint64_t>(length_at, out.size() - start);
}

/// Appends one element of a map input: a single argument, or a tuple of them for starmap.
template <bool Star, class... P, class Element>
void append_element(ByteWriter& out, Element&& element) {
  if constexpr (Star) {
    std::apply([&](auto&&... arguments) { append_item<P...>(out, arguments...); },
               std::forward<Element>(element));
  } else {
    append_item<P...>(out, std::forward<Element>(element));
  }
}

/// A record for `item_count` items already encoded in `items`, with a fresh result state.
template <class R>
TaskRecord make_record(DriverEngine& engine, const TaskEntry& entry,
                       std::shared_ptr<SubmissionQueue> queue, std::vector<char> items,
                       std::uint32_t item_count) {
  TaskRecord record;
  record.id = engine.next_task_id();
  record.entry = &entry;
  record.item_count = item_count;
  record.items = std::move(items);
  record.state = std::make_shared<ResultState<R>>(item_count);
  record.queue = std::move(queue);
  return record;
}

/// Submits one call of `task` and returns its state.
template <class R, class... P, class... A>
std::shared_ptr<ResultState<R>> submit_call(DriverEngine& engine,
                                            const std::shared_ptr<SubmissionQueue>& queue,
                                            const TaskRef<R(P...)>& task, A&&... arguments) {
  std::vector<char> items;
  ByteWriter out(items);
  append_item<P...>(out, std::forward<A>(arguments)...);
  TaskRecord record = make_record<R>(engine, task.entry(), queue, std::move(items), 1);
  auto state = std::static_pointer_cast<ResultState<R>>(record.state);
  engine.submit(std::move(record));
  return state;
}

}  // namespace multirank::detail
