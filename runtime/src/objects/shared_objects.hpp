// The kinds of shared object the driver keeps: each answers the operations of its public
// counterpart (queue.hpp, pipe.hpp, sync.hpp, process.hpp) as Python's multiprocessing does.
// Each is made with its description (describe_object), which every message about it uses.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "objects/object_table.hpp"

namespace multirank::detail {

class QueueObject final : public SharedObject {
 public:
  QueueObject(std::uint64_t id, std::string description, std::size_t maxsize, bool joinable);
  void handle(ObjectCall& call, ObjectTable& table) override;
  std::vector<ParkedCalls*> parked_lists() override { return {&getters_, &putters_, &joiners_}; }

 private:
  bool has_room() const { return maxsize_ == 0 || items_.size() < maxsize_; }
  /// Moves waiting putters' items in while there is room, and hands items to waiting getters.
  void balance(ObjectTable& table);

  std::size_t maxsize_;
  bool joinable_;
  std::deque<std::vector<char>> items_;
  std::uint64_t unfinished_ = 0;  // put and not yet task_done (JoinableQueue)
  ParkedCalls getters_;
  ParkedCalls putters_;  // each holds its item
  ParkedCalls joiners_;
};

/// Two ends; what end e sends waits in the inbox of the other end.
class PipeObject final : public SharedObject {
 public:
  PipeObject(std::uint64_t id, std::string description, bool duplex);
  void handle(ObjectCall& call, ObjectTable& table) override;
  std::vector<ParkedCalls*> parked_lists() override {
    return {&receivers_[0], &receivers_[1], &pollers_[0], &pollers_[1]};
  }

 private:
  /// Answers what waits on `end` now that it has a message or its peer closed.
  void wake(int end, ObjectTable& table);
  /// close() on `end`: whoever waits on it is told, its peer sees end of file once drained.
  void close_end(ObjectCall& call, std::uint32_t end, ObjectTable& table);
  /// send() from `end`, to its peer.
  void send(ObjectCall& call, std::uint32_t end, ObjectTable& table);
  /// recv() or (`poll`) poll() on `end`: answered now, or parked until a message comes.
  void receive(ObjectCall& call, std::uint32_t end, bool poll, ObjectTable& table);

  bool duplex_;
  std::deque<std::vector<char>> inbox_[2];
  bool closed_[2] = {false, false};
  ParkedCalls receivers_[2];
  ParkedCalls pollers_[2];
};

/// Lock (non-recursive) and RLock (recursive). Both know their owner, so a release by a process
/// that does not hold the lock is refused.
class LockObject final : public SharedObject {
 public:
  LockObject(std::uint64_t id, std::string description, bool recursive);
  void handle(ObjectCall& call, ObjectTable& table) override;
  std::vector<ParkedCalls*> parked_lists() override { return {&waiters_}; }

  bool held_by(std::uint64_t client) const { return owner_ == client; }
  /// Releases every level `client` holds (Condition.wait); returns how many it held.
  std::uint32_t release_all(std::uint64_t client, ObjectTable& table);
  /// Queues `call` for the lock; when granted, the caller holds it `levels` times and `call` is
  /// answered ok with `value`.
  void enqueue(ObjectCall&& call, ObjectTable& table);

 private:
  void grant_next(ObjectTable& table);

  bool recursive_;
  std::optional<std::uint64_t> owner_;
  std::uint32_t levels_ = 0;
  ParkedCalls waiters_;
};

class SemaphoreObject final : public SharedObject {
 public:
  SemaphoreObject(std::uint64_t id, std::string description, std::int64_t initial, bool bounded);
  void handle(ObjectCall& call, ObjectTable& table) override;
  std::vector<ParkedCalls*> parked_lists() override { return {&waiters_}; }

 private:
  std::int64_t value_;
  std::optional<std::int64_t> bound_;
  ParkedCalls waiters_;
};

class EventObject final : public SharedObject {
 public:
  EventObject(std::uint64_t id, std::string description);
  void handle(ObjectCall& call, ObjectTable& table) override;
  std::vector<ParkedCalls*> parked_lists() override { return {&waiters_}; }

 private:
  bool set_ = false;
  ParkedCalls waiters_;
};

class BarrierObject final : public SharedObject {
 public:
  BarrierObject(std::uint64_t id, std::string description, std::uint32_t parties);
  void handle(ObjectCall& call, ObjectTable& table) override;
  /// A party timed out: as in Python, the barrier breaks for everyone waiting.
  void expire(ObjectCall call, ObjectTable& table) override;
  std::vector<ParkedCalls*> parked_lists() override { return {&waiting_}; }

 private:
  void break_barrier(ObjectTable& table);

  std::uint32_t parties_;
  bool broken_ = false;
  ParkedCalls waiting_;
};

/// Waiters release the condition's lock while they wait and hold it again when they return.
class ConditionObject final : public SharedObject {
 public:
  ConditionObject(std::uint64_t id, std::string description, LockObject& lock);
  void handle(ObjectCall& call, ObjectTable& table) override;
  /// A waiter timed out: it still takes the lock back before it returns (false).
  void expire(ObjectCall call, ObjectTable& table) override;
  std::vector<ParkedCalls*> parked_lists() override { return {&waiters_}; }

 private:
  LockObject& lock_;
  ParkedCalls waiters_;
};

class ValueObject final : public SharedObject {
 public:
  ValueObject(std::uint64_t id, std::string description, std::vector<char> initial);
  void handle(ObjectCall& call, ObjectTable& table) override;
  std::vector<ParkedCalls*> parked_lists() override { return {}; }

 private:
  std::vector<char> bytes_;
};

/// A started Process, as the driver sees it: joins wait here until its exit is reported.
class ProcessObject final : public SharedObject {
 public:
  ProcessObject(std::uint64_t id, std::string name);
  void handle(ObjectCall& call, ObjectTable& table) override;
  std::vector<ParkedCalls*> parked_lists() override { return {&joiners_}; }

  void exited(int exitcode, ObjectTable& table);
  std::optional<int> exitcode() const { return exitcode_; }

 private:
  std::optional<int> exitcode_;
  ParkedCalls joiners_;
};

}  // namespace multirank::detail
