// A handle on a shared object. Made on any rank; the object itself is created on the driver at
// first use, so a handle that only ever gets decoded into (a process's argument) creates nothing.
// Copies in one process share the handle's state (so closing one closes them all, as closing a
// Python object does); a copy sent to another process is a separate handle on the same object.
// The handle carries the object's kind and name, so errors raised in the calling process name
// the object as the driver's diagnostics do.
#pragma once

#include <boost/serialization/split_member.hpp>
#include <boost/serialization/vector.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "multirank/detail/object_client.hpp"
#include "multirank/detail/object_description.hpp"

namespace multirank::detail {

class ObjectHandle {
 public:
  ObjectHandle() : state_(std::make_shared<State>()) {}
  /// `name` may be empty: the object is then called by its kind and id.
  ObjectHandle(ObjectKind kind, std::string name, std::int64_t parameter, std::uint32_t flags = 0,
               std::vector<char> initial = {})
      : state_(std::make_shared<State>()) {
    state_->kind = kind;
    state_->name = std::move(name);
    state_->parameter = parameter;
    state_->flags = flags;
    state_->initial = std::move(initial);
  }

  /// A handle whose creation parameter is known only at first use (a Condition's lock id).
  ObjectHandle(ObjectKind kind, std::string name, std::function<std::int64_t()> parameter)
      : state_(std::make_shared<State>()) {
    state_->kind = kind;
    state_->name = std::move(name);
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
      state_->id = create_object(state_->kind, state_->parameter, state_->flags, state_->name,
                                 state_->initial);
      state_->initial.clear();
    }
    return state_->id;
  }
  /// The name it was given; empty if none.
  const std::string& name() const noexcept { return state_->name; }
  /// How messages call the object: "Queue 'chunks'", or "Queue 4" when it has no name.
  std::string describe() const {
    return describe_object(state_->kind, state_->flags, id(), state_->name);
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
    const auto kind = static_cast<std::uint8_t>(state_->kind);
    // As bytes: Boost allocates a std::string's claimed length before reading it, while a
    // vector's count is checked against the bytes left (checked_archive.hpp).
    const std::vector<char> name(state_->name.begin(), state_->name.end());
    archive << object << kind << state_->flags << name;
  }
  template <class Archive>
  void load(Archive& archive, unsigned /*version*/) {
    std::uint64_t object = 0;
    std::uint8_t kind = 0;
    std::uint32_t flags = 0;
    std::vector<char> name;
    archive >> object >> kind >> flags >> name;
    state_ = std::make_shared<State>();
    state_->id = object;
    state_->kind = static_cast<ObjectKind>(kind);
    state_->flags = flags;
    state_->name.assign(name.begin(), name.end());
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()

 private:
  struct State {
    std::mutex mutex;
    std::uint64_t id = 0;
    ObjectKind kind{};
    std::string name;
    std::int64_t parameter = 0;
    std::uint32_t flags = 0;
    std::vector<char> initial;
    std::function<std::int64_t()> late_parameter;
    bool closed = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace multirank::detail
