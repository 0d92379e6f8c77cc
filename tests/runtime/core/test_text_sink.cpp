// The profile writers' text primitives: fixed decimals from integers and the buffered sink.
#include <catch2/catch.hpp>

#include <cstdint>
#include <iomanip>
#include <limits>
#include <random>
#include <sstream>
#include <string>

#include "core/fixed_decimal.hpp"
#include "core/text_sink.hpp"

using multirank::detail::FixedDecimal;
using multirank::detail::micros_text;
using multirank::detail::seconds_text;
using multirank::detail::TextSink;

namespace {

/// The same text the slow way: whole part, then the fraction zero-padded, from the magnitude in
/// unsigned arithmetic (exact for the most negative value too).
std::string reference(std::int64_t units, int places) {
  const bool negative = units < 0;
  const unsigned long long magnitude = negative ? 0ULL - static_cast<unsigned long long>(units)
                                                : static_cast<unsigned long long>(units);
  unsigned long long scale = 1;
  for (int i = 0; i < places; ++i) scale *= 10;
  const auto whole = magnitude / scale;
  const auto fraction = magnitude % scale;
  std::ostringstream out;
  if (negative) out << '-';
  out << whole;
  if (places > 0) out << '.' << std::setw(places) << std::setfill('0') << fraction;
  return out.str();
}

template <int Places>
std::string written(std::int64_t units) {
  std::ostringstream out;
  {
    TextSink sink(out);
    sink << FixedDecimal<Places>{units};
  }
  return out.str();
}

}  // namespace

TEST_CASE("fixed decimals are written exactly, from integers", "[text]") {
  std::vector<std::int64_t> values{
      0,         1,  9,    10,    99,    100,        999,       1000,       1001,
      123456789, -1, -999, -1000, -1001, 1000000000, 999999999, -999999999, 1234567890123LL};
  values.push_back(std::numeric_limits<std::int64_t>::max());
  values.push_back(std::numeric_limits<std::int64_t>::min());
  std::mt19937_64 random(7);
  for (int i = 0; i < 2000; ++i) values.push_back(static_cast<std::int64_t>(random()) >> (i % 60));

  SECTION("nanoseconds as microseconds, 3 places") {
    for (const auto value : values) {
      INFO(value);
      CHECK(written<3>(value) == reference(value, 3));
    }
    CHECK(written<3>(70746832) == "70746.832");
  }
  SECTION("nanoseconds as seconds, 9 places") {
    for (const auto value : values) {
      INFO(value);
      CHECK(written<9>(value) == reference(value, 9));
    }
    CHECK(written<9>(70746832) == "0.070746832");
  }
  SECTION("odd and no places") {
    for (const auto value : values) {
      INFO(value);
      CHECK(written<0>(value) == reference(value, 0));
      CHECK(written<1>(value) == reference(value, 1));
      CHECK(written<5>(value) == reference(value, 5));
      CHECK(written<18>(value) == reference(value, 18));
    }
  }
  SECTION("fmt formats them the same way") {
    for (const auto value : values) {
      CHECK(fmt::format("{}", micros_text(value)) == reference(value, 3));
      CHECK(fmt::format("{}", seconds_text(value)) == reference(value, 9));
    }
  }
}

TEST_CASE("the text sink writes every append, in order, across its buffer's flushes", "[text]") {
  std::ostringstream out;
  std::string expected;
  {
    TextSink sink(out);
    const std::string large(10000, 'x');  // past what one append may add to the buffer
    for (int line = 0; line < 40000; ++line) {
      const std::string_view name = line % 2 == 0 ? "even" : "odd";
      sink << "{\"line\":" << line << ",\"name\":" << name << ',' << micros_text(line * 1001LL)
           << "}\n";
      expected += "{\"line\":" + std::to_string(line) + ",\"name\":" + std::string(name) + ',' +
                  reference(line * 1001LL, 3) + "}\n";
      if (line % 9999 == 0) {
        sink << std::string_view(large);
        expected += large;
      }
    }
  }
  CHECK(out.str().size() == expected.size());
  CHECK(out.str() == expected);
}
