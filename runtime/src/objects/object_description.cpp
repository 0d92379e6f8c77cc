// The wording of a shared object's description (object_description.hpp).
#include "multirank/detail/object_description.hpp"

namespace multirank::detail {

const char* object_kind_name(ObjectKind kind, std::uint32_t flags) {
  switch (kind) {
    case ObjectKind::queue:
      return (flags & joinable_queue_flag) ? "JoinableQueue" : "Queue";
    case ObjectKind::pipe:
      return "Pipe";
    case ObjectKind::lock:
      return "Lock";
    case ObjectKind::rlock:
      return "RLock";
    case ObjectKind::semaphore:
      return "Semaphore";
    case ObjectKind::bounded_semaphore:
      return "BoundedSemaphore";
    case ObjectKind::event:
      return "Event";
    case ObjectKind::barrier:
      return "Barrier";
    case ObjectKind::condition:
      return "Condition";
    case ObjectKind::value:
      return "Value";
    case ObjectKind::process:
      return "Process";
  }
  return "shared object";
}

std::string describe_object(ObjectKind kind, std::uint32_t flags, std::uint64_t id,
                            std::string_view name) {
  std::string description = object_kind_name(kind, flags);
  description += ' ';
  if (name.empty()) {
    description += std::to_string(id);
  } else {
    description += '\'';
    description += name;
    description += '\'';
  }
  return description;
}

}  // namespace multirank::detail
