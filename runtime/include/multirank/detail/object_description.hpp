// What errors and diagnostics call a shared object: its kind and the name it was given
// ("Queue 'chunks'"), or its kind and id when it has none ("Queue 4"). Every message that names
// a shared object, whether the driver or the calling process makes it, is worded here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "multirank/detail/object_protocol.hpp"

namespace multirank::detail {

/// "Queue", "JoinableQueue", "Lock"...: the public class a kind (and its creation flags) stands
/// for.
const char* object_kind_name(ObjectKind kind, std::uint32_t flags);

/// "Queue 'chunks'" for a named object, "Queue 4" for an unnamed one.
std::string describe_object(ObjectKind kind, std::uint32_t flags, std::uint64_t id,
                            std::string_view name);

}  // namespace multirank::detail
