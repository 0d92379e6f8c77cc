// Scheduling and progress on the driver rank: the progress round (send, receive, complete,
// dispatch), the background thread and the engine's stop. The queues' calls are in
// driver_queues.cpp, what a lost worker rank means in driver_worker_loss.cpp.
#include "engine/progress_engine.hpp"

#include <mpi.h>
#include <spdlog/spdlog.h>

#include <time.h>

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>

#include "recording/profile_recorder.hpp"
#include "tasks/task_execution.hpp"
#include "wire/relay_envelope.hpp"

namespace multirank::detail {

namespace {
constexpr std::int64_t quiet_before_callbacks_ns = 5'000'000;
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
  relays_ = comm.relays();
  envelopes_.resize(relays_.size());
  for (std::size_t rank = 1; rank < relays_.size(); ++rank) {
    if (relays_[rank] != static_cast<int>(rank)) continue;
    relay_ranks_.push_back(static_cast<int>(rank));
    envelopes_[rank] = std::make_unique<MessageBuilder>();
  }
  if (!relay_ranks_.empty()) {
    const auto relayed =
        std::count_if(relays_.begin(), relays_.end(), [](int r) { return r != 0; });
    spdlog::debug("multirank: dispatch tree: {} relay(s) for {} rank(s) behind them",
                  relay_ranks_.size(), static_cast<std::size_t>(relayed) - relay_ranks_.size());
  }
  const bool works = driver_runs_tasks(comm, options);
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
      backoff.reset(activity_);
    } else {
      backoff.saw_activity(activity_);
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
  if (progressed) note_activity();
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
    handle_message(*message);
  }
  return received;
}

void ProgressEngine::handle_message(Message& message) {
  if (message.kind == MessageKind::heartbeat) return;
  try {
    if (message.kind == MessageKind::results) {
      handle_results(message);
    } else if (message.kind == MessageKind::relayed) {
      const auto problem = for_each_relayed(message, [&](Message inner) {
        // A relay speaks only for the ranks of its node.
        if (inner.source <= 0 || inner.source >= comm_.size() ||
            relays_[static_cast<std::size_t>(inner.source)] != message.source) {
          spdlog::error(
              "multirank driver: relay rank {} sent a message from rank {}, not of its node",
              message.source, inner.source);
          return;
        }
        // Only a relay says that one of its node's processes is gone.
        if (inner.kind == MessageKind::rank_gone) {
          handle_rank_gone(inner);
        } else {
          handle_message(inner);
        }
      });
      // The messages before the fault were handled; the rest is reported as any garbled one.
      if (!problem.empty()) throw DecodeError(problem);
    } else if (auto* extension = extension_.load(std::memory_order_acquire);
               extension != nullptr && extension->on_message(message, transport_)) {
    } else {
      spdlog::error("multirank driver: unexpected message kind {} from rank {}",
                    static_cast<int>(message.kind), message.source);
    }
  } catch (const DecodeError& e) {
    // What names a task has failed that task already; this is what names none.
    spdlog::error(
        "multirank driver: dropped the rest of a garbled message of kind {} from rank {}: {}",
        static_cast<int>(message.kind), message.source, e.what());
  }
}

void ProgressEngine::send_to_worker(int rank, std::vector<char> message) {
  const int relay = relays_[static_cast<std::size_t>(rank)];
  if (relay == 0) {
    transport_.send(rank, std::move(message));
    return;
  }
  append_relayed(*envelopes_[static_cast<std::size_t>(relay)], rank, message);
}

bool ProgressEngine::send_envelopes() {
  bool sent = false;
  for (const int relay : relay_ranks_) {
    MessageBuilder& envelope = *envelopes_[static_cast<std::size_t>(relay)];
    if (envelope.empty()) continue;
    transport_.send(relay, envelope.finish(MessageKind::relayed));
    sent = true;
  }
  return sent;
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
    send_to_worker(slots_[index].rank, outboxes_[index]->finish(MessageKind::tasks));
    sent = true;
  }
  send_envelopes();
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
  // Through the relays too: the driver may never have opened a connection to a rank behind one,
  // and after a loss it ends without waiting for one to open.
  const auto stop = lost_worker_ranks() > 0 ? MessageKind::stop_after_loss : MessageKind::stop;
  for (std::size_t index = 0; index + 1 < static_cast<std::size_t>(comm_.size()); ++index) {
    if (!slots_[index].lost) send_to_worker(slots_[index].rank, MessageBuilder().finish(stop));
  }
  send_envelopes();
  Backoff backoff(wait_policy_);
  while (transport_.sends_pending()) {
    if (transport_.progress_sends()) {
      backoff.reset();
    } else {
      backoff.pause();
    }
  }
}

}  // namespace multirank::detail
