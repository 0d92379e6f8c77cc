// Locks, semaphores, events, barriers, conditions, values and processes as the driver keeps
// them. Waiters are served first come, first served.
#include <fmt/format.h>

#include "objects/shared_objects.hpp"

namespace multirank::detail {

namespace {
void no_such_operation(const ObjectCall& call, const SharedObject& object, ObjectTable& table) {
  table.reply_error(call, ReplyStatus::state_error,
                    fmt::format("{} has no operation {}", object.name(), call.header.op));
}

// A call queued for a lock carries what the caller gets when granted: the levels it will hold
// (in `arg`) and the value it is answered with (in `value`): Condition.wait uses both.
constexpr std::uint32_t one_level = 1;
}  // namespace

LockObject::LockObject(std::uint64_t id, std::string description, bool recursive)
    : SharedObject(id, std::move(description)), recursive_(recursive) {}

void LockObject::handle(ObjectCall& call, ObjectTable& table) {
  const std::uint64_t client = call.header.client;
  switch (static_cast<ObjectOp>(call.header.op)) {
    case ObjectOp::lock_acquire:
      if (recursive_ && owner_ == client) {
        ++levels_;
        table.reply(call, ReplyStatus::ok, 1);
      } else if (!owner_ && waiters_.empty()) {
        owner_ = client;
        levels_ = 1;
        table.reply(call, ReplyStatus::ok, 1);
      } else {
        call.header.arg = one_level;
        call.header.value = 1;
        table.park_or_time_out(waiters_, std::move(call));
      }
      return;
    case ObjectOp::lock_release:
      if (owner_ != client) {
        table.reply_error(
            call, ReplyStatus::state_error,
            fmt::format(
                "{} released by {}, which does not hold it ({})", name(), table.client_name(client),
                owner_ ? "held by " + table.client_name(*owner_) : std::string("it is not held")));
        return;
      }
      table.reply(call, ReplyStatus::ok);
      if (--levels_ == 0) {
        owner_.reset();
        grant_next(table);
      }
      return;
    default:
      no_such_operation(call, *this, table);
  }
}

std::uint32_t LockObject::release_all(std::uint64_t client, ObjectTable& table) {
  if (owner_ != client) return 0;
  const std::uint32_t held = levels_;
  owner_.reset();
  levels_ = 0;
  grant_next(table);
  return held;
}

void LockObject::enqueue(ObjectCall&& call, ObjectTable& table) {
  table.park_without_deadline(waiters_, std::move(call));
  if (!owner_) grant_next(table);
}

void LockObject::grant_next(ObjectTable& table) {
  if (owner_ || waiters_.empty()) return;
  ObjectCall next = std::move(waiters_.front());
  waiters_.pop_front();
  owner_ = next.header.client;
  levels_ = next.header.arg;
  table.reply(next, ReplyStatus::ok, next.header.value);
}

SemaphoreObject::SemaphoreObject(std::uint64_t id, std::string description, std::int64_t initial,
                                 bool bounded)
    : SharedObject(id, std::move(description)), value_(initial) {
  if (bounded) bound_ = initial;
}

void SemaphoreObject::handle(ObjectCall& call, ObjectTable& table) {
  switch (static_cast<ObjectOp>(call.header.op)) {
    case ObjectOp::semaphore_acquire:
      if (value_ > 0 && waiters_.empty()) {
        --value_;
        table.reply(call, ReplyStatus::ok, 1);
      } else {
        table.park_or_time_out(waiters_, std::move(call));
      }
      return;
    case ObjectOp::semaphore_release: {
      const std::int64_t n = call.header.value;
      if (n < 1) {
        table.reply_error(call, ReplyStatus::state_error,
                          fmt::format("{}: release(n) needs n >= 1, not {}", name(), n));
        return;
      }
      if (bound_ && value_ + n > *bound_) {
        table.reply_error(
            call, ReplyStatus::state_error,
            fmt::format("{} released too many times (its bound is {})", name(), *bound_));
        return;
      }
      value_ += n;
      table.reply(call, ReplyStatus::ok);
      while (value_ > 0 && !waiters_.empty()) {
        --value_;
        table.reply(waiters_.front(), ReplyStatus::ok, 1);
        waiters_.pop_front();
      }
      return;
    }
    default:
      no_such_operation(call, *this, table);
  }
}

EventObject::EventObject(std::uint64_t id, std::string description)
    : SharedObject(id, std::move(description)) {}

void EventObject::handle(ObjectCall& call, ObjectTable& table) {
  switch (static_cast<ObjectOp>(call.header.op)) {
    case ObjectOp::event_set:
      set_ = true;
      table.reply(call, ReplyStatus::ok);
      for (auto& waiter : waiters_) table.reply(waiter, ReplyStatus::ok, 1);
      waiters_.clear();
      return;
    case ObjectOp::event_clear:
      set_ = false;
      table.reply(call, ReplyStatus::ok);
      return;
    case ObjectOp::event_is_set:
      table.reply(call, ReplyStatus::ok, set_ ? 1 : 0);
      return;
    case ObjectOp::event_wait:
      if (set_) {
        table.reply(call, ReplyStatus::ok, 1);
      } else {
        table.park_or_time_out(waiters_, std::move(call));
      }
      return;
    default:
      no_such_operation(call, *this, table);
  }
}

BarrierObject::BarrierObject(std::uint64_t id, std::string description, std::uint32_t parties)
    : SharedObject(id, std::move(description)), parties_(parties) {}

void BarrierObject::handle(ObjectCall& call, ObjectTable& table) {
  switch (static_cast<ObjectOp>(call.header.op)) {
    case ObjectOp::barrier_wait:
      if (broken_) {
        table.reply_error(call, ReplyStatus::broken_barrier, name() + " is broken");
        return;
      }
      table.park(waiting_, std::move(call));
      if (waiting_.size() == parties_) {
        std::int64_t index = 0;
        for (auto& party : waiting_) table.reply(party, ReplyStatus::ok, index++);
        waiting_.clear();
      }
      return;
    case ObjectOp::barrier_abort:
      break_barrier(table);
      table.reply(call, ReplyStatus::ok);
      return;
    case ObjectOp::barrier_reset:
      break_barrier(table);
      broken_ = false;
      table.reply(call, ReplyStatus::ok);
      return;
    case ObjectOp::barrier_info: {
      const std::uint32_t info[2] = {parties_, broken_ ? 1u : 0u};
      table.reply(call, ReplyStatus::ok, static_cast<std::int64_t>(waiting_.size()),
                  std::span<const char>(reinterpret_cast<const char*>(info), sizeof(info)));
      return;
    }
    default:
      no_such_operation(call, *this, table);
  }
}

void BarrierObject::expire(ObjectCall call, ObjectTable& table) {
  table.reply_error(call, ReplyStatus::broken_barrier, name() + ": wait() timed out");
  break_barrier(table);
}

void BarrierObject::break_barrier(ObjectTable& table) {
  broken_ = true;
  for (auto& party : waiting_) {
    table.reply_error(party, ReplyStatus::broken_barrier,
                      name() + " was broken (aborted, reset or a party timed out)");
  }
  waiting_.clear();
}

ConditionObject::ConditionObject(std::uint64_t id, std::string description, LockObject& lock)
    : SharedObject(id, fmt::format("{} (on {})", description, lock.name())), lock_(lock) {}

void ConditionObject::handle(ObjectCall& call, ObjectTable& table) {
  const std::uint64_t client = call.header.client;
  const auto op = static_cast<ObjectOp>(call.header.op);
  if (op != ObjectOp::condition_wait && op != ObjectOp::condition_notify) {
    no_such_operation(call, *this, table);
    return;
  }
  if (!lock_.held_by(client)) {
    table.reply_error(call, ReplyStatus::state_error,
                      fmt::format("{}: {}() by {}, which does not hold {}", name(),
                                  operation_name(op), table.client_name(client), lock_.name()));
    return;
  }
  if (op == ObjectOp::condition_wait) {
    // The levels held now are restored when the waiter takes the lock back.
    call.header.arg = lock_.release_all(client, table);
    table.park(waiters_, std::move(call));
    return;
  }
  std::int64_t n = call.header.value;
  table.reply(call, ReplyStatus::ok);
  while (!waiters_.empty() && n-- != 0) {
    ObjectCall waiter = std::move(waiters_.front());
    waiters_.pop_front();
    waiter.header.value = 1;  // notified
    lock_.enqueue(std::move(waiter), table);
  }
}

void ConditionObject::expire(ObjectCall call, ObjectTable& table) {
  call.header.value = 0;  // not notified: wait() returns false, holding the lock again
  lock_.enqueue(std::move(call), table);
}

ValueObject::ValueObject(std::uint64_t id, std::string description, std::vector<char> initial)
    : SharedObject(id, std::move(description)), bytes_(std::move(initial)) {}

void ValueObject::handle(ObjectCall& call, ObjectTable& table) {
  switch (static_cast<ObjectOp>(call.header.op)) {
    case ObjectOp::value_get:
      table.reply(call, ReplyStatus::ok, 0, bytes_);
      return;
    case ObjectOp::value_set:
      bytes_ = std::move(call.payload);
      table.reply(call, ReplyStatus::ok);
      return;
    default:
      no_such_operation(call, *this, table);
  }
}

ProcessObject::ProcessObject(std::uint64_t id, std::string name)
    : SharedObject(id, std::move(name)) {}

void ProcessObject::handle(ObjectCall& call, ObjectTable& table) {
  switch (static_cast<ObjectOp>(call.header.op)) {
    case ObjectOp::process_join:
      if (exitcode_) {
        table.reply(call, ReplyStatus::ok, *exitcode_);
      } else {
        table.park_or_time_out(joiners_, std::move(call));
      }
      return;
    case ObjectOp::process_state:
      table.reply(call, ReplyStatus::ok, exitcode_ ? *exitcode_ : -1);
      return;
    default:
      no_such_operation(call, *this, table);
  }
}

void ProcessObject::exited(int exitcode, ObjectTable& table) {
  exitcode_ = exitcode;
  for (auto& joiner : joiners_) table.reply(joiner, ReplyStatus::ok, exitcode);
  joiners_.clear();
}

}  // namespace multirank::detail
