// Exceptions that cross ranks as themselves. An exception a task throws on another rank comes
// back as a RemoteError carrying its type's name and message; a type registered here comes back
// as itself, fields included, so `catch (const BadSample&)` works on the driver, with the
// RemoteError (rank, host, task, stage) nested inside it.
#pragma once

#include <boost/serialization/split_member.hpp>
#include <boost/serialization/string.hpp>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "multirank/detail/codec.hpp"
#include "multirank/detail/registry.hpp"
#include "multirank/detail/type_name.hpp"
#include "multirank/error.hpp"
#include "multirank/task.hpp"

namespace multirank {

/// A std::runtime_error whose message serialises: the base for exception types that cross ranks.
/// Derive from it, add fields, serialise them after the base, and register the type.
///
/// @code
///   struct BadSample : multirank::Exception {
///     int index = 0;
///     BadSample() = default;                           // needed to decode it
///     BadSample(const std::string& what, int index) : Exception(what), index(index) {}
///     template <class Archive>
///     void serialize(Archive& archive, unsigned) {
///       archive & boost::serialization::base_object<multirank::Exception>(*this) & index;
///     }
///   };
///   MULTIRANK_EXCEPTION(BadSample);                    // namespace scope, every rank
///   ...
///   try { future.result(); }
///   catch (const BadSample& e) {                       // thrown by the task on rank 3
///     std::cout << e.index << " " << multirank::remote_origin(e)->rank();
///   }
/// @endcode
/// (`boost::serialization::base_object` is in <boost/serialization/base_object.hpp>.)
class Exception : public std::runtime_error {
 public:
  Exception() : std::runtime_error("") {}
  /// An exception whose what() is `what`.
  explicit Exception(const std::string& what) : std::runtime_error(what) {}

  template <class Archive>
  void save(Archive& archive, unsigned /*version*/) const {
    const std::string message = what();
    archive << message;
  }
  template <class Archive>
  void load(Archive& archive, unsigned /*version*/) {
    std::string message;
    archive >> message;
    static_cast<std::runtime_error&>(*this) = std::runtime_error(message);
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()
};

/// The RemoteError nested in an exception that crossed ranks as itself (where it ran: rank, host,
/// task, stage); empty for any other exception.
std::optional<RemoteError> remote_origin(const std::exception& error);

namespace detail {

template <class E>
void save_current_exception(ByteWriter& out) {
  try {
    throw;
  } catch (const E& error) {
    encode(out, error);
  }
}

template <class E>
std::exception_ptr nest_in(E&& error, std::exception_ptr origin) {
  try {
    std::rethrow_exception(std::move(origin));
  } catch (...) {
    try {
      std::throw_with_nested(std::forward<E>(error));
    } catch (...) {
      return std::current_exception();
    }
  }
}

template <class E>
std::exception_ptr load_nested_exception(std::span<const char> bytes, std::exception_ptr origin) {
  return nest_in(decode_all<E>(bytes), std::move(origin));
}

template <class E>
std::exception_ptr nest_current_exception(std::exception_ptr origin) {
  try {
    throw;
  } catch (const E& error) {
    return nest_in(E(error), std::move(origin));
  }
}

const ExceptionEntry& register_exception_entry(ExceptionEntry entry);

}  // namespace detail

/// Registers `E` under `name` on this rank, so that an E thrown in a task (or by its arguments'
/// or result's serialisation) reaches the driver as an E. Call it identically on every rank, at
/// namespace scope; the registries are compared at start-up like the tasks. `E` must be a class
/// derived from std::exception, default-constructible, copyable, not final, and serialisable with
/// Boost (multirank::Exception is a ready base). Only the exact type is matched: an exception of
/// an unregistered type derived from E comes back as a RemoteError.
template <class E>
const detail::ExceptionEntry& register_exception(std::string name) {
  static_assert(std::is_class_v<E> && std::is_base_of_v<std::exception, E>,
                "multirank::register_exception: the type must derive from std::exception");
  static_assert(!std::is_final_v<E>,
                "multirank::register_exception: the type must not be final (it is rethrown with "
                "its origin nested, through a class derived from it)");
  static_assert(std::is_default_constructible_v<E>,
                "multirank::register_exception: the type needs a default constructor, to be "
                "decoded on the driver");
  static_assert(std::is_copy_constructible_v<E>,
                "multirank::register_exception: the type must be copyable, as exceptions are");
  detail::ExceptionEntry entry{std::move(name),
                               0,
                               &typeid(E),
                               &detail::save_current_exception<E>,
                               &detail::load_nested_exception<E>,
                               &detail::nest_current_exception<E>};
  entry.id = detail::fnv1a("exception " + entry.name);
  return detail::register_exception_entry(std::move(entry));
}

}  // namespace multirank

/// Registers the exception type `E` under its name as written (`MULTIRANK_EXCEPTION(BadSample)`,
/// `MULTIRANK_EXCEPTION(io::ReadError)`). Use at namespace scope, in a file every rank links.
#define MULTIRANK_EXCEPTION(...)                                                                   \
  [[maybe_unused]] static const auto& MULTIRANK_DETAIL_CONCAT(multirank_exception_, __COUNTER__) = \
      ::multirank::register_exception<__VA_ARGS__>(#__VA_ARGS__)
