// The driver's table of shared objects (queues, pipes, locks, events, barriers, conditions,
// values, processes) and the calls parked on them. Pure bookkeeping: no MPI and no locking here;
// replies leave through a ReplySink, and the ObjectHost around it supplies the lock and the
// transport. Being plain, it is what the unit tests drive directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "multirank/detail/object_protocol.hpp"
#include "objects/client_activity.hpp"

namespace multirank::detail {

using ObjectClock = std::chrono::steady_clock;

/// One operation as the driver received it, kept whole while it waits.
struct ObjectCall {
  int rank = 0;  // where the caller runs: the reply goes there
  ObjectRequestHeader header{};
  std::vector<char> payload;
  ObjectClock::time_point since{};
  std::optional<ObjectClock::time_point> deadline;
  bool parked = false;  // it waited in a list (the watchdog tells waiting from working)
};

using ParkedCalls = std::deque<ObjectCall>;

/// Where replies go: the driver's own waiting threads, or a message to another rank.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  virtual void deliver(int rank, const ObjectReplyHeader& header,
                       std::span<const char> payload) = 0;
};

class ObjectTable;

/// A shared object: answers calls at once or parks them until it can.
class SharedObject {
 public:
  SharedObject(std::uint64_t id, std::string name) : id_(id), name_(std::move(name)) {}
  virtual ~SharedObject() = default;
  SharedObject(const SharedObject&) = delete;
  SharedObject& operator=(const SharedObject&) = delete;

  std::uint64_t id() const noexcept { return id_; }
  /// "Queue 'chunks'", "Lock 7", "Process-2": how errors and diagnostics call it
  /// (describe_object, or a process's name).
  const std::string& name() const noexcept { return name_; }

  /// Replies to `call` or parks it (ObjectTable::park).
  virtual void handle(ObjectCall& call, ObjectTable& table) = 0;
  /// A parked call's deadline passed; it was already taken out of its list.
  virtual void expire(ObjectCall call, ObjectTable& table);
  /// The lists where this object's calls wait.
  virtual std::vector<ParkedCalls*> parked_lists() = 0;

 private:
  std::uint64_t id_;
  std::string name_;
};

class ObjectTable {
 public:
  explicit ObjectTable(ReplySink& sink) : sink_(sink) {}

  /// Serves one call: creation, or an operation on an existing object.
  void handle(ObjectCall call);
  /// Answers the parked calls whose deadline is at or before `now`.
  void expire_due(ObjectClock::time_point now);
  /// The earliest deadline of a parked call (possibly of one answered meanwhile).
  std::optional<ObjectClock::time_point> next_deadline() const {
    if (deadlines_.empty()) return std::nullopt;
    return deadlines_.begin()->first;
  }

  void reply(const ObjectCall& call, ReplyStatus status, std::int64_t value = 0,
             std::span<const char> payload = {});
  void reply_error(const ObjectCall& call, ReplyStatus status, const std::string& reason);
  /// Keeps `call` in `list` until the object answers it or its deadline passes.
  void park(ParkedCalls& list, ObjectCall&& call);
  /// Parks `call` in `list` if it may wait (its timeout is not zero), else answers timed_out.
  void park_or_time_out(ParkedCalls& list, ObjectCall&& call);
  /// Re-parks a call that moves to another object (a condition's waiter queuing for its lock),
  /// without a deadline: it waits until granted.
  void park_without_deadline(ParkedCalls& list, ObjectCall&& call);

  /// Adds an object made on the driver itself; returns its id.
  std::uint64_t add(std::function<std::unique_ptr<SharedObject>(std::uint64_t id)> make);
  SharedObject* find(std::uint64_t id);
  /// The object `id` as a `T`, or nullptr when there is none of that kind.
  template <class T>
  T* find_as(std::uint64_t id) {
    return dynamic_cast<T*>(find(id));
  }

  /// How a client is named in diagnostics: its process's name, or its thread on its rank.
  std::string client_name(std::uint64_t client) const;
  /// One line per parked call: what it waits for, on which object, who, where, since when.
  std::vector<std::string> blocked_calls(ObjectClock::time_point now) const;
  /// Whether every live process, and the driver's main thread, has been parked for at least
  /// `for_at_least`: nothing can wake them but each other, so the job is deadlocked.
  bool deadlocked(ObjectClock::time_point now, ObjectClock::duration for_at_least) const;
  /// Whether for at least `for_at_least` no call succeeded while every live process, and the
  /// driver's main thread, waited without a break: parked, or polling with timeouts that keep
  /// expiring.
  bool stuck(ObjectClock::time_point now, ObjectClock::duration for_at_least) const;
  /// One line per object a waiting client polls in vain: the operation, its timeout, how many
  /// timed out, since when nothing succeeded for it.
  std::vector<std::string> polling_loops(ObjectClock::time_point now) const;
  /// Forgets the parked calls of `rank`, which is gone.
  void drop_calls_from(int rank);
  /// Forgets what `client` (a process that ended) was doing.
  void client_gone(std::uint64_t client) { activity_.forget(client); }
  /// Answers every parked call with shutting_down.
  void shut_down();

  /// Processes: registered by the driver when started; calls name them by id.
  void set_process_name(std::uint64_t id, std::string name) {
    process_names_[id] = std::move(name);
  }
  void set_live_processes(std::size_t live) { live_processes_ = live; }

 private:
  void create(ObjectCall& call);
  /// Creates the object `kind` with `flags`, `parameter` and `initial` bytes, as id `id`; replies
  /// with the error and returns nullptr when the parameter does not fit.
  std::unique_ptr<SharedObject> make_object(ObjectCall& call, std::uint64_t id, ObjectKind kind,
                                            std::uint32_t flags, std::int64_t parameter,
                                            const CreateRequest& request);
  void note_parked(ObjectCall& call);
  /// The description of object `id` ("object N" if there is none).
  std::string object_name(std::uint64_t id) const;

  ReplySink& sink_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<SharedObject>> objects_;
  // deadline -> (object, rank, request id); an entry whose call was answered meanwhile is stale
  struct Waiting {
    std::uint64_t object;
    int rank;
    std::uint64_t request_id;
  };
  std::multimap<ObjectClock::time_point, Waiting> deadlines_;
  std::unordered_map<std::uint64_t, std::string> process_names_;
  std::size_t live_processes_ = 0;
  ClientActivity activity_;
  // The time of the call or expiry being served: when replies go out (the clock stays the
  // caller's, so tests drive it).
  ObjectClock::time_point now_{};
};

/// Client ids: a process's id, or a thread that is not a process (the driver's main thread,
/// a task on a worker) marked with this bit, its rank and a per-rank thread number.
inline constexpr std::uint64_t thread_client_bit = std::uint64_t{1} << 63;
inline std::uint64_t thread_client_id(int rank, std::uint32_t thread_number) {
  return thread_client_bit | (static_cast<std::uint64_t>(rank) << 32) | thread_number;
}
inline int thread_client_rank(std::uint64_t client) {
  return static_cast<int>((client >> 32) & 0x7fffffffu);
}

/// The name of an operation, for diagnostics ("get", "acquire"...).
const char* operation_name(ObjectOp op);

}  // namespace multirank::detail
