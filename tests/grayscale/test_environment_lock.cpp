// grayscale's environment lock: threads reading the environment while another adds variables
// (as the head start does beside MPI_Init) all survive. Without the lock this program dies of
// SIGSEGV in getenv (glibc moves the array): 5 runs of 5 with 4000 additions.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

TEST_CASE("the environment can be read while another thread adds to it",
          "[grayscale][environment]") {
  std::atomic<bool> adding{true};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (adding.load()) {
        if (std::getenv("MULTIRANK_TEST_NEVER_SET") == nullptr) reads.fetch_add(1);
      }
    });
  }
  constexpr int added = 4000;
  for (int i = 0; i < added; ++i) {
    ::setenv(("MULTIRANK_TEST_ADDED_" + std::to_string(i)).c_str(), "1", 1);
  }
  adding = false;
  for (auto& reader : readers) reader.join();
  CHECK(reads.load() > 0);
  CHECK(std::string(std::getenv("MULTIRANK_TEST_ADDED_3999")) == "1");
  CHECK(::unsetenv("MULTIRANK_TEST_ADDED_0") == 0);
  CHECK(std::getenv("MULTIRANK_TEST_ADDED_0") == nullptr);
}
