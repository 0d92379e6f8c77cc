// grayscale's environment lock: threads reading the environment while another adds variables
// (as the head start does beside MPI_Init) all survive. Without the lock this program dies of
// SIGSEGV in getenv (glibc moves the array): 5 runs of 5 with 4000 additions.
#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {
std::atomic<bool> constructor_running{false};
}  // namespace

// Called by environment_lock_plugin's constructor, with the loader's lock held: the other
// thread's first secure_getenv call comes while it waits here.
extern "C" void environment_lock_test_constructor_running() {
  constructor_running = true;
  std::this_thread::sleep_for(200ms);
}

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

TEST_CASE("a library's constructor may read the environment while another thread reads it first",
          "[grayscale][environment]") {
  // In a child process, so that a deadlock is reported as one instead of hanging the test.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::thread loader([] {
      if (::dlopen(ENVIRONMENT_LOCK_PLUGIN, RTLD_NOW) == nullptr) ::_exit(3);
    });
    while (!constructor_running) std::this_thread::yield();
    (void)::secure_getenv("PATH");  // the loader's lock is held by the other thread meanwhile
    loader.join();
    ::_exit(0);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  pid_t done = 0;
  while ((done = ::waitpid(child, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  if (done == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    FAIL("deadlock: the child still waited after 20 s");
  }
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 3: the plugin did not load
}
