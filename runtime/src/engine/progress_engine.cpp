// Scheduling and progress on the driver rank.
#include "engine/progress_engine.hpp"

#include <mpi.h>
#include <spdlog/spdlog.h>

#include <time.h>

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>

#include "recording/profile_recorder.hpp"
#include "tasks/task_execution.hpp"

namespace multirank::detail {

namespace {
constexpr std::int64_t quiet_before_callbacks_ns = 5'000'000;

/// A millisecond-grained clock that costs a few nanoseconds, for time stamps taken on every
/// submit.
std::int64_t coarse_now_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}
}  // namespace

TaskRecordHeader task_header(const TaskRecord& record) {
  return TaskRecordHeader{
      record.id,          record.entry->id,  record.entry->args_signature,
      record.queue->id(), record.item_count, record.initializer ? task_flag_initializer : 0u,
      record.items.size()};
}

void append_task_record(ByteWriter& out, const TaskRecord& record) {
  out.make_room(sizeof(TaskRecordHeader) + record.items.size());
  out.write_pod(task_header(record));
  out.write(record.items.data(), record.items.size());
}

ProgressEngine& progress_engine_of_runtime() {
  // The Runtime's engine is always a ProgressEngine; DriverEngine is its face to the executors.
  return static_cast<ProgressEngine&>(driver_engine_of_runtime());
}

bool driver_runs_tasks(const Communicator& comm, const RuntimeOptions& options) {
  const bool core_per_rank =
      static_cast<unsigned>(comm.ranks_on_node()) <= std::thread::hardware_concurrency();
  return comm.size() == 1 || options.driver_works == DriverWorks::always ||
         (options.driver_works == DriverWorks::automatic && core_per_rank);
}

ProgressEngine::ProgressEngine(const Communicator& comm, const RuntimeOptions& options,
                               ProfileRecorder* recorder)
    : comm_(comm),
      options_(options),
      wait_policy_(WaitPolicy::of(options)),
      transport_(comm.get(), options.max_message_bytes),
      policy_(options.window_target, options.max_window_items),
      watch_(comm.size(), options.worker_timeout, Clock::now()),
      recorder_(recorder) {
  transport_.record_to(recorder);
  for (int rank = 1; rank < comm.size(); ++rank) {
    slots_.push_back(WorkerSlot{rank, {}, {}});
    outboxes_.push_back(std::make_unique<MessageBuilder>());
  }
  const bool works = driver_runs_tasks(comm, options);
  last_activity_ = Clock::now().time_since_epoch().count();
  task_timeouts_used_.store(options.task_timeout.count() > 0);
  live_remote_.store(comm.size() - 1);
  if (works) {
    local_slot_ = static_cast<int>(slots_.size());
    slots_.push_back(WorkerSlot{0, {}, {}});
    local_worker_ = std::thread([this] { local_worker_main(); });
  }
  background_ = std::thread([this] { background_main(); });
}

ProgressEngine::~ProgressEngine() {
  try {
    shutdown();
  } catch (const std::exception& e) {
    spdlog::error("multirank: shutting the driver down failed: {}", e.what());
  }
}

std::shared_ptr<SubmissionQueue> ProgressEngine::open_queue(int max_workers) {
  auto queue = std::make_shared<SubmissionQueue>(next_task_id(), max_workers);
  std::lock_guard lock(submit_mutex_);
  queue->initialized_slots_.assign(slots_.size(), false);
  queues_.push_back(queue);
  return queue;
}

void ProgressEngine::set_initializer(SubmissionQueue& queue, TaskRecord initializer) {
  // The queue keeps this record: holding the queue in it too would be a cycle that never frees
  // either (initializer_record() hands each copy its queue).
  initializer.queue.reset();
  std::lock_guard lock(submit_mutex_);
  queue.initializer_ = std::move(initializer);
}

void ProgressEngine::submit(TaskRecord record) {
  SubmissionQueue& queue = *record.queue;
  if (auto broken = queue.broken()) std::rethrow_exception(broken);
  queue.outstanding_.fetch_add(1, std::memory_order_acq_rel);
  {
    std::lock_guard lock(submit_mutex_);
    queue.pending_.push_back(std::move(record));
  }
  pending_records_.fetch_add(1, std::memory_order_release);
  last_submit_.store(coarse_now_ns(), std::memory_order_relaxed);
  // Hand it to an idle slot now if the engine is free. Queueing ahead is left to the next
  // progress round, which batches many records into one message; completions too wait for a
  // thread that waits (or the background thread), so a callback never runs inside submit().
  std::unique_lock engine(engine_mutex_, std::try_to_lock);
  if (engine.owns_lock()) dispatch(false);
}

template <class SettleState>
std::vector<std::shared_ptr<TaskState>> ProgressEngine::drain_pending(SubmissionQueue& queue,
                                                                      SettleState settle_state) {
  std::vector<std::shared_ptr<TaskState>> changed;
  for (auto& record : queue.pending_) {
    if (settle_state(*record.state)) changed.push_back(record.state);
  }
  pending_records_.fetch_sub(queue.pending_.size(), std::memory_order_acq_rel);
  settle(queue, queue.pending_.size());
  queue.pending_.clear();
  return changed;
}

bool ProgressEngine::cancel_pending(SubmissionQueue& queue) {
  std::vector<std::shared_ptr<TaskState>> cancelled;
  {
    std::lock_guard lock(submit_mutex_);
    cancelled = drain_pending(queue, [](TaskState& state) { return state.try_cancel(); });
  }
  for (auto& state : cancelled) state->run_hooks();
  return !cancelled.empty();
}

void ProgressEngine::close_queue(SubmissionQueue& queue) {
  std::lock_guard lock(submit_mutex_);
  queue.closed_ = true;
}

void ProgressEngine::terminate(SubmissionQueue& queue, std::exception_ptr error) {
  queue.break_with(error);
  std::vector<std::shared_ptr<TaskState>> failed;
  {
    std::lock_guard lock(submit_mutex_);
    failed = drain_pending(queue, [&](TaskState& state) { return state.fail(error); });
    for (auto& record : local_running_) {
      if (record.queue.get() == &queue && record.state->fail(error)) failed.push_back(record.state);
    }
  }
  {
    // Running records stay in flight: their results are dropped when they arrive.
    std::lock_guard lock(engine_mutex_);
    for (auto& slot : slots_) {
      for (auto& record : slot.in_flight) {
        if (record.queue.get() == &queue && record.state->fail(error))
          failed.push_back(record.state);
      }
    }
  }
  for (auto& state : failed) state->run_hooks();
}

bool ProgressEngine::wait_until(const std::function<bool()>& ready, Deadline deadline) {
  if (ready()) return true;
  waiters_.fetch_add(1, std::memory_order_acq_rel);
  struct Leave {
    std::atomic<int>& waiters;
    ~Leave() { waiters.fetch_sub(1, std::memory_order_acq_rel); }
  } leave{waiters_};
  Backoff backoff(wait_policy_);
  while (true) {
    const bool progressed = progress();
    if (ready()) return true;
    if (deadline && Clock::now() >= *deadline) return false;
    if (progressed) {
      backoff.reset();
    } else {
      backoff.saw_activity(Clock::time_point(Clock::duration(last_activity_.load())));
      backoff.pause();
    }
  }
}

void ProgressEngine::poke() {
  std::unique_lock engine(engine_mutex_, std::try_to_lock);
  if (!engine.owns_lock()) return;
  transport_.progress_sends();
  if (auto* extension = extension_.load(std::memory_order_acquire)) extension->poll(transport_);
}

bool ProgressEngine::progress() {
  std::unique_lock engine(engine_mutex_, std::try_to_lock);
  if (!engine.owns_lock()) return false;
  bool progressed = transport_.progress_sends();
  progressed |= receive_messages();
  watch_workers();
  auto failed_in_flight = check_interrupt();
  watch_task_timeouts(failed_in_flight);
  if (local_results_ready_.exchange(false, std::memory_order_acq_rel)) {
    std::vector<LocalResult> results;
    {
      std::lock_guard lock(local_results_mutex_);
      results.swap(local_results_);
    }
    for (auto& result : results) {
      ByteReader in(result.result);
      const auto [header, item_bytes] = read_result_record(in);
      ByteReader items(item_bytes);
      complete(slots_[static_cast<std::size_t>(local_slot_)], result.record, header, items);
    }
    progressed = true;
  }
  if (policy_.has_measurements()) {
    std::lock_guard lock(submit_mutex_);
    policy_.fold_measurements();
  }
  progressed |= dispatch(true);
  if (recorder_ != nullptr) {
    recorder_->sample_queue([this] {
      std::size_t running = 0;
      {
        std::lock_guard lock(submit_mutex_);  // a sample at most every millisecond
        running = local_running_.size();
      }
      for (const auto& slot : slots_) running += slot.in_flight.size();
      return std::pair{pending_records_.load(std::memory_order_relaxed), running};
    });
  }
  if (auto* extension = extension_.load(std::memory_order_acquire)) {
    progressed |= extension->poll(transport_);
  }
  Completed completed;
  completed.swap(completed_);
  if (has_failed_before_dispatch_.exchange(false, std::memory_order_acq_rel)) {
    std::lock_guard lock(submit_mutex_);
    completed.insert(completed.end(), std::make_move_iterator(failed_before_dispatch_.begin()),
                     std::make_move_iterator(failed_before_dispatch_.end()));
    failed_before_dispatch_.clear();
  }
  engine.unlock();
  if (progressed) last_activity_.store(Clock::now().time_since_epoch().count());
  finish_completed(completed);
  for (auto& state : failed_in_flight) state->run_hooks();
  return progressed;
}

bool ProgressEngine::receive_messages() {
  bool received = false;
  // Bounded, so a flood of results cannot starve dispatching.
  for (int i = 0; i < 64; ++i) {
    auto message = transport_.poll();
    if (!message) break;
    received = true;
    watch_.heard_from(message->source, Clock::now());
    if (message->kind == MessageKind::heartbeat) continue;
    try {
      if (message->kind == MessageKind::results) {
        handle_results(*message);
      } else if (auto* extension = extension_.load(std::memory_order_acquire);
                 extension != nullptr && extension->on_message(*message, transport_)) {
      } else {
        spdlog::error("multirank driver: unexpected message kind {} from rank {}",
                      static_cast<int>(message->kind), message->source);
      }
    } catch (const DecodeError& e) {
      // What names a task has failed that task already; this is what names none.
      spdlog::error(
          "multirank driver: dropped the rest of a garbled message of kind {} from rank {}: {}",
          static_cast<int>(message->kind), message->source, e.what());
    }
  }
  return received;
}

void ProgressEngine::handle_results(const Message& message) {
  WorkerSlot& slot = slots_.at(static_cast<std::size_t>(message.source - 1));
  if (slot.lost) return;  // taken for lost and its work given to others: late results are moot
  ByteReader in(message.body());
  for (std::uint32_t i = 0; i < message.record_count; ++i) {
    const auto [header, item_bytes] = read_result_record(in);
    ByteReader items(item_bytes);
    // Workers run their records in order, so the answer is almost always the oldest one.
    auto it = std::find_if(slot.in_flight.begin(), slot.in_flight.end(),
                           [&](const InFlight& record) { return record.id == header.task_id; });
    if (it == slot.in_flight.end()) {
      if (rejoin_after_timeout(slot, header.task_id)) continue;
      spdlog::error("multirank driver: rank {} returned task {} which it was not running",
                    message.source, header.task_id);
      continue;
    }
    InFlight record = std::move(*it);
    slot.in_flight.erase(it);
    slot.load.records -= 1;
    slot.load.items -= record.item_count;
    slot.load.estimate_ns = std::max(0.0, slot.load.estimate_ns - record.estimate_ns);
    complete(slot, record, header, items);
  }
}

void ProgressEngine::complete(WorkerSlot& slot, InFlight& record, const ResultRecordHeader& header,
                              ByteReader& items) {
  const Origin origin{slot.rank, host_of(slot.rank), record.entry->name};
  if (record.state->complete(items, header.item_count, origin)) {
    completed_.emplace_back(record.state, record.queue);
  } else {
    settle(*record.queue, 1);
  }
  // Scheduling follows each task's measured run time: enough queued work to hide a round trip.
  const double item_ns = static_cast<double>(header.end_ns - header.start_ns) /
                         std::max<std::uint32_t>(1, header.item_count);
  // Folded into the estimates once per progress round: one lock for a whole batch of results.
  policy_.measured(record.entry->id, item_ns);
}

double ProgressEngine::queue_ahead_target_ns() const {
  double pending_ns = 0;
  for (const auto& queue : queues_) {
    if (!queue->pending_.empty()) {
      pending_ns += static_cast<double>(queue->pending_.size()) *
                    std::max(0.0, estimate_ns(queue->pending_.front()));
    }
  }
  return policy_.queue_ahead_target_ns(pending_ns, slots_.size());
}

bool ProgressEngine::dispatch(bool queue_ahead) {
  if (pending_records_.load(std::memory_order_acquire) == 0) return false;
  const std::size_t remote = comm_.size() - 1;
  if (remote == 0) return false;
  std::vector<TaskRecord> taken;
  std::lock_guard lock(submit_mutex_);
  const double target_ns = queue_ahead_target_ns();
  // First every idle slot gets one record; only then, and only while plenty is pending, is work
  // queued ahead. Near the end of the work, the last records go to whichever slot frees first:
  // durations measured on earlier items can be far off (a task that sleeps n seconds).
  for (const bool prefetch : {false, true}) {
    if (prefetch && (!queue_ahead || !plenty_pending())) break;
    // Idle slots are served lowest rank first, so a trickle of work keeps going to the same
    // warm, spinning worker while the others nap; queued-ahead work is spread round robin.
    for (std::size_t k = 0; k < remote; ++k) {
      const std::size_t index = prefetch ? (dispatch_cursor_ + k) % remote : k;
      WorkerSlot& slot = slots_[index];
      if (slot.lost || slot.stuck_task != 0 || (!prefetch && slot.load.records > 0)) continue;
      MessageBuilder& builder = *outboxes_[index];
      const Window window = prefetch ? Window{target_ns, 2} : Window{0, 1};
      while (take_records_for(static_cast<int>(index), slot.load, window, taken)) {
        for (auto& record : taken) {
          append_task_record(builder.writer(), record);
          builder.count_record();
          const double estimate = std::max(0.0, estimate_ns(record));
          slot.in_flight.push_back(InFlight{std::move(record), estimate});
        }
        taken.clear();
      }
    }
  }
  bool sent = false;
  for (std::size_t index = 0; index < remote; ++index) {
    if (outboxes_[index]->empty()) continue;
    transport_.send(slots_[index].rank, outboxes_[index]->finish(MessageKind::tasks));
    sent = true;
  }
  dispatch_cursor_ = (dispatch_cursor_ + 1) % remote;
  return sent;
}

bool ProgressEngine::take_records_for(int slot, Load& load, const Window& window,
                                      std::vector<TaskRecord>& out) {
  const std::size_t count = queues_.size();
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t index = (queue_cursor_ + k) % count;
    auto& queue = queues_[index];
    if (queue->max_workers_ > 0 && slot >= queue->max_workers_) continue;
    while (!queue->pending_.empty()) {
      const TaskRecord& front = queue->pending_.front();
      // A record that was running when its rank was lost goes to another worker rank, never to
      // the driver's own thread (lose_worker fails it once no worker rank is left).
      if (slot == local_slot_ && !front.lost_with.empty()) break;
      const double estimate = estimate_ns(front);
      if (!front.state->cancelled() && !policy_.fits(load, estimate, front.item_count, window)) {
        break;
      }
      TaskRecord record = std::move(queue->pending_.front());
      queue->pending_.pop_front();
      pending_records_.fetch_sub(1, std::memory_order_acq_rel);
      // A record run again after its rank was lost has started already.
      if (record.attempts == 0 && !record.state->try_start()) {  // cancelled while it waited
        settle(*queue, 1);
        continue;
      }
      if (auto broken = queue->broken()) {
        if (record.state->fail(broken)) {
          // Counted and hooked like any completion, by the next progress round.
          failed_before_dispatch_.emplace_back(record.state, record.queue);
          has_failed_before_dispatch_.store(true, std::memory_order_release);
        } else {
          settle(*queue, 1);
        }
        continue;
      }
      queue_cursor_ = (index + 1) % count;
      if (queue->initializer_ && !queue->initialized_slots_[static_cast<std::size_t>(slot)]) {
        queue->initialized_slots_[static_cast<std::size_t>(slot)] = true;
        out.push_back(initializer_record(queue));
        load.records += 1;
        load.items += 1;
      }
      load.records += 1;
      load.items += record.item_count;
      load.estimate_ns += std::max(0.0, estimate);
      out.push_back(std::move(record));
      return true;
    }
  }
  // Drained queues of finished executors are forgotten here.
  std::erase_if(queues_, [](const std::shared_ptr<SubmissionQueue>& queue) {
    return queue->closed_ && queue->pending_.empty() && queue->outstanding() == 0;
  });
  if (queue_cursor_ >= queues_.size()) queue_cursor_ = 0;
  return false;
}

TaskRecord ProgressEngine::initializer_record(const std::shared_ptr<SubmissionQueue>& queue) {
  TaskRecord init;
  init.id = next_task_id();
  init.entry = queue->initializer_->entry;
  init.item_count = 1;
  init.items = queue->initializer_->items;
  init.queue = queue;
  init.initializer = true;
  auto state = std::make_shared<ResultState<void>>(1);
  state->try_start();
  // An initializer that fails breaks the pool: its tasks could not run as intended.
  std::weak_ptr<SubmissionQueue> weak_queue = queue;
  std::weak_ptr<ResultState<void>> weak_state = state;
  state->on_done([weak_queue, weak_state] {
    auto q = weak_queue.lock();
    auto s = weak_state.lock();
    if (q && s && s->error(0)) q->break_with(s->error(0));
  });
  init.state = std::move(state);
  queue->outstanding_.fetch_add(1, std::memory_order_acq_rel);
  return init;
}

void ProgressEngine::settle(SubmissionQueue& queue, std::size_t records) {
  queue.outstanding_.fetch_sub(records, std::memory_order_acq_rel);
}

void ProgressEngine::finish_completed(Completed& completed) {
  for (auto& [state, queue] : completed) {
    state->run_hooks();
    settle(*queue, 1);
  }
}

bool ProgressEngine::all_idle() {
  std::lock_guard lock(submit_mutex_);
  if (pending_records_.load() != 0) return false;
  return std::all_of(queues_.begin(), queues_.end(),
                     [](const auto& queue) { return queue->outstanding() == 0; });
}

void ProgressEngine::background_main() {
  // While a user thread waits (and so drives progress), this thread only checks in rarely.
  const auto idle_nap = wait_policy_.max_nap;
  const auto covered_nap = 10 * wait_policy_.max_nap;
  for (;;) {
    {
      std::unique_lock lock(background_nap_mutex_);
      const auto nap = waiters_.load(std::memory_order_acquire) > 0 ? covered_nap : idle_nap;
      if (background_nap_.wait_for(lock, nap,
                                   [this] { return stopping_.load(std::memory_order_acquire); })) {
        return;
      }
    }
    // Only for liveness while the user's threads are busy elsewhere: a waiting thread drives
    // progress itself, with lower latency than a wake-up would give, and a thread that has just
    // submitted is left to finish what it is doing before callbacks fire (as in Python, where
    // "All tasks submitted" prints before the first callback).
    if (waiters_.load(std::memory_order_acquire) > 0) continue;
    if (coarse_now_ns() - last_submit_.load(std::memory_order_relaxed) < quiet_before_callbacks_ns)
      continue;
    try {
      while (progress() && waiters_.load(std::memory_order_acquire) == 0) {
      }
    } catch (const std::exception& e) {
      spdlog::critical("multirank driver: progress failed: {}; aborting the job", e.what());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
}

void ProgressEngine::shutdown() {
  if (stopping_.load()) return;
  wait_until([this] { return all_idle(); }, std::nullopt);
  {
    std::lock_guard lock(background_nap_mutex_);
    stopping_.store(true, std::memory_order_release);
  }
  background_nap_.notify_all();
  if (background_.joinable()) background_.join();
  if (local_worker_.joinable()) local_worker_.join();
  std::lock_guard engine(engine_mutex_);
  for (std::size_t index = 0; index + 1 < static_cast<std::size_t>(comm_.size()); ++index) {
    if (!slots_[index].lost) {
      transport_.send_signal(slots_[index].rank,
                             lost_workers() > 0 ? MessageKind::stop_after_loss : MessageKind::stop);
    }
  }
  Backoff backoff(wait_policy_);
  while (transport_.sends_pending()) {
    if (transport_.progress_sends()) {
      backoff.reset();
    } else {
      backoff.pause();
    }
  }
}

void ProgressEngine::watch_workers() {
  const std::size_t remote = static_cast<std::size_t>(comm_.size()) - 1;
  if (remote == 0) return;
  const auto now = Clock::now();
  if (watch_.heartbeats_due(now)) {
    // Workers watch the driver the same way.
    for (std::size_t index = 0; index < remote; ++index) {
      if (!slots_[index].lost) transport_.send_signal(slots_[index].rank, MessageKind::heartbeat);
    }
  }
  if (!watch_.check_due(now)) return;
  for (std::size_t index = 0; index < remote; ++index) {
    const int rank = slots_[index].rank;
    if (slots_[index].lost) continue;
    if (comm_.process_gone(rank)) {
      lose_worker(index, fmt::format("its process {} is gone",
                                     comm_.pids()[static_cast<std::size_t>(rank)]));
    } else if (!comm_.on_my_node(rank) && watch_.silent(rank, now) &&
               !transport_.sending_to(rank)) {
      // Silence only counts against ranks on other nodes, whose processes cannot be looked at:
      // a node-mate that is alive but silent is starved of CPU by an overloaded node (seen here
      // at a load of 12 on 2 cores), not dead. A long transfer to it is a sign of life too.
      lose_worker(index, fmt::format("nothing heard from it for {} s (MULTIRANK_WORKER_TIMEOUT_S)",
                                     watch_.timeout().count()));
    }
  }
}

void ProgressEngine::lose_worker(std::size_t index, const std::string& reason) {
  WorkerSlot& slot = slots_[index];
  slot.lost = true;
  transport_.abandon(slot.rank);
  const auto [again, failed] = run_lost_window_again(slot);
  slot.in_flight.clear();
  slot.load = Load{};
  spdlog::error(
      "multirank: worker rank {} ({}) is lost: {}; {} task(s) run again elsewhere, {} failed",
      slot.rank, host_of(slot.rank), reason, again, failed);
  if (auto* extension = extension_.load(std::memory_order_acquire))
    extension->on_rank_lost(slot.rank);

  live_remote_.fetch_sub(1, std::memory_order_acq_rel);
  if (std::any_of(slots_.begin(), slots_.end(),
                  [](const WorkerSlot& s) { return s.rank != 0 && !s.lost; })) {
    return;
  }
  go_on_without_worker_ranks(slot.rank, reason);
}

void ProgressEngine::requeue(InFlight& record, std::uint32_t attempts) {
  auto queue = record.queue;
  TaskRecord again = std::move(record);  // the record as it was handed out, less its estimate
  again.attempts = attempts;
  queue->pending_.push_front(std::move(again));
  pending_records_.fetch_add(1, std::memory_order_release);
}

std::pair<std::size_t, std::size_t> ProgressEngine::run_lost_window_again(WorkerSlot& slot) {
  std::size_t again = 0;
  std::size_t failed = 0;
  std::lock_guard lock(submit_mutex_);
  // Oldest first back to the front of their queues, so they run next, in their order.
  for (auto it = slot.in_flight.rbegin(); it != slot.in_flight.rend(); ++it) {
    InFlight& record = *it;
    record.lost_with.push_back(slot.rank);
    if (record.initializer || record.state->done()) {  // nothing waits on it any more
      settle(*record.queue, 1);
      continue;
    }
    const int configured = record.queue->retries();
    const auto retries = static_cast<std::uint32_t>(configured < 0 ? options_.retries : configured);
    if (record.attempts < retries && !record.queue->broken()) {
      requeue(record, record.attempts + 1);
      ++again;
      continue;
    }
    const auto error =
        worker_lost(record.id, *record.entry, record.item_count, record.items.size(),
                    record.lost_with, fmt::format("is not run again (retries = {})", retries));
    if (record.state->fail(error)) {
      completed_.emplace_back(record.state, record.queue);
    } else {
      settle(*record.queue, 1);
    }
    ++failed;
  }
  return {again, failed};
}

void ProgressEngine::go_on_without_worker_ranks(int last_rank, const std::string& reason) {
  // A task that was running when a rank was lost may be what killed it (a bad input that crashes
  // a decoder): it never runs on the driver's own thread, which it would kill with the whole job.
  std::size_t suspects = 0;
  {
    std::lock_guard lock(submit_mutex_);
    suspects = fail_suspects(
        "no worker rank is left to run it again (a task running when its rank was lost never runs "
        "on the driver, whose process it could kill too)");
  }
  if (local_slot_ >= 0) {
    spdlog::error(
        "multirank: every worker rank is lost; {} task(s) lost with them failed, the "
        "driver's worker thread runs the rest",
        suspects);
    return;
  }
  if (options_.driver_works != DriverWorks::never) {
    // The driver is the last rank standing: it runs the rest itself, on a worker thread.
    spdlog::error(
        "multirank: every worker rank is lost; {} task(s) lost with them failed, the "
        "driver runs the remaining tasks",
        suspects);
    local_slot_ = static_cast<int>(slots_.size());
    slots_.push_back(WorkerSlot{0, {}, {}});
    {
      std::lock_guard lock(submit_mutex_);
      for (auto& queue : queues_) queue->initialized_slots_.resize(slots_.size(), false);
    }
    local_worker_ = std::thread([this] { local_worker_main(); });
    return;
  }
  // Nobody can run the rest: every queue is broken and what waits in it fails now.
  std::lock_guard lock(submit_mutex_);
  break_all_queues(std::make_exception_ptr(BrokenPool("every worker rank is lost (the last: rank " +
                                                      std::to_string(last_rank) + ", " + reason +
                                                      "); nothing can run")));
}

std::exception_ptr ProgressEngine::worker_lost(std::uint64_t task_id, const TaskEntry& entry,
                                               std::uint32_t items, std::size_t bytes,
                                               const std::vector<int>& lost_with,
                                               const std::string& outcome) const {
  std::string ranks;
  for (int lost : lost_with) {
    ranks += fmt::format("{}{} ({})", ranks.empty() ? "" : ", ", lost, host_of(lost));
  }
  const auto open = entry.signature.find('(');
  return std::make_exception_ptr(WorkerLost(fmt::format(
      "task {} ('{}' on {} item(s), arguments ({}) in {} bytes) was lost with rank(s) {} and {}",
      task_id, entry.name, items,
      entry.signature.substr(open + 1, entry.signature.size() - open - 2), bytes, ranks, outcome)));
}

std::size_t ProgressEngine::fail_suspects(const std::string& outcome) {
  std::size_t failed = 0;
  for (auto& queue : queues_) {
    for (auto it = queue->pending_.begin(); it != queue->pending_.end();) {
      if (it->lost_with.empty()) {
        ++it;
        continue;
      }
      const auto error =
          worker_lost(it->id, *it->entry, it->item_count, it->items.size(), it->lost_with, outcome);
      if (it->state->fail(error)) {
        // Counted and hooked like any completion, by the next progress round.
        failed_before_dispatch_.emplace_back(it->state, it->queue);
      } else {
        settle(*queue, 1);
      }
      it = queue->pending_.erase(it);
      pending_records_.fetch_sub(1, std::memory_order_acq_rel);
      ++failed;
    }
  }
  if (failed > 0) has_failed_before_dispatch_.store(true, std::memory_order_release);
  return failed;
}

std::size_t ProgressEngine::break_all_queues(const std::exception_ptr& error) {
  std::size_t count = 0;
  for (auto& queue : queues_) {
    queue->break_with(error);
    auto failed_states = drain_pending(*queue, [&](TaskState& s) { return s.fail(error); });
    // drain_pending counted them settled; they are, once their hooks have run.
    queue->outstanding_.fetch_add(failed_states.size(), std::memory_order_acq_rel);
    count += failed_states.size();
    for (auto& state : failed_states) failed_before_dispatch_.emplace_back(state, queue);
  }
  has_failed_before_dispatch_.store(true, std::memory_order_release);
  return count;
}

}  // namespace multirank::detail
