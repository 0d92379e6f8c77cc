// The calls of the synchronisation handles (sync.hpp) on their shared objects.
#include "multirank/sync.hpp"

#include <cstring>

namespace multirank {

using detail::call_object;
using detail::call_object_now;
using detail::ObjectOp;
using detail::ReplyStatus;
using detail::throw_if_failed;

bool BasicLock::acquire(bool block, Timeout timeout) {
  const auto reply = block ? call_object(handle_.id(), ObjectOp::lock_acquire, 0, 0, timeout)
                           : call_object_now(handle_.id(), ObjectOp::lock_acquire);
  if (reply.status == ReplyStatus::timed_out) return false;
  throw_if_failed(reply);
  return true;
}

void BasicLock::release() { throw_if_failed(call_object(handle_.id(), ObjectOp::lock_release)); }

bool Semaphore::acquire(bool block, Timeout timeout) {
  const auto reply = block ? call_object(handle_.id(), ObjectOp::semaphore_acquire, 0, 0, timeout)
                           : call_object_now(handle_.id(), ObjectOp::semaphore_acquire);
  if (reply.status == ReplyStatus::timed_out) return false;
  throw_if_failed(reply);
  return true;
}

void Semaphore::release(std::int64_t n) {
  throw_if_failed(call_object(handle_.id(), ObjectOp::semaphore_release, 0, n));
}

void Event::set() { throw_if_failed(call_object(handle_.id(), ObjectOp::event_set)); }
void Event::clear() { throw_if_failed(call_object(handle_.id(), ObjectOp::event_clear)); }

bool Event::is_set() const {
  const auto reply = call_object(handle_.id(), ObjectOp::event_is_set);
  throw_if_failed(reply);
  return reply.value != 0;
}

bool Event::wait(Timeout timeout) {
  const auto reply = call_object(handle_.id(), ObjectOp::event_wait, 0, 0, timeout);
  if (reply.status == ReplyStatus::timed_out) return false;
  throw_if_failed(reply);
  return true;
}

std::uint32_t Barrier::wait(Timeout timeout) {
  const auto reply = call_object(handle_.id(), ObjectOp::barrier_wait, 0, 0, timeout);
  throw_if_failed(reply);
  return static_cast<std::uint32_t>(reply.value);
}

void Barrier::abort() { throw_if_failed(call_object(handle_.id(), ObjectOp::barrier_abort)); }
void Barrier::reset() { throw_if_failed(call_object(handle_.id(), ObjectOp::barrier_reset)); }

Barrier::Info Barrier::info() const {
  const auto reply = call_object(handle_.id(), ObjectOp::barrier_info);
  throw_if_failed(reply);
  std::uint32_t fields[2] = {0, 0};
  if (reply.payload.size() != sizeof(fields)) {
    throw DecodeError("a barrier's reply has " + std::to_string(reply.payload.size()) +
                      " bytes, not " + std::to_string(sizeof(fields)));
  }
  std::memcpy(fields, reply.payload.data(), sizeof(fields));
  return Info{static_cast<std::uint32_t>(reply.value), fields[0], fields[1] != 0};
}

std::uint32_t Barrier::parties() const { return info().parties; }
std::uint32_t Barrier::n_waiting() const { return info().waiting; }
bool Barrier::broken() const { return info().broken; }

bool Condition::wait(Timeout timeout) {
  const auto reply = call_object(handle_.id(), ObjectOp::condition_wait, 0, 0, timeout);
  throw_if_failed(reply);
  return reply.value != 0;
}

bool Condition::wait_for(const std::function<bool()>& predicate, Timeout timeout) {
  const auto deadline = timeout.deadline();
  bool result = predicate();
  while (!result) {
    if (deadline) {
      const auto left = *deadline - detail::Clock::now();
      if (left <= detail::Clock::duration::zero()) break;
      wait(left);
    } else {
      wait();
    }
    result = predicate();
  }
  return result;
}

void Condition::notify(std::int64_t n) {
  throw_if_failed(call_object(handle_.id(), ObjectOp::condition_notify, 0, n));
}

}  // namespace multirank
