// grayscale's handler for SIGINT and SIGTERM before the Runtime is up (signals_before_runtime.hpp):
// a signal is recorded instead of killing the process, handed to the Runtime's own handler once
// that is installed, and the process's handlers are as they were afterwards.
#include <catch2/catch.hpp>
#include <csignal>

#include "core/interruption.hpp"
#include "signals_before_runtime.hpp"

namespace {
// The handler now installed for `signal`.
void (*installed_handler(int signal))(int) {
  struct sigaction current {};
  sigaction(signal, nullptr, &current);
  return current.sa_handler;
}
}  // namespace

// The sections run in this order in one process and the Runtime's record of the first signal is
// set once for good: the one that hands a signal to it comes before any that leaves one recorded.
TEST_CASE("signals before the Runtime", "[grayscale][signals]") {
  SECTION("nothing is recorded or replayed without a signal") {
    grayscale::SignalsBeforeRuntime early;
    CHECK(early.received() == 0);
    early.replay();
    CHECK(multirank::detail::received_interrupt() == 0);
  }

  SECTION("replay hands the signal to the Runtime's handler, once") {
    grayscale::SignalsBeforeRuntime early;
    std::raise(SIGINT);
    {
      const multirank::detail::InterruptSignals runtime_handler;
      early.replay();
      CHECK(multirank::detail::received_interrupt() == SIGINT);
      CHECK(early.received() == 0);
    }
    // The Runtime restored this handler when it closed.
    CHECK(installed_handler(SIGINT) != SIG_DFL);
    CHECK(installed_handler(SIGINT) == installed_handler(SIGTERM));
  }

  SECTION("a signal is recorded, not fatal, and the first one is kept") {
    grayscale::SignalsBeforeRuntime early;
    std::raise(SIGTERM);
    std::raise(SIGINT);
    CHECK(early.received() == SIGTERM);
    early.replay();  // no Runtime handler yet: back to this one's record
    CHECK(early.received() == SIGTERM);
  }

  SECTION("the previous handlers come back") {
    const auto before_int = installed_handler(SIGINT);
    const auto before_term = installed_handler(SIGTERM);
    {
      const grayscale::SignalsBeforeRuntime early;
      CHECK(installed_handler(SIGINT) != before_int);
    }
    CHECK(installed_handler(SIGINT) == before_int);
    CHECK(installed_handler(SIGTERM) == before_term);
  }
}
