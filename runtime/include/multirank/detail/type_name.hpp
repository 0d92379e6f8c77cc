// Readable, compiler-stable names of C++ types, used in task signatures and error messages
// ("task 'square' expects (int) but was sent (std::string)").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace multirank::detail {

template <class T>
constexpr std::string_view type_name() {
  // __PRETTY_FUNCTION__ reads "... type_name() [with T = int; std::string_view = ...]".
  std::string_view pretty = __PRETTY_FUNCTION__;
  constexpr std::string_view marker = "T = ";
  const auto start = pretty.find(marker) + marker.size();
  const auto end = pretty.find_first_of(";]", start);
  return pretty.substr(start, end - start);
}

template <class R, class... Args>
std::string signature_of() {
  std::string text(type_name<R>());
  text += "(";
  bool first = true;
  ((text += (first ? "" : ", "), text += type_name<Args>(), first = false), ...);
  text += ")";
  return text;
}

/// FNV-1a, 64 bit: stable across ranks and builds, which std::hash is not required to be.
constexpr std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace multirank::detail
