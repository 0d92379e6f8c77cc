// Which types can travel between ranks, decided at compile time so that a type that cannot is
// refused with one message naming it, instead of Boost.Serialization's pages of template errors.
// The codec asks once per type it hands to Boost; the plain types it copies itself never get here.
#pragma once

#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/level.hpp>
#include <boost/serialization/serialization.hpp>
#include <concepts>
#include <type_traits>

namespace multirank::detail {

namespace serialize_lookup {

/// What the probe below returns: seeing it means no serialize() more specific than Boost's
/// catch-all (which only forwards to a member) exists for T.
struct OnlyCatchAll {};

// Ties with every free serialize(Archive&, T&, unsigned) written for a specific T (this one is
// more specific in the archive, that one in T), so the call is ambiguous exactly when such an
// overload exists; and it beats Boost's catch-all, which is more general in both.
template <class T>
OnlyCatchAll serialize(boost::archive::binary_oarchive&, T&, const unsigned int);

/// The call Boost itself makes (serialize_adl: its version_type brings boost::serialization, where
/// the headers for standard containers put their overloads, into argument-dependent lookup).
/// Checked where the codec is instantiated, so it sees the overloads the user's file includes.
template <class T>
concept only_catch_all = requires(boost::archive::binary_oarchive& archive, T& value,
                                  const boost::serialization::version_type version) {
  { serialize(archive, value, version) } -> std::same_as<OnlyCatchAll>;
};

// A member named serialize, save or load, found even when private (Boost reaches it through a
// friend boost::serialization::access): lookup in a class deriving from T and from these is
// ambiguous, and so invalid, exactly when T has such a member.
struct MemberNames {
  void serialize();
  void save();
  void load();
};
template <class T>
struct WithMemberNames : T, MemberNames {};
template <class T>
concept lacks_members = requires {
  &WithMemberNames<T>::serialize;
  &WithMemberNames<T>::save;
  &WithMemberNames<T>::load;
};

}  // namespace serialize_lookup

/// Whether Boost.Serialization can write and read a T: a type it treats as primitive (numbers,
/// std::string), or one with a serialize (or save/load) member, or a free serialize overload in
/// T's namespace or in boost::serialization. Where it cannot tell (a final class or a union may
/// hide private members from the check), it says yes and leaves the verdict to Boost.
template <class T>
constexpr bool boost_can_serialize() {
  if constexpr (boost::serialization::implementation_level<T>::value ==
                boost::serialization::primitive_type) {
    return true;
  } else if constexpr (!serialize_lookup::only_catch_all<T>) {
    return true;
  } else if constexpr (std::is_class_v<T> && !std::is_final_v<T>) {
    return !serialize_lookup::lacks_members<T>;
  } else {
    return std::is_class_v<T> || std::is_union_v<T>;
  }
}

// The conditions below are named so that GCC's note under a failed check ("... evaluates to
// false") repeats what failed, with the type.
template <class T>
inline constexpr bool is_not_a_pointer_v = !std::is_pointer_v<T> && !std::is_member_pointer_v<T>;
template <class T>
inline constexpr bool is_serializable_v = !is_not_a_pointer_v<T> || boost_can_serialize<T>();

/// The check of a type the codec hands to Boost. A class, so that its message appears once per
/// type however many encode and decode instantiations ask.
template <class T>
struct WireTypeCheck {
  static_assert(is_not_a_pointer_v<T>,
                "multirank: pointers cannot cross ranks (an address means nothing in another "
                "process; the type is named above): pass or return the value itself, or a "
                "std::vector or std::string holding it");
  static_assert(is_serializable_v<T>,
                "multirank: this type (named above) cannot be serialised: add a serialize() "
                "member or a free serialize(Archive&, T&, unsigned) (see Boost.Serialization), "
                "and include the Boost header for standard containers such as "
                "<boost/serialization/map.hpp>");
  static constexpr bool accepted = is_not_a_pointer_v<T> && is_serializable_v<T>;
};

/// True for a type Boost can carry; for any other, compilation stops at WireTypeCheck's message.
template <class T>
constexpr bool boost_accepts() {
  return WireTypeCheck<T>::accepted;
}

}  // namespace multirank::detail
