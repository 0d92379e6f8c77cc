// Executor: concurrent.futures' ProcessPoolExecutor over MPI ranks.
#pragma once

#include <atomic>
#include <memory>
#include <utility>

#include "multirank/detail/result_stream.hpp"
#include "multirank/detail/runtime_access.hpp"
#include "multirank/detail/submission.hpp"
#include "multirank/future.hpp"
#include "multirank/map_options.hpp"
#include "multirank/progress.hpp"
#include "multirank/runtime.hpp"
#include "multirank/task.hpp"

namespace multirank {

/// Runs tasks on the job's worker ranks (and on the driver, when it has a core to spare).
///
/// @code
///   int square(int x) { return x * x; }
///   MULTIRANK_TASK(square);
///   ...
///   multirank::Executor executor;                    // all ranks
///   auto future = executor.submit(square, 7);
///   for (int y : executor.map(square, std::vector{1, 2, 3})) std::cout << y << "\n";
/// @endcode
/// The destructor calls shutdown(true). Thread safety: submit and map may be called from any
/// driver thread, including from done-callbacks.
class Executor {
 public:
  /// `max_workers` caps how many worker slots run this executor's tasks (0: all).
  explicit Executor(int max_workers = 0) : Executor(Runtime::current(), max_workers) {}
  /// An executor on `runtime`'s ranks (the default constructor uses Runtime::current()).
  Executor(Runtime& runtime, int max_workers)
      : engine_(&detail::RuntimeAccess::engine(runtime)),
        queue_(engine_->open_queue(max_workers)),
        max_workers_(max_workers) {}
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
  ~Executor() {
    if (!shut_down_) shutdown(true, false);
  }
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Schedules `task(arguments...)`; `task` is a registered function or a TaskRef.
  template <class Task, class... A>
  auto submit(const Task& task, A&&... arguments) {
    using R = detail::task_result_t<Task>;
    check_open();
    auto state =
        detail::submit_call(*engine_, queue_, detail::as_task(task), std::forward<A>(arguments)...);
    return Future<R>(std::move(state), engine_);
  }

  /// `task` applied to every element of `inputs`, results in input order. Lazy: inputs are read
  /// and submitted as the results are consumed, at most `max_in_flight` chunks ahead.
  template <class Task, class Range>
  auto map(const Task& task, Range&& inputs, MapOptions options = {}) {
    return map_impl<false>(task, std::forward<Range>(inputs), std::move(options));
  }

  /// Like map, but each element is a tuple of arguments.
  template <class Task, class Range>
  auto starmap(const Task& task, Range&& inputs, MapOptions options = {}) {
    return map_impl<true>(task, std::forward<Range>(inputs), std::move(options));
  }

  /// No new tasks; with `cancel_futures`, tasks not yet started are cancelled; with `wait`, returns
  /// when every task of this executor has finished.
  void shutdown(bool wait = true, bool cancel_futures = false) {
    shut_down_ = true;
    if (cancel_futures) engine_->cancel_pending(*queue_);
    engine_->close_queue(*queue_);
    if (wait) engine_->wait_until([this] { return queue_->outstanding() == 0; }, std::nullopt);
  }

  /// Worker slots this executor may use.
  int max_workers() const {
    const int slots = engine_->worker_slots();
    return max_workers_ > 0 ? std::min(max_workers_, slots) : slots;
  }

 private:
  void check_open() const {
    if (shut_down_) throw BrokenPool("cannot schedule new tasks after the executor was shut down");
  }

  template <bool Star, class Task, class Range>
  auto map_impl(const Task& task, Range&& inputs, MapOptions options) {
    check_open();
    return detail::open_map<Star>(*engine_, queue_, task, std::forward<Range>(inputs),
                                  std::max<std::size_t>(1, options.chunksize), std::move(options),
                                  detail::StreamOrder::input);
  }

  detail::DriverEngine* engine_;
  std::shared_ptr<detail::SubmissionQueue> queue_;
  int max_workers_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace multirank
