// Future, the result of a task that may still be running, and the free functions that wait on
// several futures: as_completed and wait, as in concurrent.futures.
#pragma once

#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "multirank/detail/driver_engine.hpp"
#include "multirank/detail/task_state.hpp"
#include "multirank/error.hpp"
#include "multirank/fwd.hpp"
#include "multirank/timeout.hpp"

namespace multirank {

/// The eventual result of one task.
///
/// @code
///   multirank::Future<int> f = executor.submit(square, 7);
///   f.add_done_callback([](const multirank::Future<int>& done) { log(done.result()); });
///   int value = f.result(5s);   // throws TimeoutError, RemoteError or CancelledError
/// @endcode
/// Move-only, like Taskflow's futures. Thread safety: all members may be called from any thread
/// of the driver; callbacks run once, on a driver thread, in the order they were added.
template <class T>
class Future {
 public:
  /// The shared state behind the future (internal).
  using State = detail::ResultState<T>;

  Future() = default;
  /// Moves the future (futures are move-only).
  Future(Future&&) noexcept = default;
  /// Moves the future.
  Future& operator=(Future&&) noexcept = default;
  Future(const Future&) = delete;
  Future& operator=(const Future&) = delete;

  /// Whether it refers to a task (false for a default-constructed or moved-from future).
  bool valid() const noexcept { return state_ != nullptr; }
  /// Whether the task has finished, failed or been cancelled.
  bool done() const { return state().done(); }
  /// Whether the task is running on some rank now.
  bool running() const { return state().running(); }
  /// Whether cancel() cancelled it.
  bool cancelled() const { return state().cancelled(); }

  /// Cancels the task if it has not been handed to a worker yet; true if it is cancelled.
  bool cancel() {
    if (state().try_cancel()) {
      state_->run_hooks();
      return true;
    }
    return state_->cancelled();
  }

  /// The task's value, waiting up to `timeout`. Rethrows the task's error as a RemoteError;
  /// CancelledError if it was cancelled; TimeoutError if it is still running after `timeout`.
  decltype(auto) result(Timeout timeout = {}) const {
    wait_done(timeout);
    if constexpr (std::is_void_v<T>) {
      state_->value(0);
    } else {
      return static_cast<const T&>(state_->value(0));
    }
  }

  /// The task's error, or null if it succeeded; waits like result().
  std::exception_ptr exception(Timeout timeout = {}) const {
    wait_done(timeout);
    if (state_->cancelled()) throw CancelledError("the task was cancelled before it ran");
    return state_->error(0);
  }

  /// Calls `callback(future)` once when the task is done, on a driver thread; at once, in this
  /// thread, if it already is. An exception from the callback is logged and ignored.
  void add_done_callback(std::function<void(const Future&)> callback) {
    auto shared = state_;
    auto* engine = engine_;
    state().on_done([shared, engine, callback = std::move(callback)] {
      const Future view(shared, engine);
      callback(view);
    });
  }

  /// The shared state, for as_completed, wait and the pool's AsyncResult.
  const std::shared_ptr<State>& shared_state() const noexcept { return state_; }

 private:
  // Made by the Executor that submitted the task, with the engine that completes it.
  friend class Executor;
  Future(std::shared_ptr<State> state, detail::DriverEngine* engine)
      : state_(std::move(state)), engine_(engine) {}

  State& state() const {
    if (!state_) throw Error("this Future has no task (default-constructed or moved from)");
    return *state_;
  }
  void wait_done(const Timeout& timeout) const {
    auto& s = state();
    if (s.done()) return;
    if (!engine_->wait_until([&s] { return s.done(); }, timeout.deadline())) {
      throw TimeoutError("the task did not finish within the timeout");
    }
  }

  std::shared_ptr<State> state_;
  detail::DriverEngine* engine_ = nullptr;
};

namespace detail {
/// Counts completions of a set of states through their hooks, so waiting on many futures costs
/// one check per round instead of a scan of all of them.
struct CompletionLog {
  std::mutex mutex;
  std::deque<std::size_t> order;  // indices in completion order, not yet taken
  std::size_t completed = 0;
  bool any_error = false;

  template <class States>
  static std::shared_ptr<CompletionLog> watch(const States& states) {
    auto log = std::make_shared<CompletionLog>();
    for (std::size_t i = 0; i < states.size(); ++i) {
      auto state = states[i];
      state->on_done([log, i, weak = std::weak_ptr(state)] {
        auto s = weak.lock();
        std::lock_guard lock(log->mutex);
        log->order.push_back(i);
        ++log->completed;
        if (s && s->has_error()) log->any_error = true;
      });
    }
    return log;
  }
};
}  // namespace detail

/// The futures of `futures` as they complete (concurrent.futures.as_completed). Iterating yields
/// references into `futures`, which must outlive the iteration; TimeoutError if `timeout` passes
/// (measured from this call) before all are done.
///
/// @code
///   for (auto& f : multirank::as_completed(futures)) std::cout << f.result() << "\n";
/// @endcode
template <class T>
class AsCompleted {
 public:
  /// Yields `futures` as they complete; TimeoutError when `timeout` passes first (see
  /// as_completed).
  AsCompleted(std::vector<Future<T>>& futures, Timeout timeout)
      : futures_(&futures), deadline_(timeout.deadline()) {
    std::vector<std::shared_ptr<detail::TaskState>> states;
    for (auto& f : futures) states.push_back(f.shared_state());
    log_ = detail::CompletionLog::watch(states);
    engine_ = &detail::driver_engine_of_runtime();
  }

  /// An input iterator over the futures in completion order.
  class iterator {
   public:
    /// What it yields.
    using value_type = Future<T>;
    /// For std::input_iterator.
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    /// The first future to complete (waits for it).
    explicit iterator(AsCompleted* owner) : owner_(owner) { advance(); }
    /// The future that completed.
    Future<T>& operator*() const { return (*owner_->futures_)[index_]; }
    /// Waits for the next future to complete.
    iterator& operator++() {
      advance();
      return *this;
    }
    /// Waits for the next future to complete.
    void operator++(int) { advance(); }
    /// Whether both are at the end (or the same position).
    bool operator==(const iterator& other) const { return owner_ == other.owner_; }

   private:
    void advance() {
      if (owner_ == nullptr) return;
      if (owner_->yielded_ == owner_->futures_->size()) {
        owner_ = nullptr;
        return;
      }
      index_ = owner_->next();
    }
    AsCompleted* owner_ = nullptr;
    std::size_t index_ = 0;
  };

  /// Waits for the first future to complete.
  iterator begin() { return iterator(this); }
  /// Past the last future.
  iterator end() { return iterator(); }

 private:
  std::size_t next() {
    auto has_next = [this] {
      std::lock_guard lock(log_->mutex);
      return !log_->order.empty();
    };
    if (!has_next() && !engine_->wait_until(has_next, deadline_)) {
      throw TimeoutError(std::to_string(futures_->size() - yielded_) + " of " +
                         std::to_string(futures_->size()) +
                         " futures were still unfinished at the timeout");
    }
    std::lock_guard lock(log_->mutex);
    const std::size_t index = log_->order.front();
    log_->order.pop_front();
    ++yielded_;
    return index;
  }

  std::vector<Future<T>>* futures_;
  detail::Deadline deadline_;
  std::shared_ptr<detail::CompletionLog> log_;
  detail::DriverEngine* engine_ = nullptr;
  std::size_t yielded_ = 0;
};

template <class T>
AsCompleted<T> as_completed(std::vector<Future<T>>& futures, Timeout timeout = {}) {
  return AsCompleted<T>(futures, timeout);
}

/// When wait() returns, as in concurrent.futures.
enum class ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };

/// Indices into the waited-on futures, split as concurrent.futures.wait splits its sets.
struct WaitResult {
  /// The futures done (finished, failed or cancelled).
  std::vector<std::size_t> done;
  /// The others.
  std::vector<std::size_t> not_done;
};

/// Waits until `return_when` holds or `timeout` passes (no exception on timeout: look at
/// not_done). FIRST_EXCEPTION returns as soon as any future fails, or when all are done.
template <class T>
WaitResult wait(const std::vector<Future<T>>& futures, Timeout timeout = {},
                ReturnWhen return_when = ReturnWhen::ALL_COMPLETED) {
  std::vector<std::shared_ptr<detail::TaskState>> states;
  for (const auto& f : futures) states.push_back(f.shared_state());
  auto log = detail::CompletionLog::watch(states);
  auto satisfied = [&] {
    std::lock_guard lock(log->mutex);
    switch (return_when) {
      case ReturnWhen::FIRST_COMPLETED:
        return log->completed > 0 || futures.empty();
      case ReturnWhen::FIRST_EXCEPTION:
        return log->any_error || log->completed == futures.size();
      case ReturnWhen::ALL_COMPLETED:
        break;
    }
    return log->completed == futures.size();
  };
  if (!futures.empty())
    detail::driver_engine_of_runtime().wait_until(satisfied, timeout.deadline());
  WaitResult result;
  for (std::size_t i = 0; i < futures.size(); ++i) {
    (futures[i].done() ? result.done : result.not_done).push_back(i);
  }
  return result;
}

}  // namespace multirank
