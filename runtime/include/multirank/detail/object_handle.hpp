// A handle on a shared object. Made on any rank; the object itself is created on the driver at
// first use, so a handle that only ever gets decoded into (a process's argument) creates nothing.
// Copies in one process share the handle's state (so closing one closes them all, as closing a
// Python object does); a copy sent to another process is a separate handle on the same object.
#pragma once

#include <boost/serialization/split_member.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "multirank/detail/object_client.hpp"

namespace multirank::detail {

class ObjectHandle {
 public:
  ObjectHandle() : state_(std::make_shared<State>()) {}
  ObjectHandle(ObjectKind kind, std::int64_t parameter, std::uint32_t flags = 0,
               std::vector<char> initial = {})
      : state_(std::make_shared<State>()) {
    state_->kind = kind;
    state_->parameter = parameter;
    state_->flags = flags;
    state_->initial = std::move(initial);
  }

  /// A handle whose creation parameter is known only at first use (a Condition's lock id).
  ObjectHandle(ObjectKind kind, std::function<std::int64_t()> parameter)
      : state_(std::make_shared<State>()) {
    state_->kind = kind;
    state_->late_parameter = std::move(parameter);
  }

  /// The object's id, creating it on the driver if this is its first use.
  std::uint64_t id() const {
    std::lock_guard lock(state_->mutex);
    if (state_->id == 0) {
      if (state_->kind == ObjectKind{}) {
        throw StateError("a default-constructed multirank handle refers to no shared object");
      }
      if (state_->late_parameter) state_->parameter = state_->late_parameter();
      state_->id = create_object(state_->kind, state_->parameter, state_->flags, state_->initial);
      state_->initial.clear();
    }
    return state_->id;
  }
  bool closed() const {
    std::lock_guard lock(state_->mutex);
    return state_->closed;
  }
  void mark_closed() {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
  }

  template <class Archive>
  void save(Archive& archive, unsigned /*version*/) const {
    const std::uint64_t object = id();
    archive << object;
  }
  template <class Archive>
  void load(Archive& archive, unsigned /*version*/) {
    std::uint64_t object = 0;
    archive >> object;
    state_ = std::make_shared<State>();
    state_->id = object;
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()

 private:
  struct State {
    std::mutex mutex;
    std::uint64_t id = 0;
    ObjectKind kind{};
    std::int64_t parameter = 0;
    std::uint32_t flags = 0;
    std::vector<char> initial;
    std::function<std::int64_t()> late_parameter;
    bool closed = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace multirank::detail
