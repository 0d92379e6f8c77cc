// A worker rank's one connection to the driver, shared by its serve loop and its process
// threads. Whoever waits drives it: the serve loop between tasks, a process thread while it waits
// for a reply, so a long task on the serve loop never stalls the processes' queues and locks.
// MPI calls are made one at a time, under the port's lock (MPI_THREAD_SERIALIZED). On a node's
// relay (the dispatch tree) it also forwards the driver's envelopes to the node's ranks and their
// results back in envelopes, from a thread of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/backoff.hpp"
#include "multirank/detail/object_client.hpp"
#include "multirank/options.hpp"
#include "process/process_runner.hpp"
#include "wire/communicator.hpp"
#include "wire/transport.hpp"

namespace multirank::detail {

class WorkerPort final : public ObjectChannel {
 public:
  WorkerPort(const Communicator& comm, const RuntimeOptions& options);
  ~WorkerPort() override;

  /// Logs the port's messages to `recorder` (profiling); nullptr logs nothing.
  void record_to(ProfileRecorder* recorder) {
    std::lock_guard lock(mutex_);
    transport_.record_to(recorder);
  }
  /// Posts a message to `dest` now.
  void send(int dest, std::vector<char> message);
  /// Posts a results message towards the driver now: to it, or through this node's relay; a
  /// relay puts its own in with its node's.
  void send_results(std::vector<char> message);
  /// Sends and receives what it can, unless another thread is doing it; true if anything moved.
  bool pump();
  /// Task messages received since the last call, oldest first.
  std::deque<std::shared_ptr<const Message>> take_task_messages();
  bool stop_requested() const noexcept { return stop_requested_.load(std::memory_order_acquire); }
  /// The driver said, stopping us, that other ranks were lost.
  bool ranks_lost() const noexcept { return ranks_lost_.load(std::memory_order_acquire); }
  /// The driver said the job was interrupted: queued tasks are answered unrun.
  bool interrupted() const noexcept { return interrupted_.load(std::memory_order_acquire); }
  int rank() const noexcept { return comm_.rank(); }
  /// Whether the driver asked, since the last call, to forget the tasks received before (they
  /// timed out behind a long task and run elsewhere); those not yet taken are gone already.
  bool take_drop_request() noexcept {
    return drop_queued_.exchange(false, std::memory_order_acq_rel);
  }
  /// Finishes the posted sends and refuses further calls: blocked process calls end with
  /// JobEnding. Returns how many processes are still running here (daemons).
  std::size_t close();

  ObjectReply call(ObjectRequestHeader header, std::span<const char> payload) override;

 private:
  void route(Message message);  // caller holds mutex_
  /// A relay's part of routing (dispatch tree): the driver's envelope handed on to the node's
  /// ranks, their results put in the envelope back. True if `message` was the relay's. Caller
  /// holds mutex_.
  bool relay(Message& message);
  /// Posts the relay's envelope to the driver, if anything is in it. Caller holds mutex_.
  void send_relayed();
  /// A relay's own thread: it keeps the node's messages moving while this rank's serve loop runs
  /// a task, and says which of the node's processes are gone.
  void relay_main();
  /// Puts a rank_gone message in the envelope for each node-mate whose process has ended.
  void report_gone_mates();
  /// Sends heartbeats to the driver, and ends this rank if the driver falls silent (it sends
  /// heartbeats too): a worker never outlives its driver.
  void heartbeat_main();
  void start_process(const Message& message);

  const Communicator& comm_;
  WaitPolicy wait_policy_;
  std::mutex mutex_;  // transport_ and everything below
  Transport transport_;
  std::deque<std::shared_ptr<const Message>> task_messages_;
  std::unordered_map<std::uint64_t, ObjectReply> replies_;
  std::uint64_t next_request_id_ = 1;
  bool closed_ = false;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> ranks_lost_{false};
  std::atomic<bool> interrupted_{false};
  std::atomic<bool> drop_queued_{false};
  std::atomic<bool> has_task_messages_{false};
  std::unique_ptr<ProcessRunner> processes_;  // made when the first process starts here
  std::chrono::seconds driver_timeout_;
  std::atomic<std::int64_t> last_from_driver_ns_;
  std::mutex heartbeat_mutex_;
  std::condition_variable heartbeat_stop_;
  bool heartbeat_stopping_ = false;  // guarded by heartbeat_mutex_
  std::thread heartbeat_;
  // The dispatch tree (Communicator::relays): where results and heartbeats go (the driver, or
  // this node's relay), and, on a relay, its node-mates and the envelope for the driver.
  int upstream_ = 0;
  bool is_relay_ = false;
  std::vector<int> mates_;
  std::vector<bool> mate_gone_;
  MessageBuilder envelope_;
  std::atomic<bool> relay_stopping_{false};
  std::thread relay_;
};

}  // namespace multirank::detail
