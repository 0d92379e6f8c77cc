// Payloads over 2 GiB, where an MPI count (an int) no longer fits: they must arrive intact both
// as an argument and as a result.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "multirank/multirank.hpp"

namespace {

constexpr std::uint64_t big = (std::uint64_t{1} << 31) + 4099;  // just over 2 GiB

char pattern(std::uint64_t i) { return static_cast<char>((i * 31) % 251); }

/// Position-weighted checksum: a byte out of place changes it.
std::uint64_t checksum(const std::vector<char>& bytes) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < bytes.size(); ++i)
    sum += (i % 65521 + 1) * static_cast<unsigned char>(bytes[i]);
  return sum ^ bytes.size();
}
MULTIRANK_TASK(checksum);

std::vector<char> make_bytes(std::uint64_t size) {
  std::vector<char> bytes(size);
  for (std::uint64_t i = 0; i < size; ++i) bytes[i] = pattern(i);
  return bytes;
}
MULTIRANK_TASK(make_bytes);

}  // namespace

TEST_CASE("payloads over 2 GiB travel intact", "[large]") {
  multirank::Executor executor;
  SECTION("as an argument") {
    std::vector<char> bytes(big);
    for (std::uint64_t i = 0; i < big; ++i) bytes[i] = pattern(i);
    const std::uint64_t expected = checksum(bytes);
    CHECK(executor.submit(checksum, bytes).result() == expected);
  }
  SECTION("as a result") {
    auto future = executor.submit(make_bytes, big);
    const std::vector<char>& bytes = future.result();
    REQUIRE(bytes.size() == big);
    bool intact = true;
    for (std::uint64_t i = 0; i < big; i += 4093) intact = intact && bytes[i] == pattern(i);
    CHECK(intact);
    CHECK(bytes[big - 1] == pattern(big - 1));
  }
}
