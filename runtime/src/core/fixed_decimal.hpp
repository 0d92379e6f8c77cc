// An integer count of small units written as a decimal of larger ones (nanoseconds as
// microseconds with 3 places, or as seconds with 9): the same text fmt gives the double with
// "{:.3f}" or "{:.9f}", made from integers, because the profile reports write millions of them and
// fmt's fixed-precision float formatting was the largest part of writing trace.json and tasks.csv.
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <cstdint>

namespace multirank::detail {

/// `units` / 10^places, written with exactly `places` decimals.
struct FixedDecimal {
  std::int64_t units;
  int places;
};

/// Writes `units` / 10^places with exactly `places` decimals at `at` (room for 48 characters);
/// returns the end.
inline char* write_fixed_decimal(char* at, std::int64_t units, int places) {
  // Magnitude as unsigned, so the most negative value has one too.
  std::uint64_t magnitude = static_cast<std::uint64_t>(units);
  if (units < 0) {
    *at++ = '-';
    magnitude = ~magnitude + 1;
  }
  std::uint64_t scale = 1;
  for (int i = 0; i < places; ++i) scale *= 10;
  at = std::to_chars(at, at + 24, magnitude / scale).ptr;
  *at++ = '.';
  // The fraction, zero-padded on the left to `places` digits.
  std::uint64_t fraction = magnitude % scale;
  for (int i = places - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  return at + places;
}

/// Nanoseconds as microseconds, 3 decimals.
inline FixedDecimal micros_text(std::int64_t ns) { return {ns, 3}; }
/// Nanoseconds as seconds, 9 decimals.
inline FixedDecimal seconds_text(std::int64_t ns) { return {ns, 9}; }

}  // namespace multirank::detail

template <>
struct fmt::formatter<multirank::detail::FixedDecimal> {
  constexpr auto parse(format_parse_context& context) { return context.begin(); }

  template <class Context>
  auto format(const multirank::detail::FixedDecimal& value, Context& context) const {
    char text[48];
    char* at = multirank::detail::write_fixed_decimal(text, value.units, value.places);
    return std::copy(text, at, context.out());
  }
};
