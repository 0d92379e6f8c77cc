// How a C++ value becomes bytes on the wire and back. Plain data (numbers, strings, vectors,
// tuples, optionals of those) is copied directly; everything else goes through Boost.Serialization,
// and a type Boost cannot carry (or a pointer) stops compilation with one message naming it.
// The fast path exists because opening and closing one Boost archive costs more than a whole tiny
// task's round trip, which alone would cap tiny tasks far below the throughput multirank promises.
#pragma once

#include <algorithm>
#include <array>
#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <cstdint>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "multirank/detail/byte_buffer.hpp"
#include "multirank/detail/checked_archive.hpp"
#include "multirank/detail/wire_type_check.hpp"

namespace multirank::detail {

template <class T>
struct is_std_vector : std::false_type {};
template <class T, class A>
struct is_std_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

template <class T>
struct is_tuple_like : std::false_type {};
template <class... T>
struct is_tuple_like<std::tuple<T...>> : std::true_type {};
template <class A, class B>
struct is_tuple_like<std::pair<A, B>> : std::true_type {};

template <class T>
struct is_std_optional : std::false_type {};
template <class T>
struct is_std_optional<std::optional<T>> : std::true_type {};

template <class T>
inline constexpr bool is_plain_scalar_v = (std::is_arithmetic_v<T> ||
                                           std::is_enum_v<T>)&&!std::is_same_v<T, bool>;

inline constexpr unsigned boost_archive_flags =
    boost::archive::no_header | boost::archive::no_codecvt;

/// Whether T's bytes are written by the fast path below rather than by a Boost archive.
template <class T>
constexpr bool has_fast_path() {
  return std::is_same_v<T, std::monostate> || std::is_same_v<T, bool> || is_plain_scalar_v<T> ||
         std::is_same_v<T, std::string> || is_std_vector<T>::value || is_std_array<T>::value ||
         is_tuple_like<T>::value || is_std_optional<T>::value;
}

/// Whether a vector of T is written as one Boost archive holding every element. Checked in two
/// steps so that a fast-path type never instantiates the Boost check (a std::tuple<> would fail
/// it). Empty classes keep an archive each: in one archive they take no bytes per element, and a
/// count read off the wire could then not be checked against the bytes left.
template <class T>
constexpr bool vector_of_boost_elements() {
  if constexpr (has_fast_path<T>() || std::is_empty_v<T>) {
    return false;
  } else {
    return boost_accepts<T>();
  }
}

/// Runs `write(archive)` on one Boost archive whose bytes follow their length in `out`.
template <class Write>
void encode_with_boost(ByteWriter& out, Write write) {
  const std::size_t length_at = out.reserve(sizeof(std::uint64_t));
  const std::size_t start = out.size();
  {
    WriterStreambuf stream(out);
    boost::archive::binary_oarchive archive(stream, boost_archive_flags);
    write(archive);
  }
  out.patch_pod<std::uint64_t>(length_at, out.size() - start);
}

/// Element count of a container read off the wire, checked against the bytes left so a corrupted
/// count fails cleanly instead of allocating without bound. Elements that take no bytes at all
/// count as one byte each: a count of them can be no larger than the bytes left either.
inline std::uint64_t decode_count(ByteReader& in, std::size_t min_element_bytes) {
  const auto count = in.read_pod<std::uint64_t>();
  if (count > in.remaining() / std::max<std::size_t>(min_element_bytes, 1)) {
    throw DecodeError("corrupted message: a container claims " + std::to_string(count) +
                      " elements but only " + std::to_string(in.remaining()) + " bytes remain");
  }
  return count;
}

/// Runs `read(archive)` on the archive encode_with_boost wrote; what Boost or the bytes refuse is
/// a DecodeError.
template <class Read>
void decode_with_boost(ByteReader& in, Read read) {
  const auto length = decode_count(in, 1);
  ReaderStreambuf stream(in.take(length));
  try {
    CheckedBinaryIarchive archive(stream, boost_archive_flags);
    read(archive);
  } catch (const boost::archive::archive_exception& e) {
    throw DecodeError(std::string("Boost.Serialization could not read the value: ") + e.what());
  } catch (const DecodeError& e) {
    // A garbled count inside the archive, refused by the archive or by the bytes running out.
    throw DecodeError(std::string("Boost.Serialization could not read the value (") + e.what() +
                      ")");
  } catch (const std::bad_alloc& e) {
    throw DecodeError(std::string("Boost.Serialization could not read the value (") + e.what() +
                      ": a garbled size?)");
  } catch (const std::length_error& e) {
    throw DecodeError(std::string("Boost.Serialization could not read the value (") + e.what() +
                      ": a garbled size?)");
  }
  // Anything else a type's own load() threw is the user's own error, and keeps its type.
}

template <class T>
void encode(ByteWriter& out, const T& value);
template <class T>
void decode(ByteReader& in, T& value);

template <class T>
constexpr std::size_t min_encoded_bytes();

/// The fewest bytes a tuple's or pair's parts take together.
template <class T>
struct min_parts_bytes;
template <class... P>
struct min_parts_bytes<std::tuple<P...>> {
  static constexpr std::size_t value = (std::size_t{0} + ... + min_encoded_bytes<P>());
};
template <class A, class B>
struct min_parts_bytes<std::pair<A, B>> {
  static constexpr std::size_t value = min_encoded_bytes<A>() + min_encoded_bytes<B>();
};

/// The fewest bytes any value of T takes on the wire: a bound on how many elements the bytes
/// left in a message can hold, checked before allocating for a count read off the wire.
template <class T>
constexpr std::size_t min_encoded_bytes() {
  if constexpr (std::is_same_v<T, std::monostate>) {
    return 0;
  } else if constexpr (std::is_same_v<T, bool> || is_std_optional<T>::value) {
    return 1;
  } else if constexpr (is_plain_scalar_v<T>) {
    return sizeof(T);
  } else if constexpr (is_std_array<T>::value) {
    return std::tuple_size_v<T> * min_encoded_bytes<typename T::value_type>();
  } else if constexpr (is_tuple_like<T>::value) {
    return min_parts_bytes<T>::value;
  } else {
    return sizeof(std::uint64_t);  // strings, vectors and Boost archives start with a length
  }
}

template <class T>
void encode(ByteWriter& out, const T& value) {
  if constexpr (std::is_same_v<T, std::monostate>) {
    // void results carry no bytes
  } else if constexpr (std::is_same_v<T, bool>) {
    out.write_pod<std::uint8_t>(value ? 1 : 0);
  } else if constexpr (is_plain_scalar_v<T>) {
    out.write_pod(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    out.write_pod<std::uint64_t>(value.size());
    out.write(value.data(), value.size());
  } else if constexpr (is_std_vector<T>::value) {
    using Element = typename T::value_type;
    out.write_pod<std::uint64_t>(value.size());
    if constexpr (is_plain_scalar_v<Element>) {
      out.write(value.data(), value.size() * sizeof(Element));
    } else if constexpr (vector_of_boost_elements<Element>()) {
      // All the elements in one archive: opening one per element cost more than a small
      // element's own bytes (a result list of small structs, one per image).
      encode_with_boost(out, [&value](auto& archive) {
        for (const auto& element : value) archive << static_cast<const Element&>(element);
      });
    } else {
      for (const auto& element : value) encode(out, static_cast<const Element&>(element));
    }
  } else if constexpr (is_std_array<T>::value) {
    for (const auto& element : value) encode(out, element);
  } else if constexpr (is_tuple_like<T>::value) {
    std::apply([&](const auto&... parts) { (encode(out, parts), ...); }, value);
  } else if constexpr (is_std_optional<T>::value) {
    out.write_pod<std::uint8_t>(value.has_value() ? 1 : 0);
    if (value) encode(out, *value);
  } else if constexpr (!boost_accepts<T>()) {
    // refused at compile time, with WireTypeCheck's message naming T
  } else {
    encode_with_boost(out, [&value](auto& archive) { archive << value; });
  }
}

template <class T>
void decode(ByteReader& in, T& value) {
  if constexpr (std::is_same_v<T, std::monostate>) {
  } else if constexpr (std::is_same_v<T, bool>) {
    value = in.read_pod<std::uint8_t>() != 0;
  } else if constexpr (is_plain_scalar_v<T>) {
    value = in.read_pod<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    const auto size = decode_count(in, 1);
    auto bytes = in.take(size);
    value.assign(bytes.data(), bytes.size());
  } else if constexpr (is_std_vector<T>::value) {
    using Element = typename T::value_type;
    if constexpr (sizeof(Element) == 1 && is_plain_scalar_v<Element>) {
      // Bytes are assigned straight from the message: no zero-filling pass over a large blob.
      const auto bytes = in.take(decode_count(in, 1));
      const auto* first = reinterpret_cast<const Element*>(bytes.data());
      value.assign(first, first + bytes.size());
    } else if constexpr (is_plain_scalar_v<Element>) {
      const auto count = decode_count(in, sizeof(Element));
      value.resize(count);
      in.read(value.data(), count * sizeof(Element));
    } else if constexpr (vector_of_boost_elements<Element>()) {
      // Checked as inside an archive: an element may take no bytes at all (a class whose
      // serialize() writes nothing), so only a count beyond the bytes left and beyond a small
      // number is refused.
      const auto count = in.read_pod<std::uint64_t>();
      CheckedBinaryIarchive::check_count(count, in.remaining());
      value.clear();
      value.resize(count);  // loaded in place: each element keeps its own address for Boost
      decode_with_boost(in, [&value](auto& archive) {
        for (auto& element : value) archive >> element;
      });
    } else {
      const auto count = decode_count(in, min_encoded_bytes<Element>());
      value.clear();
      value.reserve(count);
      for (std::uint64_t i = 0; i < count; ++i) {
        Element element{};
        decode(in, element);
        value.push_back(std::move(element));
      }
    }
  } else if constexpr (is_std_array<T>::value) {
    for (auto& element : value) decode(in, element);
  } else if constexpr (is_tuple_like<T>::value) {
    std::apply([&](auto&... parts) { (decode(in, parts), ...); }, value);
  } else if constexpr (is_std_optional<T>::value) {
    if (in.read_pod<std::uint8_t>() != 0) {
      typename T::value_type inner{};
      decode(in, inner);
      value = std::move(inner);
    } else {
      value.reset();
    }
  } else if constexpr (!boost_accepts<T>()) {
    // refused at compile time, with WireTypeCheck's message naming T
  } else {
    decode_with_boost(in, [&value](auto& archive) { archive >> value; });
  }
}

/// Encodes a value into a fresh byte vector.
template <class T>
std::vector<char> encode_to_bytes(const T& value) {
  std::vector<char> bytes;
  bytes.reserve(64);  // also keeps GCC 12 from misreading small writes into an empty vector
  ByteWriter out(bytes);
  encode(out, value);
  return bytes;
}

/// Decodes a whole byte span as one T; bytes left over mean the sender wrote another type.
template <class T>
T decode_all(std::span<const char> bytes) {
  ByteReader in(bytes);
  T value{};
  decode(in, value);
  if (in.remaining() != 0) {
    throw DecodeError(std::to_string(in.remaining()) +
                      " unexpected bytes after the value: the sender encoded another type");
  }
  return value;
}

}  // namespace multirank::detail
