// The archive that reads Boost-serialised values from other ranks: Boost's binary input archive,
// except that a container count larger than the bytes left to read is refused before the
// container reserves room for it. Boost reserves first, so a garbled count asked for an
// impossible allocation, which throws std::bad_alloc at best and, under AddressSanitizer, ends the
// process (found by the ASan job on test_wire_decoding's random bytes).
#pragma once

#include <boost/archive/binary_iarchive_impl.hpp>
#include <boost/archive/detail/register_archive.hpp>
#include <boost/serialization/collection_size_type.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "multirank/detail/byte_buffer.hpp"
#include "multirank/error.hpp"

namespace multirank::detail {

class CheckedBinaryIarchive
    : public boost::archive::binary_iarchive_impl<CheckedBinaryIarchive, char,
                                                  std::char_traits<char>> {
  using Base =
      boost::archive::binary_iarchive_impl<CheckedBinaryIarchive, char, std::char_traits<char>>;
  friend class boost::archive::detail::interface_iarchive<CheckedBinaryIarchive>;
  friend class boost::archive::basic_binary_iarchive<CheckedBinaryIarchive>;
  friend class boost::archive::load_access;

 public:
  /// Counts up to this are always taken: a container of empty objects takes no bytes per element.
  static constexpr std::size_t always_allowed_count = 1024;

  /// Refuses a container count read off the wire that the bytes left cannot hold.
  static void check_count(std::uint64_t claimed, std::size_t remaining) {
    if (claimed > always_allowed_count && claimed > remaining) {
      throw DecodeError("a container claims " + std::to_string(claimed) + " elements, but only " +
                        std::to_string(remaining) + " bytes are left to read");
    }
  }

  CheckedBinaryIarchive(ReaderStreambuf& stream, unsigned int flags)
      : Base(stream, flags), stream_(stream) {
    init(flags);
  }

 protected:
  template <class T>
  void load_override(T& value) {
    Base::load_override(value);
  }
  void load_override(boost::serialization::collection_size_type& count) {
    Base::load_override(count);
    check_count(static_cast<std::size_t>(count), stream_.remaining());
  }

 private:
  ReaderStreambuf& stream_;
};

}  // namespace multirank::detail

BOOST_SERIALIZATION_REGISTER_ARCHIVE(multirank::detail::CheckedBinaryIarchive)
BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(multirank::detail::CheckedBinaryIarchive)
