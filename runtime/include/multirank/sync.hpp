// Synchronisation between processes on any ranks, as multiprocessing's: Lock, RLock, Semaphore,
// BoundedSemaphore, Event, Barrier, Condition and Value. The objects live on the driver; every
// handle can be passed to a process, and every blocking call takes a timeout. Each takes an
// optional name, first: errors and the watchdog's report then call it "Lock 'output'" instead of
// "Lock 4", on every rank its handles reach.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "multirank/detail/codec.hpp"
#include "multirank/detail/object_handle.hpp"
#include "multirank/error.hpp"
#include "multirank/timeout.hpp"

namespace multirank {

/// What Lock and RLock share: acquire/release, and lock/unlock/try_lock so std::lock_guard and
/// std::scoped_lock work (Python's `with lock:`). The lock knows its owner (a process, or a
/// thread that is not a process): a release by anyone else is a StateError.
class BasicLock {
 public:
  /// Waits for the lock (up to `timeout`); true when acquired.
  bool acquire(Timeout timeout = {}) { return acquire(true, timeout); }
  /// With `block` false, tries once.
  bool acquire(bool block, Timeout timeout = {});
  /// Releases the lock; a StateError if the caller does not hold it (the message says who does).
  void release();
  /// acquire() without a limit, for std::lock_guard and std::unique_lock.
  void lock() { acquire(); }
  /// release(), for std::lock_guard and std::unique_lock.
  void unlock() { release(); }
  /// acquire(false): takes the lock if it is free, at once; true if it did.
  bool try_lock() { return acquire(false); }

  /// The shared object's id, the same on every rank.
  std::uint64_t id() const { return handle_.id(); }
  /// The name it was given; empty if none.
  const std::string& name() const noexcept { return handle_.name(); }
  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& handle_;
  }

 protected:
  /// A lock of the given kind (Lock or RLock) and name.
  BasicLock(detail::ObjectKind kind, std::string name) : handle_(kind, std::move(name), 0) {}
  BasicLock() = default;

  /// The handle on the lock the driver keeps.
  detail::ObjectHandle handle_;
};

/// A lock held by one process at a time. Acquiring it again from the process that holds it
/// waits (as Python's does); use RLock for that.
///
/// @code
///   multirank::Lock lock;
///   { std::lock_guard hold(lock); shared_counter.set(shared_counter.get() + 1); }
/// @endcode
class Lock : public BasicLock {
 public:
  Lock() : BasicLock(detail::ObjectKind::lock, std::string()) {}
  /// @code multirank::Lock output("output");  // "Lock 'output' released by ..." @endcode
  explicit Lock(std::string name) : BasicLock(detail::ObjectKind::lock, std::move(name)) {}
};

/// A lock its owner may acquire again; it is free once released as many times.
class RLock : public BasicLock {
 public:
  RLock() : BasicLock(detail::ObjectKind::rlock, std::string()) {}
  /// @code multirank::RLock table("table"); @endcode
  explicit RLock(std::string name) : BasicLock(detail::ObjectKind::rlock, std::move(name)) {}
};

/// A counter that acquire() decrements, waiting while it is zero, and release() increments.
class Semaphore {
 public:
  /// A semaphore whose counter starts at `value`.
  explicit Semaphore(std::int64_t value = 1)
      : Semaphore(detail::ObjectKind::semaphore, {}, value) {}
  /// @code multirank::Semaphore slots("slots", 4); @endcode
  explicit Semaphore(std::string name, std::int64_t value = 1)
      : Semaphore(detail::ObjectKind::semaphore, std::move(name), value) {}

  /// Waits (up to `timeout`) until the counter is above zero and decrements it; true if it did.
  bool acquire(Timeout timeout = {}) { return acquire(true, timeout); }
  /// With `block` false, tries once.
  bool acquire(bool block, Timeout timeout = {});
  /// Adds `n` to the counter, waking as many waiting acquires.
  void release(std::int64_t n = 1);
  /// acquire() without a limit, for std::lock_guard.
  void lock() { acquire(); }
  /// release(), for std::lock_guard.
  void unlock() { release(); }
  /// acquire(false).
  bool try_lock() { return acquire(false); }

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& handle_;
  }

 protected:
  /// A semaphore of the given kind (Semaphore or BoundedSemaphore).
  Semaphore(detail::ObjectKind kind, std::string name, std::int64_t value)
      : handle_(kind, std::move(name), value) {}
  /// The handle on the semaphore the driver keeps.
  detail::ObjectHandle handle_;
};

/// A Semaphore that refuses (StateError) to be released above its initial value.
class BoundedSemaphore : public Semaphore {
 public:
  /// A bounded semaphore whose counter starts, and may never go above, `value`.
  explicit BoundedSemaphore(std::int64_t value = 1)
      : Semaphore(detail::ObjectKind::bounded_semaphore, {}, value) {}
  /// @code multirank::BoundedSemaphore slots("slots", 4); @endcode
  explicit BoundedSemaphore(std::string name, std::int64_t value = 1)
      : Semaphore(detail::ObjectKind::bounded_semaphore, std::move(name), value) {}
};

/// A flag processes wait on until another sets it.
class Event {
 public:
  /// An event, not set.
  Event() : handle_(detail::ObjectKind::event, {}, 0) {}
  /// @code multirank::Event ready("ready"); @endcode
  explicit Event(std::string name) : handle_(detail::ObjectKind::event, std::move(name), 0) {}
  /// Sets the flag, waking every waiting process.
  void set();
  /// Clears the flag.
  void clear();
  /// Whether the flag is set.
  bool is_set() const;
  /// True once the flag is set; false if `timeout` passed first.
  bool wait(Timeout timeout = {});

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& handle_;
  }

 private:
  detail::ObjectHandle handle_;
};

/// `parties` processes wait until all of them have arrived. A wait that times out, abort() and
/// reset() break the barrier: waiting and later parties get BrokenBarrierError (until reset()).
class Barrier {
 public:
  /// A barrier for `parties` processes.
  explicit Barrier(std::uint32_t parties) : handle_(detail::ObjectKind::barrier, {}, parties) {}
  /// @code multirank::Barrier round("round", 3); @endcode
  Barrier(std::string name, std::uint32_t parties)
      : handle_(detail::ObjectKind::barrier, std::move(name), parties) {}
  /// A handle on no barrier, filled in when one is received (a process's argument).
  Barrier() = default;
  /// This party's arrival index, 0 .. parties-1.
  std::uint32_t wait(Timeout timeout = {});
  /// Breaks the barrier: current and later waits throw BrokenBarrierError until reset().
  void abort();
  /// Back to its initial state; processes waiting now get BrokenBarrierError.
  void reset();
  /// How many processes must arrive.
  std::uint32_t parties() const;
  /// How many are waiting now.
  std::uint32_t n_waiting() const;
  /// Whether the barrier is broken.
  bool broken() const;

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& handle_;
  }

 private:
  struct Info {
    std::uint32_t waiting, parties;
    bool broken;
  };
  Info info() const;
  detail::ObjectHandle handle_;
};

/// A condition variable over a Lock or RLock (a fresh RLock by default, named "lock of NAME" for
/// a named condition): wait() releases the lock while it waits and holds it again when it returns.
class Condition {
 public:
  /// A condition over a fresh RLock.
  Condition() : Condition(RLock()) {}
  /// A condition over `lock` (a Lock or RLock, shared with other handles on it).
  explicit Condition(const BasicLock& lock) : Condition(std::string(), lock) {}
  /// @code multirank::Condition ready("ready"); @endcode
  explicit Condition(std::string name) : Condition(name, RLock("lock of " + name)) {}
  /// A named condition over `lock`.
  Condition(std::string name, const BasicLock& lock)
      : lock_(lock), handle_(detail::ObjectKind::condition, std::move(name), [lock] {
          return static_cast<std::int64_t>(lock.id());
        }) {}

  /// Acquires the condition's lock.
  bool acquire(Timeout timeout = {}) { return lock_.acquire(timeout); }
  /// Releases the condition's lock.
  void release() { lock_.release(); }
  /// Acquires the lock without a limit, for std::lock_guard.
  void lock() { lock_.lock(); }
  /// Releases the lock, for std::lock_guard.
  void unlock() { lock_.unlock(); }
  /// Takes the lock if it is free, at once.
  bool try_lock() { return lock_.try_lock(); }

  /// Waits for a notify; false if `timeout` passed first. The lock must be held (StateError).
  bool wait(Timeout timeout = {});
  /// Waits until `predicate()` holds; returns its last value.
  bool wait_for(const std::function<bool()>& predicate, Timeout timeout = {});
  /// Wakes up to `n` waiting processes (the lock must be held).
  void notify(std::int64_t n = 1);
  /// Wakes every waiting process.
  void notify_all() { notify(-1); }

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& lock_;
    archive& handle_;
  }

 private:
  BasicLock lock_;
  detail::ObjectHandle handle_;
};

/// A value of `T` shared by processes, with the RLock that guards read-modify-write sequences
/// (`get_lock()`), as multiprocessing.Value.
///
/// @code
///   multirank::Value<int> counter(0);
///   { std::lock_guard hold(counter.get_lock()); counter.set(counter.get() + 1); }
/// @endcode
/// A named Value takes both the name and the initial value (its lock is named "lock of NAME").
template <class T>
class Value {
 public:
  /// A shared value, first `initial`.
  explicit Value(const T& initial = T{})
      : handle_(detail::ObjectKind::value, {}, 0, 0, detail::encode_to_bytes(initial)) {}
  /// @code multirank::Value<int> counter("counter", 0); @endcode
  Value(std::string name, const T& initial)
      : handle_(detail::ObjectKind::value, name, 0, 0, detail::encode_to_bytes(initial)),
        lock_("lock of " + name) {}

  /// The current value (one round trip to the driver).
  T get() const {
    const auto reply = detail::call_object(handle_.id(), detail::ObjectOp::value_get);
    detail::throw_if_failed(reply);
    return detail::decode_all<T>(reply.payload);
  }
  /// Replaces the value.
  void set(const T& value) {
    const auto bytes = detail::encode_to_bytes(value);
    detail::throw_if_failed(
        detail::call_object(handle_.id(), detail::ObjectOp::value_set, 0, 0, Timeout(), bytes));
  }
  /// The lock to hold around a read-modify-write (`get`, then `set`).
  RLock& get_lock() noexcept { return lock_; }

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& handle_;
    archive& lock_;
  }

 private:
  detail::ObjectHandle handle_;
  RLock lock_;
};

}  // namespace multirank
