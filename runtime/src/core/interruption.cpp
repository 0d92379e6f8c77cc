// The process's SIGINT/SIGTERM handler: records the first signal for the engine to act on.
#include "core/interruption.hpp"

#include <atomic>

namespace multirank::detail {

namespace {
std::atomic<int> first_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void record_interrupt(int signal) {
  int none = 0;
  first_signal.compare_exchange_strong(none, signal);
}
}  // namespace

InterruptSignals::InterruptSignals() {
  struct sigaction action {};
  action.sa_handler = record_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // blocking calls in user code carry on; the engine polls the flag
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

InterruptSignals::~InterruptSignals() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

int received_interrupt() noexcept { return first_signal.load(std::memory_order_relaxed); }

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

}  // namespace multirank::detail
