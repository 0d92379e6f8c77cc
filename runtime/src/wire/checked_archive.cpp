// Boost.Serialization compiles its archives' members in its own library, for its own archive
// types only: CheckedBinaryIarchive's are compiled here, as Boost's guide to derived archives says.
#include "multirank/detail/checked_archive.hpp"

#include <boost/archive/impl/archive_serializer_map.ipp>
#include <boost/archive/impl/basic_binary_iarchive.ipp>
#include <boost/archive/impl/basic_binary_iprimitive.ipp>

namespace boost::archive {
template class detail::archive_serializer_map<multirank::detail::CheckedBinaryIarchive>;
template class basic_binary_iarchive<multirank::detail::CheckedBinaryIarchive>;
template class basic_binary_iprimitive<multirank::detail::CheckedBinaryIarchive, char,
                                       std::char_traits<char>>;
}  // namespace boost::archive
