// The driver's scheduler and progress engine. Executors and pools put task records into their
// submission queues; the engine hands them to workers with a window of records in flight per
// worker (self-scheduling without a round trip between tasks), receives results, and completes
// the futures. MPI calls are made under one lock by whichever thread is waiting on a result, or by
// a background thread when nobody waits, so a waiting user thread sees its result without a
// thread wake-up in between. Its parts: the dispatch policy (dispatch_policy.hpp), worker liveness
// (worker_watch.hpp), task timeouts (driver_task_timeouts.cpp), SIGINT/SIGTERM
// (driver_interruption.cpp) and the driver's own worker thread (local_worker.cpp). With the
// dispatch tree, what goes to the ranks behind a node's relay travels in one envelope per relay
// and round, and their results come back in envelopes; each record is tracked as without it.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/backoff.hpp"
#include "engine/dispatch_policy.hpp"
#include "engine/worker_watch.hpp"
#include "multirank/detail/driver_engine.hpp"
#include "multirank/options.hpp"
#include "wire/communicator.hpp"
#include "wire/transport.hpp"

namespace multirank::detail {

class ProfileRecorder;

/// Work the engine does for others on its progress rounds: the shared-object host answers the
/// messages the scheduler does not know, and sends its replies, with the engine's lock held.
class EngineExtension {
 public:
  virtual ~EngineExtension() = default;
  /// A message of a kind the scheduler does not handle; false if this extension does not either.
  virtual bool on_message(Message& message, Transport& transport) = 0;
  /// Called on every progress round; true if it did anything.
  virtual bool poll(Transport& transport) = 0;
  /// Worker rank `rank` is gone: what ran there (processes) ended with it.
  virtual void on_rank_lost(int rank) = 0;
  /// The job was interrupted by `signal`, before the engine stops its work.
  virtual void on_interrupt(int /*signal*/) {}
};

/// A millisecond-grained clock that costs a few nanoseconds, for time stamps taken on every
/// submit.
inline std::int64_t coarse_now_ns() noexcept {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

/// The wire header of `record`.
TaskRecordHeader task_header(const TaskRecord& record);
/// Appends `record` as a task record (header and items), as worker ranks receive it.
void append_task_record(ByteWriter& out, const TaskRecord& record);

/// Whether the driver rank runs tasks on a worker thread of its own (RuntimeOptions::driver_works;
/// automatic: alone, or where the node has a core per rank).
bool driver_runs_tasks(const Communicator& comm, const RuntimeOptions& options);

class ProgressEngine final : public DriverEngine {
 public:
  /// With a `recorder`, the engine and the driver's worker thread log to it (profiling).
  ProgressEngine(const Communicator& comm, const RuntimeOptions& options,
                 ProfileRecorder* recorder = nullptr);
  ~ProgressEngine() override;
  ProgressEngine(const ProgressEngine&) = delete;
  ProgressEngine& operator=(const ProgressEngine&) = delete;

  // DriverEngine: what the executors ask of it.
  std::shared_ptr<SubmissionQueue> open_queue(int max_workers) override;
  void set_task_timeout(SubmissionQueue& queue, std::chrono::milliseconds timeout) override {
    queue.set_task_timeout(timeout);
    if (timeout.count() > 0) task_timeouts_used_.store(true, std::memory_order_release);
  }
  void set_initializer(SubmissionQueue& queue, TaskRecord initializer) override;
  void submit(TaskRecord record) override;
  bool cancel_pending(SubmissionQueue& queue) override;
  void close_queue(SubmissionQueue& queue) override;
  void terminate(SubmissionQueue& queue, std::exception_ptr error) override;
  bool wait_until(const std::function<bool()>& ready, Deadline deadline) override;
  int worker_slots() const noexcept override { return static_cast<int>(slots_.size()); }

  /// Hands the engine an extension to call on every progress round (nullptr: none).
  void attach(EngineExtension* extension) {
    extension_.store(extension, std::memory_order_release);
  }
  /// Lets the extension send what it has queued now, if no other thread is driving progress (that
  /// thread will do it); never runs completions.
  void poke();

  /// Runs `call` with the engine's communicator while no other thread of this rank makes MPI
  /// calls (the job runs MPI_THREAD_SERIALIZED): for tests that put hand-made bytes on the wire.
  void with_communicator(const std::function<void(MPI_Comm)>& call) {
    std::lock_guard lock(engine_mutex_);
    call(comm_.get());
  }

  const std::string& host_of(int rank) const { return comm_.hosts().at(rank); }
  /// Worker ranks taken for lost so far; from any thread.
  int lost_worker_ranks() const noexcept {
    return comm_.size() - 1 - live_remote_.load(std::memory_order_acquire);
  }

  /// Waits for all outstanding work, then stops every worker rank and the engine's threads.
  void shutdown();

  /// The signal (SIGINT, SIGTERM) that interrupted the job, or 0. From then on nothing new is
  /// dispatched, what was not started fails with Interrupted, and running tasks have
  /// RuntimeOptions::grace to finish before the job ends without them (driver_interruption.cpp).
  int interrupted_by() const noexcept { return interrupted_by_.load(std::memory_order_acquire); }

 private:
  /// A record handed to a slot, kept whole (its items too) to run it again elsewhere if the rank
  /// is lost.
  struct InFlight : TaskRecord {
    double estimate_ns = 0;  // expected run time when it was handed out
  };
  struct WorkerSlot {
    int rank;  // the rank that runs the slot's tasks (0 for the local worker)
    std::deque<InFlight> in_flight;
    Load load;
    bool lost = false;  // the rank died or fell silent: nothing more goes there
    // Task timeouts (driver_task_timeouts.cpp): the record at the front of in_flight runs, since
    // about front_since; a timed-out one still running keeps the slot out of dispatch.
    std::uint64_t front_id = 0;
    Clock::time_point front_since{};
    std::uint64_t stuck_task = 0;
  };
  struct LocalResult {
    InFlight record;
    std::vector<char> result;  // one result record
  };
  using Completed =
      std::vector<std::pair<std::shared_ptr<TaskState>, std::shared_ptr<SubmissionQueue>>>;

  bool progress();  // one round: sends, receives, local results, dispatch
  bool receive_messages();
  /// One received message: results, a heartbeat, an envelope from a node's relay (each message
  /// in it handled as if its rank had sent it), or what an extension handles.
  void handle_message(Message& message);
  void handle_results(const Message& message);
  /// A relay says the process of `message.source`, a rank of its node, is gone.
  void handle_rank_gone(const Message& message);
  /// Whether `rank` talks to the driver through a relay of its node (not being one itself): the
  /// relay watches it, and its tasks travel in the relay's envelope.
  bool behind_relay(int rank) const {
    const int relay = relays_[static_cast<std::size_t>(rank)];
    return relay != 0 && relay != rank;
  }
  /// Sends `message` to worker rank `rank`: directly, or into its relay's envelope, which
  /// send_envelopes posts. Ordered with the rank's other messages either way.
  void send_to_worker(int rank, std::vector<char> message);
  /// Posts every non-empty envelope to its relay; true if any went.
  bool send_envelopes();
  void complete(WorkerSlot& slot, InFlight& record, const ResultRecordHeader& header,
                ByteReader& items);
  /// Hands pending records to slots: one to each idle slot, and with `queue_ahead` (and plenty
  /// pending) more, within each slot's window. True if anything was sent.
  bool dispatch(bool queue_ahead);
  /// Expected run time of `record` from its task's measured item time; negative if unknown.
  /// Caller holds submit_mutex_.
  double estimate_ns(const TaskRecord& record) const {
    return policy_.estimate_ns(record.entry->id, record.item_count);
  }
  /// Enough pending work that queueing ahead cannot leave a slot idle at the end.
  bool plenty_pending() const {
    return DispatchPolicy::plenty_pending(pending_records_.load(std::memory_order_acquire),
                                          slots_.size());
  }
  /// Work to queue ahead on each worker (DispatchPolicy::queue_ahead_target_ns). Caller holds
  /// submit_mutex_.
  double queue_ahead_target_ns() const;
  /// Pops the next runnable record for `slot` (initializer first when due), under submit_mutex_.
  /// Appends the next record runnable on `slot` that fits its `load` to `out` (with the queue's
  /// initializer first when that slot has not run it yet) and adds it to `load`; false when none.
  /// Caller holds submit_mutex_.
  bool take_records_for(int slot, Load& load, const Window& window, std::vector<TaskRecord>& out);
  /// Removes every pending record of `queue`, applying `settle_state` (cancel or fail) to each;
  /// returns the states it changed, whose hooks the caller runs outside the lock.
  template <class SettleState>
  std::vector<std::shared_ptr<TaskState>> drain_pending(SubmissionQueue& queue,
                                                        SettleState settle_state);
  /// A fresh record of the queue's initializer. Caller holds submit_mutex_.
  TaskRecord initializer_record(const std::shared_ptr<SubmissionQueue>& queue);
  static void settle(SubmissionQueue& queue, std::size_t records);
  /// Runs the hooks of completed states, then counts their records as settled.
  static void finish_completed(Completed& completed);
  /// Heartbeats to the worker ranks, and the check that each is still there. Caller holds
  /// engine_mutex_.
  void watch_workers();
  /// Takes rank `slot`'s worker for lost: its tasks run again elsewhere (or fail with
  /// WorkerLost once out of retries). Caller holds engine_mutex_.
  void lose_worker(std::size_t slot, const std::string& reason);
  /// lose_worker's part for one rank, without the look at whether any worker rank is left.
  void lose_one_worker(std::size_t slot, const std::string& reason);
  /// Puts `record` back at the front of its queue, to run as attempt `attempts`. Caller holds
  /// submit_mutex_.
  void requeue(InFlight& record, std::uint32_t attempts);
  /// The records in flight on a lost slot: each runs again or, out of retries, fails with
  /// WorkerLost. Returns how many of each. Caller holds engine_mutex_.
  std::pair<std::size_t, std::size_t> run_lost_window_again(WorkerSlot& slot);
  /// Once every worker rank is lost (`last_rank` the last, for `reason`): fails the tasks lost
  /// with them, then the driver runs the rest itself or, if it may not, every queue breaks.
  /// Caller holds engine_mutex_.
  void go_on_without_worker_ranks(int last_rank, const std::string& reason);
  /// The WorkerLost error of a task lost with `lost_with`, saying what became of it.
  std::exception_ptr worker_lost(std::uint64_t task_id, const TaskEntry& entry, std::uint32_t items,
                                 std::size_t bytes, const std::vector<int>& lost_with,
                                 const std::string& outcome) const;
  /// Fails every pending record that was running when a rank was lost with WorkerLost saying
  /// `outcome` (hooks run on the next progress round); returns how many. Caller holds
  /// submit_mutex_.
  std::size_t fail_suspects(const std::string& outcome);
  /// Breaks every queue with `error` and fails their pending records with it (hooks run on the
  /// next progress round); returns how many. Caller holds submit_mutex_.
  std::size_t break_all_queues(const std::exception_ptr& error);
  /// Notices a received SIGINT/SIGTERM and, once the grace is over, ends the job if tasks still
  /// run. Returns the states it failed, whose hooks the caller runs outside the lock. Caller
  /// holds engine_mutex_.
  std::vector<std::shared_ptr<TaskState>> check_interrupt();
  std::vector<std::shared_ptr<TaskState>> begin_interrupt(int signal);
  [[noreturn]] void abandon_running(int signal);
  /// Fails tasks that run past their queue's task_timeout with TaskTimeout, moves the rest of
  /// that slot's window to other slots, and keeps the slot out until the task returns. Appends
  /// the states to run hooks for (settled when their late result comes) to `failed`. Caller holds
  /// engine_mutex_.
  void watch_task_timeouts(std::vector<std::shared_ptr<TaskState>>& failed);
  /// Whether the record `running` at the front of `slot` has run past its queue's task_timeout
  /// (then `limit` says which); a record newly at the front starts its clock here.
  bool front_overdue(WorkerSlot& slot, const InFlight& running, Clock::time_point now,
                     std::chrono::milliseconds& limit) const;
  /// The driver's own thread: its overdue task fails (to `failed`), nothing moves.
  void time_out_local_task(Clock::time_point now, std::vector<std::shared_ptr<TaskState>>& failed);
  /// Worker slot `index`: its overdue task fails, the rest of its window goes back to the queues.
  void time_out_slot(std::size_t index, std::chrono::milliseconds limit);
  /// A result of a task that timed out on `slot`: the slot takes work again. True if it was one.
  bool rejoin_after_timeout(WorkerSlot& slot, std::uint64_t task_id);
  void local_worker_main();
  void background_main();
  bool all_idle();
  /// A message moved or a task finished: the activity clock the driver's waits nap by.
  void note_activity() noexcept { activity_.mark(Clock::now(), 8 * wait_policy_.max_nap); }

  const Communicator& comm_;
  RuntimeOptions options_;
  WaitPolicy wait_policy_;
  Transport transport_;

  std::mutex engine_mutex_;  // MPI calls, slots_, completed_
  std::vector<WorkerSlot> slots_;
  std::vector<std::unique_ptr<MessageBuilder>> outboxes_;  // one per remote slot, reused
  std::vector<int> relays_;  // per rank, its relay (Communicator::relays); 0: direct
  std::vector<std::unique_ptr<MessageBuilder>> envelopes_;  // per rank, made for relays only
  std::vector<int> relay_ranks_;                            // the ranks that relay, lowest first
  int local_slot_ = -1;
  Completed completed_;
  std::size_t dispatch_cursor_ = 0;

  std::mutex submit_mutex_;  // the queues' pending records
  std::vector<std::shared_ptr<SubmissionQueue>> queues_;
  std::size_t queue_cursor_ = 0;
  Completed failed_before_dispatch_;  // records of broken queues; guarded by submit_mutex_
  std::atomic<bool> has_failed_before_dispatch_{false};
  std::atomic<std::size_t> pending_records_{0};

  std::mutex local_results_mutex_;
  std::vector<LocalResult> local_results_;
  std::atomic<bool> local_results_ready_{false};
  std::vector<InFlight> local_running_;  // guarded by submit_mutex_
  // Its measurements are added under engine_mutex_, its estimates read under submit_mutex_, and
  // folded from one into the other under both.
  DispatchPolicy policy_;

  std::atomic<EngineExtension*> extension_{nullptr};
  WorkerWatch watch_;                // engine_mutex_
  std::atomic<int> live_remote_{0};  // worker ranks not lost
  std::atomic<int> waiters_{0};
  ActivityClock activity_;  // messages moved or tasks finished, by any of the engine's threads
  std::atomic<std::int64_t> last_submit_{0};  // coarse clock
  std::atomic<bool> stopping_{false};
  std::atomic<int> interrupted_by_{0};
  std::atomic<bool> task_timeouts_used_{false};  // some queue (or the Runtime) sets a limit
  std::exception_ptr interrupt_error_;           // written once, before interrupted_by_
  Clock::time_point grace_end_{};                // engine_mutex_
  std::thread local_worker_;
  std::thread background_;
  // The background thread naps on this between its rare checks, so that shutdown wakes it at
  // once instead of waiting out a nap (up to 10 x max_nap: 50 ms in the grayscale app).
  std::mutex background_nap_mutex_;
  std::condition_variable background_nap_;
  ProfileRecorder* recorder_ = nullptr;
};

/// The engine of the process's Runtime (an Error if there is none).
ProgressEngine& progress_engine_of_runtime();

}  // namespace multirank::detail
