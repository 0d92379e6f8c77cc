// The driver's shared-object table: creating objects, parking calls, timeouts and the
// diagnostics that say who waits for what.
#include "objects/object_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "multirank/detail/object_description.hpp"
#include "objects/shared_objects.hpp"

namespace multirank::detail {

void SharedObject::expire(ObjectCall call, ObjectTable& table) {
  table.reply(call, ReplyStatus::timed_out);
}

void ObjectTable::handle(ObjectCall call) {
  now_ = call.since;
  if (static_cast<ObjectOp>(call.header.op) == ObjectOp::create) {
    create(call);
    return;
  }
  SharedObject* object = find(call.header.object);
  if (object == nullptr) {
    reply_error(call, ReplyStatus::state_error,
                fmt::format("no shared object with id {} exists (a handle from another run, or "
                            "corrupted)",
                            call.header.object));
    return;
  }
  object->handle(call, *this);
}

void ObjectTable::create(ObjectCall& call) {
  const auto kind = static_cast<ObjectKind>(call.header.arg & 0xff);
  const std::uint32_t flags = call.header.arg >> 8;
  CreateRequest request;
  try {
    request = decode_create_request(call.payload);
  } catch (const DecodeError& error) {
    reply_error(call, ReplyStatus::state_error,
                fmt::format("a request to create a shared object is malformed: {}", error.what()));
    return;
  }
  const std::uint64_t id = next_id_;
  auto object = make_object(call, id, kind, flags, call.header.value, request);
  if (!object) return;
  ++next_id_;
  objects_.emplace(id, std::move(object));
  reply(call, ReplyStatus::ok, static_cast<std::int64_t>(id));
}

std::unique_ptr<SharedObject> ObjectTable::make_object(ObjectCall& call, std::uint64_t id,
                                                       ObjectKind kind, std::uint32_t flags,
                                                       std::int64_t parameter,
                                                       const CreateRequest& request) {
  const std::string description = describe_object(kind, flags, id, request.name);
  // Refused before it exists: named if it has a name, else "a Queue".
  const std::string refused =
      request.name.empty() ? fmt::format("a {}", object_kind_name(kind, flags)) : description;
  switch (kind) {
    case ObjectKind::queue:
      if (parameter < 0) {
        reply_error(
            call, ReplyStatus::state_error,
            fmt::format("{}: maxsize must be 0 (unbounded) or more, not {}", refused, parameter));
        return nullptr;
      }
      return std::make_unique<QueueObject>(id, description, static_cast<std::size_t>(parameter),
                                           (flags & joinable_queue_flag) != 0);
    case ObjectKind::pipe:
      return std::make_unique<PipeObject>(id, description, parameter != 0);
    case ObjectKind::lock:
    case ObjectKind::rlock:
      return std::make_unique<LockObject>(id, description, kind == ObjectKind::rlock);
    case ObjectKind::semaphore:
    case ObjectKind::bounded_semaphore:
      if (parameter < 0) {
        reply_error(
            call, ReplyStatus::state_error,
            fmt::format("{}: the initial value must be 0 or more, not {}", refused, parameter));
        return nullptr;
      }
      return std::make_unique<SemaphoreObject>(id, description, parameter,
                                               kind == ObjectKind::bounded_semaphore);
    case ObjectKind::event:
      return std::make_unique<EventObject>(id, description);
    case ObjectKind::barrier:
      if (parameter < 1) {
        reply_error(call, ReplyStatus::state_error,
                    fmt::format("{} needs at least 1 party, not {}", refused, parameter));
        return nullptr;
      }
      return std::make_unique<BarrierObject>(id, description,
                                             static_cast<std::uint32_t>(parameter));
    case ObjectKind::condition: {
      auto* lock = find_as<LockObject>(static_cast<std::uint64_t>(parameter));
      if (lock == nullptr) {
        reply_error(
            call, ReplyStatus::state_error,
            fmt::format("{} needs a Lock or RLock; object {} is not one", refused, parameter));
        return nullptr;
      }
      return std::make_unique<ConditionObject>(id, description, *lock);
    }
    case ObjectKind::value:
      return std::make_unique<ValueObject>(
          id, description, std::vector<char>(request.initial.begin(), request.initial.end()));
    default:
      reply_error(call, ReplyStatus::state_error,
                  fmt::format("cannot create a shared object of kind {}", static_cast<int>(kind)));
      return nullptr;
  }
}

std::uint64_t ObjectTable::add(
    std::function<std::unique_ptr<SharedObject>(std::uint64_t id)> make) {
  const std::uint64_t id = next_id_++;
  objects_.emplace(id, make(id));
  return id;
}

SharedObject* ObjectTable::find(std::uint64_t id) {
  auto it = objects_.find(id);
  return it == objects_.end() ? nullptr : it->second.get();
}

namespace {
CallOutcome outcome_of(const ObjectCall& call, ReplyStatus status, std::int64_t value) {
  switch (status) {
    case ReplyStatus::ok:
      // A condition's wait that ran out still ends ok once it holds the lock again, with false.
      if (static_cast<ObjectOp>(call.header.op) == ObjectOp::condition_wait && value == 0) {
        return CallOutcome::timed_out;
      }
      return CallOutcome::succeeded;
    case ReplyStatus::timed_out:
      return CallOutcome::timed_out;
    default:
      return CallOutcome::failed;
  }
}
}  // namespace

void ObjectTable::reply(const ObjectCall& call, ReplyStatus status, std::int64_t value,
                        std::span<const char> payload) {
  activity_.answered(call.header, call.rank, call.parked, outcome_of(call, status, value), now_);
  ObjectReplyHeader header{};
  header.request_id = call.header.request_id;
  header.status = static_cast<std::uint8_t>(status);
  header.value = value;
  header.payload_bytes = payload.size();
  sink_.deliver(call.rank, header, payload);
}

void ObjectTable::reply_error(const ObjectCall& call, ReplyStatus status,
                              const std::string& reason) {
  reply(call, status, 0, std::span<const char>(reason.data(), reason.size()));
}

void ObjectTable::note_parked(ObjectCall& call) {
  if (call.parked) return;
  call.parked = true;
  activity_.parked(call.header, call.rank, call.since);
}

void ObjectTable::park(ParkedCalls& list, ObjectCall&& call) {
  if (call.deadline) {
    deadlines_.emplace(*call.deadline,
                       Waiting{call.header.object, call.rank, call.header.request_id});
  }
  note_parked(call);
  list.push_back(std::move(call));
}

void ObjectTable::park_or_time_out(ParkedCalls& list, ObjectCall&& call) {
  if (call.header.timeout_ns == 0) {
    reply(call, ReplyStatus::timed_out);
  } else {
    park(list, std::move(call));
  }
}

void ObjectTable::park_without_deadline(ParkedCalls& list, ObjectCall&& call) {
  call.deadline.reset();
  note_parked(call);
  list.push_back(std::move(call));
}

void ObjectTable::expire_due(ObjectClock::time_point now) {
  now_ = now;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const Waiting waiting = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    SharedObject* object = find(waiting.object);
    if (object == nullptr) continue;
    for (ParkedCalls* list : object->parked_lists()) {
      auto it = std::find_if(list->begin(), list->end(), [&](const ObjectCall& call) {
        return call.rank == waiting.rank && call.header.request_id == waiting.request_id &&
               call.deadline && *call.deadline <= now;
      });
      if (it == list->end()) continue;
      ObjectCall call = std::move(*it);
      list->erase(it);
      object->expire(std::move(call), *this);
      break;
    }
  }
}

std::string ObjectTable::client_name(std::uint64_t client) const {
  if (client & thread_client_bit) {
    const int rank = thread_client_rank(client);
    const auto thread = static_cast<std::uint32_t>(client & 0xffffffffu);
    return rank == 0 && thread == 1 ? std::string("the driver's main thread")
                                    : fmt::format("thread {} of rank {}", thread, rank);
  }
  auto it = process_names_.find(client);
  return it == process_names_.end() ? fmt::format("process {}", client) : it->second;
}

std::vector<std::string> ObjectTable::blocked_calls(ObjectClock::time_point now) const {
  std::vector<std::pair<ObjectClock::time_point, std::string>> lines;
  for (const auto& [id, object] : objects_) {
    for (ParkedCalls* list : object->parked_lists()) {
      for (const ObjectCall& call : *list) {
        const double waited = std::chrono::duration<double>(now - call.since).count();
        std::string line = fmt::format("{} on rank {} waits in {}() on {} for {:.3f} s",
                                       client_name(call.header.client), call.rank,
                                       operation_name(static_cast<ObjectOp>(call.header.op)),
                                       object->name(), waited);
        if (call.deadline) {
          line += fmt::format(" (times out in {:.3f} s)",
                              std::chrono::duration<double>(*call.deadline - now).count());
        }
        lines.emplace_back(call.since, std::move(line));
      }
    }
  }
  std::sort(lines.begin(), lines.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> result;
  for (auto& line : lines) result.push_back(std::move(line.second));
  return result;
}

bool ObjectTable::stuck(ObjectClock::time_point now, ObjectClock::duration for_at_least) const {
  if (now - activity_.last_success() < for_at_least) return false;
  bool driver_thread_waiting = false;
  std::size_t processes_waiting = 0;
  for (const auto& [client, since] : activity_.waiting(now)) {
    if (now - since < for_at_least) continue;
    if (client & thread_client_bit) {
      driver_thread_waiting |= thread_client_rank(client) == 0;
    } else {
      ++processes_waiting;
    }
  }
  return driver_thread_waiting && processes_waiting >= live_processes_;
}

std::string ObjectTable::object_name(std::uint64_t id) const {
  auto it = objects_.find(id);
  return it == objects_.end() ? fmt::format("object {}", id) : it->second->name();
}

std::vector<std::string> ObjectTable::polling_loops(ObjectClock::time_point now) const {
  std::vector<std::string> lines;
  for (const auto& poll : activity_.polls(now)) {
    const std::string timeout =
        poll.timeout_ns > 0
            ? fmt::format(
                  "with a {:g} s timeout",
                  std::chrono::duration<double>(std::chrono::nanoseconds(poll.timeout_ns)).count())
            : std::string("without waiting");
    lines.push_back(fmt::format(
        "{} on rank {} polls {}() on {} {}: {} timed out, none succeeded in the last {:.1f} s",
        client_name(poll.client), poll.rank, operation_name(poll.op), object_name(poll.object),
        timeout, poll.timed_out, std::chrono::duration<double>(now - poll.waiting_since).count()));
  }
  return lines;
}

bool ObjectTable::deadlocked(ObjectClock::time_point now,
                             ObjectClock::duration for_at_least) const {
  std::set<std::uint64_t> blocked_processes;
  bool driver_thread_blocked = false;
  for (const auto& [id, object] : objects_) {
    for (ParkedCalls* list : object->parked_lists()) {
      for (const ObjectCall& call : *list) {
        // A call with a deadline will return by itself, so it is no deadlock.
        if (call.deadline || now - call.since < for_at_least) continue;
        if (call.header.client & thread_client_bit) {
          driver_thread_blocked |= call.rank == 0;
        } else {
          blocked_processes.insert(call.header.client);
        }
      }
    }
  }
  return driver_thread_blocked && blocked_processes.size() >= live_processes_;
}

void ObjectTable::drop_calls_from(int rank) {
  for (auto& [id, object] : objects_) {
    for (ParkedCalls* list : object->parked_lists()) {
      std::erase_if(*list, [rank](const ObjectCall& call) { return call.rank == rank; });
    }
  }
  activity_.forget_rank(rank);
}

void ObjectTable::shut_down() {
  for (auto& [id, object] : objects_) {
    for (ParkedCalls* list : object->parked_lists()) {
      while (!list->empty()) {
        ObjectCall call = std::move(list->front());
        list->pop_front();
        reply_error(call, ReplyStatus::shutting_down,
                    "the job is ending: " + object->name() + " is gone");
      }
    }
  }
  deadlines_.clear();
}

const char* operation_name(ObjectOp op) {
  switch (op) {
    case ObjectOp::create:
      return "create";
    case ObjectOp::queue_put:
      return "put";
    case ObjectOp::queue_get:
      return "get";
    case ObjectOp::queue_size:
      return "qsize";
    case ObjectOp::queue_task_done:
      return "task_done";
    case ObjectOp::queue_join:
      return "join";
    case ObjectOp::pipe_send:
      return "send";
    case ObjectOp::pipe_recv:
      return "recv";
    case ObjectOp::pipe_poll:
      return "poll";
    case ObjectOp::pipe_close:
      return "close";
    case ObjectOp::lock_acquire:
      return "acquire";
    case ObjectOp::lock_release:
      return "release";
    case ObjectOp::semaphore_acquire:
      return "acquire";
    case ObjectOp::semaphore_release:
      return "release";
    case ObjectOp::event_set:
      return "set";
    case ObjectOp::event_clear:
      return "clear";
    case ObjectOp::event_is_set:
      return "is_set";
    case ObjectOp::event_wait:
      return "wait";
    case ObjectOp::barrier_wait:
      return "wait";
    case ObjectOp::barrier_abort:
      return "abort";
    case ObjectOp::barrier_reset:
      return "reset";
    case ObjectOp::barrier_info:
      return "n_waiting";
    case ObjectOp::condition_wait:
      return "wait";
    case ObjectOp::condition_notify:
      return "notify";
    case ObjectOp::value_get:
      return "get";
    case ObjectOp::value_set:
      return "set";
    case ObjectOp::process_join:
      return "join";
    case ObjectOp::process_state:
      return "exitcode";
  }
  return "unknown operation";
}

}  // namespace multirank::detail
