// An integer count of small units written as a decimal of larger ones (nanoseconds as
// microseconds with 3 places, or as seconds with 9): the same text fmt gives the double with
// "{:.3f}" or "{:.9f}", made from integers, because the profile reports write millions of them and
// fmt's fixed-precision float formatting was the largest part of writing trace.json and tasks.csv.
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <cstring>

namespace multirank::detail {

/// `units` / 10^Places, written with exactly Places decimals. The places are part of the type so
/// that the divisions by powers of ten are multiplications: with the divisor known only at run
/// time, they were most of the time of writing tasks.csv.
template <int Places>
struct FixedDecimal {
  static_assert(Places >= 0 && Places <= 18);
  std::int64_t units;
};

/// Writes `value` at `at` (room for 48 characters); returns the end.
template <int Places>
inline char* write_fixed_decimal(char* at, FixedDecimal<Places> value) {
  constexpr std::uint64_t scale = [] {
    std::uint64_t power = 1;
    for (int i = 0; i < Places; ++i) power *= 10;
    return power;
  }();
  // Magnitude as unsigned, so the most negative value has one too.
  std::uint64_t magnitude = static_cast<std::uint64_t>(value.units);
  if (value.units < 0) {
    *at++ = '-';
    magnitude = ~magnitude + 1;
  }
  at = std::to_chars(at, at + 24, magnitude / scale).ptr;
  if constexpr (Places == 0) return at;
  *at++ = '.';
  // The fraction, zero-padded on the left to Places digits, two digits per step.
  static constexpr char digit_pairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  std::uint64_t fraction = magnitude % scale;
  int digits = Places;
  for (; digits >= 2; digits -= 2) {
    std::memcpy(at + digits - 2, digit_pairs + 2 * (fraction % 100), 2);
    fraction /= 100;
  }
  if (digits == 1) at[0] = static_cast<char>('0' + fraction);
  return at + Places;
}

/// Nanoseconds as microseconds, 3 decimals.
inline FixedDecimal<3> micros_text(std::int64_t ns) { return {ns}; }
/// Nanoseconds as seconds, 9 decimals.
inline FixedDecimal<9> seconds_text(std::int64_t ns) { return {ns}; }

}  // namespace multirank::detail

template <int Places>
struct fmt::formatter<multirank::detail::FixedDecimal<Places>> {
  constexpr auto parse(format_parse_context& context) { return context.begin(); }

  template <class Context>
  auto format(const multirank::detail::FixedDecimal<Places>& value, Context& context) const {
    char text[48];
    char* at = multirank::detail::write_fixed_decimal(text, value);
    return std::copy(text, at, context.out());
  }
};
