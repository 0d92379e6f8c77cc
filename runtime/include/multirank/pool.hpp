// Pool: multiprocessing.Pool over MPI ranks, and AsyncResult, the handle of its *_async calls.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "multirank/detail/group_state.hpp"
#include "multirank/detail/result_stream.hpp"
#include "multirank/detail/runtime_access.hpp"
#include "multirank/detail/submission.hpp"
#include "multirank/future.hpp"
#include "multirank/map_options.hpp"
#include "multirank/runtime.hpp"
#include "multirank/task.hpp"

namespace multirank {

/// The result of Pool::apply_async or Pool::map_async. Its callbacks have run by the time
/// ready() is true, as in Python. Copyable; all copies refer to the same result.
template <class T>
class AsyncResult {
 public:
  /// What get() returns: `T`, or std::monostate for a void task.
  using Value = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  /// Made by Pool's apply_async and map_async; the result behind `state`, read by `value`.
  AsyncResult(std::shared_ptr<detail::TaskState> state, std::function<Value&()> value,
              detail::DriverEngine* engine)
      : state_(std::move(state)), value_(std::move(value)), engine_(engine) {}

  /// The value; rethrows the task's error; TimeoutError if not ready within `timeout`.
  const Value& get(Timeout timeout = {}) const {
    if (!wait(timeout)) throw TimeoutError("the result was not ready within the timeout");
    return value_();
  }
  /// Waits until ready or `timeout`; true if ready.
  bool wait(Timeout timeout = {}) const {
    auto* state = state_.get();
    return engine_->wait_until([state] { return state->settled(); }, timeout.deadline());
  }
  /// Whether the call has completed (successfully or not).
  bool ready() const { return state_->settled(); }
  /// Whether the call succeeded; an Error if it is not ready yet (Python raises ValueError).
  bool successful() const {
    if (!ready()) throw Error("successful() called before the result is ready");
    return !state_->has_error() && !state_->cancelled();
  }

 private:
  std::shared_ptr<detail::TaskState> state_;
  std::function<Value&()> value_;
  detail::DriverEngine* engine_;
};

/// A pool of worker ranks, as multiprocessing.Pool.
///
/// @code
///   multirank::Pool pool;                                   // every worker slot
///   std::vector<int> squares = pool.map(square, std::vector{1, 2, 3, 4, 5});
///   auto async = pool.apply_async(square, std::tuple{7}, [](int v) { std::cout << v; });
///   pool.close();
///   pool.join();
/// @endcode
/// Unlike Python's `with Pool()`, which terminates, the destructor closes and joins: work already
/// submitted finishes. Thread safety: any driver thread may call any member.
class Pool {
 public:
  /// Called with a failed task's error (apply_async, map_async).
  using ErrorCallback = std::function<void(const std::exception&)>;

  /// `processes` caps the worker slots used (0: all).
  explicit Pool(int processes = 0) : Pool(Runtime::current(), processes) {}
  /// A pool on `runtime`'s ranks (the default constructor uses Runtime::current()).
  Pool(Runtime& runtime, int processes)
      : engine_(&detail::RuntimeAccess::engine(runtime)),
        queue_(engine_->open_queue(processes)),
        processes_(processes) {}
  /// Runs `initializer(initargs...)` once on each worker slot before its first task of this pool.
  /// If it fails, the pool is broken: its tasks fail with the initializer's error.
  template <class Task, class... A>
  Pool(int processes, const Task& initializer, A&&... initargs) : Pool(processes) {
    auto ref = detail::as_task(initializer);
    std::vector<char> items;
    detail::ByteWriter out(items);
    append_initializer(out, ref, std::forward<A>(initargs)...);
    engine_->set_initializer(*queue_, detail::make_record<typename decltype(ref)::result_type>(
                                          *engine_, ref.entry(), queue_, std::move(items), 1));
  }
  /// A task lost with its worker rank runs again on another rank up to `retries` times, then
  /// fails with WorkerLost (default: RuntimeOptions::retries, MULTIRANK_RETRIES).
  void set_retries(int retries) { queue_->set_retries(retries); }
  /// A task running longer than `timeout` fails with TaskTimeout (naming the task and its rank,
  /// and passed to error callbacks); the job goes on: the rank's queued tasks move to other
  /// ranks, and it rejoins when the task returns, its result dropped. 0: no limit (default:
  /// RuntimeOptions::task_timeout, MULTIRANK_TASK_TIMEOUT_S).
  void set_task_timeout(std::chrono::milliseconds timeout) {
    engine_->set_task_timeout(*queue_, timeout);
  }
  ~Pool() {
    if (!closed_) close();
    join();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// `task` over every element, in order, as a vector (eager, like Python).
  template <class Task, class Range>
  auto map(const Task& task, Range&& inputs, MapOptions options = {}) {
    return map_all<false>(task, std::forward<Range>(inputs), std::move(options));
  }
  /// Like map, with each element a tuple of arguments.
  template <class Task, class Range>
  auto starmap(const Task& task, Range&& inputs, MapOptions options = {}) {
    return map_all<true>(task, std::forward<Range>(inputs), std::move(options));
  }
  /// Lazy map, results in input order as they are iterated (default chunksize 1).
  template <class Task, class Range>
  auto imap(const Task& task, Range&& inputs, MapOptions options = {}) {
    const std::size_t chunksize = std::max<std::size_t>(1, options.chunksize);
    return stream<false>(task, std::forward<Range>(inputs), chunksize, std::move(options),
                         detail::StreamOrder::input);
  }
  /// Lazy map, results in the order they complete.
  template <class Task, class Range>
  auto imap_unordered(const Task& task, Range&& inputs, MapOptions options = {}) {
    const std::size_t chunksize = std::max<std::size_t>(1, options.chunksize);
    return stream<false>(task, std::forward<Range>(inputs), chunksize, std::move(options),
                         detail::StreamOrder::completion);
  }

  /// `task(arguments...)`, waiting for the result.
  template <class Task, class... A>
  auto apply(const Task& task, A&&... arguments) {
    return apply_async(task, std::forward_as_tuple(std::forward<A>(arguments)...)).get();
  }

  /// `task(arguments...)` without waiting. `callback(value)` or `error_callback(error)` runs on
  /// the driver when it completes, before the result is ready().
  template <class Task, class... A>
  auto apply_async(
      const Task& task, std::tuple<A...> arguments,
      std::function<void(const typename AsyncResult<detail::task_result_t<Task>>::Value&)>
          callback = {},
      ErrorCallback error_callback = {}) {
    using R = detail::task_result_t<Task>;
    check_running();
    auto state = std::apply(
        [&](auto&&... a) {
          return detail::submit_call(*engine_, queue_, detail::as_task(task),
                                     std::forward<decltype(a)>(a)...);
        },
        std::move(arguments));
    auto* raw = state.get();
    add_callbacks<typename AsyncResult<R>::Value>(
        *state, [raw]() -> auto& { return raw->value(0); }, std::move(callback),
        std::move(error_callback));
    return AsyncResult<R>(
        state, [state]() -> auto& { return state->value(0); }, engine_);
  }

  /// Like map without waiting; the value is the whole vector.
  template <class Task, class Range>
  auto map_async(const Task& task, Range&& inputs, MapOptions options = {},
                 std::function<void(
                     const std::vector<typename AsyncResult<detail::task_result_t<Task>>::Value>&)>
                     callback = {},
                 ErrorCallback error_callback = {}) {
    using R = detail::task_result_t<Task>;
    using Values = std::vector<typename AsyncResult<R>::Value>;
    check_running();
    const std::size_t chunksize = default_chunksize(inputs, options.chunksize);
    auto ref = detail::as_task(task);
    auto pull = detail::make_pull<false>(ref, std::forward<Range>(inputs));
    std::vector<std::shared_ptr<detail::ResultState<R>>> parts;
    while (true) {
      std::vector<char> items;
      detail::ByteWriter out(items);
      const std::uint32_t count = pull(out, static_cast<std::uint32_t>(chunksize));
      if (count == 0) break;
      auto record = detail::make_record<R>(*engine_, ref.entry(), queue_, std::move(items), count);
      parts.push_back(std::static_pointer_cast<detail::ResultState<R>>(record.state));
      engine_->submit(std::move(record));
    }
    auto group = detail::GroupState<R>::of(std::move(parts));
    auto* raw = group.get();
    add_callbacks<Values>(
        *group, [raw]() -> Values& { return raw->values(); }, std::move(callback),
        std::move(error_callback));
    return AsyncResult<Values>(
        group, [group]() -> Values& { return group->values(); }, engine_);
  }

  /// No more tasks may be submitted.
  void close() {
    closed_ = true;
    engine_->close_queue(*queue_);
  }
  /// Waits for every submitted task; call close() or terminate() first.
  void join() {
    if (!closed_) throw Error("Pool::join() called while the pool is still open: close() first");
    engine_->wait_until([this] { return queue_->outstanding() == 0; }, std::nullopt);
  }
  /// Stops at once: pending tasks fail with BrokenPool, as do running ones (whose results are
  /// dropped when they arrive).
  void terminate() {
    closed_ = true;
    engine_->terminate(*queue_, std::make_exception_ptr(BrokenPool("the pool was terminated")));
    engine_->close_queue(*queue_);
  }

 private:
  void check_running() const {
    if (closed_) throw BrokenPool("the pool is closed: no new tasks can be submitted");
  }

  template <class Range>
  std::size_t default_chunksize(const Range& inputs, std::size_t requested) const {
    if (requested > 0) return requested;
    const auto total = detail::size_if_known(inputs);
    if (!total || *total == 0) return 1;
    const std::size_t workers = 4 * static_cast<std::size_t>(slots());
    return (*total + workers - 1) / workers;
  }

  int slots() const {
    const int all = engine_->worker_slots();
    return processes_ > 0 ? std::min(processes_, all) : all;
  }

  template <bool Star, class Task, class Range>
  auto map_all(const Task& task, Range&& inputs, MapOptions options) {
    const std::size_t chunksize = default_chunksize(inputs, options.chunksize);
    return stream<Star>(task, std::forward<Range>(inputs), chunksize, std::move(options),
                        detail::StreamOrder::input)
        .to_vector();
  }

  template <bool Star, class Task, class Range>
  auto stream(const Task& task, Range&& inputs, std::size_t chunksize, MapOptions options,
              detail::StreamOrder order) {
    check_running();
    return detail::open_map<Star>(*engine_, queue_, task, std::forward<Range>(inputs), chunksize,
                                  std::move(options), order);
  }

  template <class R, class... P, class... A>
  static void append_initializer(detail::ByteWriter& out, const TaskRef<R(P...)>&,
                                 A&&... initargs) {
    detail::append_item<P...>(out, std::forward<A>(initargs)...);
  }

  template <class Value>
  static void add_callbacks(detail::TaskState& state, std::function<Value&()> value,
                            std::function<void(const Value&)> callback,
                            ErrorCallback error_callback) {
    if (!callback && !error_callback) return;
    state.on_done([value = std::move(value), callback = std::move(callback),
                   error_callback = std::move(error_callback)] {
      const Value* v = nullptr;
      try {
        v = &value();
      } catch (const std::exception& e) {
        if (error_callback) error_callback(e);
        return;
      }
      if (callback) callback(*v);
    });
  }

  detail::DriverEngine* engine_;
  std::shared_ptr<detail::SubmissionQueue> queue_;
  int processes_;
  std::atomic<bool> closed_{false};
};

}  // namespace multirank
