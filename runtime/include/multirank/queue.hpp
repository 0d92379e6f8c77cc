// Queue and JoinableQueue: multiprocessing's queues between processes on any ranks. The items
// live on the driver; put and get are one round trip each.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "multirank/detail/codec.hpp"
#include "multirank/detail/object_handle.hpp"
#include "multirank/error.hpp"
#include "multirank/timeout.hpp"

namespace multirank {

/// A FIFO queue of `T` (any serialisable type) shared by processes on any ranks.
///
/// @code
///   multirank::Queue<std::optional<std::string>> q;           // the sentinel pattern
///   multirank::Process consumer(consume, q);                   // the handle travels
///   consumer.start();
///   q.put("Item 0");  q.put(std::nullopt);
/// @endcode
/// `put` blocks while a bounded queue is full (Full on timeout), `get` while it is empty (Empty on
/// timeout); no item is lost or delivered twice. `close()` ends this handle's use (and its copies'
/// in this process): any later call is a StateError. A queue given a name is called by it in
/// every error and diagnostic ("Queue 'chunks' is empty"), on every rank its handles reach; an
/// unnamed one by its id ("Queue 4"). Thread safety: any thread may use a handle.
template <class T>
class Queue {
 public:
  /// `maxsize` 0 is unbounded; otherwise put() waits for room.
  explicit Queue(std::size_t maxsize = 0) : Queue(std::string(), maxsize, 0) {}
  /// A named queue: @code multirank::Queue<Chunk> q("chunks", 10);  // bounded at 10 @endcode
  explicit Queue(std::string name, std::size_t maxsize = 0) : Queue(std::move(name), maxsize, 0) {}

  /// Puts `item`, waiting up to `timeout` for room in a bounded queue; Full if none came.
  void put(const T& item, Timeout timeout = {}) { put(item, true, timeout); }
  /// With `block` false, raises Full at once when there is no room.
  void put(const T& item, bool block, Timeout timeout = {}) {
    check_open("put");
    const auto bytes = detail::encode_to_bytes(item);
    const auto reply =
        block ? detail::call_object(handle_.id(), detail::ObjectOp::queue_put, 0, 0, timeout, bytes)
              : detail::call_object_now(handle_.id(), detail::ObjectOp::queue_put, 0, 0, bytes);
    if (reply.status == detail::ReplyStatus::timed_out) throw Full(describe() + " is full");
    detail::throw_if_failed(reply);
  }
  /// put(item, false).
  void put_nowait(const T& item) { put(item, false); }

  /// Takes the next item, waiting up to `timeout` for one; Empty if none came.
  T get(Timeout timeout = {}) { return get(true, timeout); }
  /// With `block` false, raises Empty at once when there is no item.
  T get(bool block, Timeout timeout = {}) {
    check_open("get");
    const auto reply =
        block ? detail::call_object(handle_.id(), detail::ObjectOp::queue_get, 0, 0, timeout)
              : detail::call_object_now(handle_.id(), detail::ObjectOp::queue_get);
    if (reply.status == detail::ReplyStatus::timed_out) throw Empty(describe() + " is empty");
    detail::throw_if_failed(reply);
    return detail::decode_all<T>(reply.payload);
  }
  /// get(false).
  T get_nowait() { return get(false); }

  /// Items in the queue now (a snapshot: others may change it at once).
  std::size_t qsize() const {
    check_open("qsize");
    const auto reply = detail::call_object(handle_.id(), detail::ObjectOp::queue_size);
    detail::throw_if_failed(reply);
    return static_cast<std::size_t>(reply.value);
  }
  /// Whether qsize() is 0 now.
  bool empty() const { return qsize() == 0; }
  /// Whether a bounded queue holds maxsize() items now.
  bool full() const { return maxsize_ != 0 && qsize() >= maxsize_; }
  /// The bound; 0 for an unbounded queue.
  std::size_t maxsize() const noexcept { return maxsize_; }
  /// The name it was given; empty if none.
  const std::string& name() const noexcept { return handle_.name(); }

  /// This process puts and gets nothing more through this handle; other processes' handles on
  /// the same queue go on working, and its items stay.
  void close() { handle_.mark_closed(); }

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& handle_;
    archive& maxsize_;
  }

 protected:
  /// A queue with the object flags of a subclass (JoinableQueue).
  Queue(std::string name, std::size_t maxsize, std::uint32_t flags)
      : handle_(detail::ObjectKind::queue, std::move(name), static_cast<std::int64_t>(maxsize),
                flags),
        maxsize_(maxsize) {}
  /// A StateError naming `operation` after close().
  void check_open(const char* operation) const {
    if (handle_.closed()) throw StateError(describe() + ": " + operation + "() after close()");
  }
  /// What messages call it ("Queue 'chunks'").
  std::string describe() const { return handle_.describe(); }

  /// The handle on the queue the driver keeps.
  detail::ObjectHandle handle_;
  /// The bound given at construction.
  std::size_t maxsize_ = 0;
};

/// A Queue whose consumers mark each item done, so a producer can wait until every item put has
/// been processed (`task_done`, `join`), as multiprocessing.JoinableQueue.
template <class T>
class JoinableQueue : public Queue<T> {
 public:
  /// `maxsize` 0 is unbounded; otherwise put() waits for room.
  explicit JoinableQueue(std::size_t maxsize = 0)
      : Queue<T>(std::string(), maxsize, detail::joinable_queue_flag) {}
  /// A named one: @code multirank::JoinableQueue<Job> jobs("jobs"); @endcode
  explicit JoinableQueue(std::string name, std::size_t maxsize = 0)
      : Queue<T>(std::move(name), maxsize, detail::joinable_queue_flag) {}

  /// One item got earlier is processed; a StateError if more than were put.
  void task_done() {
    this->check_open("task_done");
    detail::throw_if_failed(
        detail::call_object(this->handle_.id(), detail::ObjectOp::queue_task_done));
  }
  /// Waits until every item put has been marked done; TimeoutError on timeout.
  void join(Timeout timeout = {}) {
    this->check_open("join");
    const auto reply =
        detail::call_object(this->handle_.id(), detail::ObjectOp::queue_join, 0, 0, timeout);
    if (reply.status == detail::ReplyStatus::timed_out) {
      throw TimeoutError(this->describe() + ": join() timed out with items not done");
    }
    detail::throw_if_failed(reply);
  }

  template <class Archive>
  void serialize(Archive& archive, unsigned version) {
    Queue<T>::serialize(archive, version);
  }
};

}  // namespace multirank
