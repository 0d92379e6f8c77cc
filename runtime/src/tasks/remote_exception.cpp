// Registered exception types: registration, and finding where one came from.
#include "multirank/remote_exception.hpp"

namespace multirank {

std::optional<RemoteError> remote_origin(const std::exception& error) {
  const auto* nested = dynamic_cast<const std::nested_exception*>(&error);
  if (nested == nullptr || !nested->nested_ptr()) return std::nullopt;
  try {
    nested->rethrow_nested();
  } catch (const RemoteError& origin) {
    return origin;
  } catch (...) {
  }
  return std::nullopt;
}

namespace detail {

const ExceptionEntry& register_exception_entry(ExceptionEntry entry) {
  return Registry::instance().add_exception(std::move(entry));
}

}  // namespace detail

}  // namespace multirank
