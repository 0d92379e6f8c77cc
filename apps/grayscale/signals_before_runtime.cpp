// The recording handler and its hand-over to the Runtime (signals_before_runtime.hpp).
#include "signals_before_runtime.hpp"

#include <atomic>

namespace grayscale {

namespace {
// A signal handler may only touch a lock-free atomic.
std::atomic<int> first_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void record_signal(int signal) {
  int none = 0;
  first_signal.compare_exchange_strong(none, signal);
}
}  // namespace

SignalsBeforeRuntime::SignalsBeforeRuntime() {
  struct sigaction action {};
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // listing and converting carry on; the Runtime acts on it later
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

SignalsBeforeRuntime::~SignalsBeforeRuntime() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

int SignalsBeforeRuntime::received() const noexcept { return first_signal.load(); }

void SignalsBeforeRuntime::replay() noexcept {
  if (const int signal = first_signal.exchange(0); signal != 0) std::raise(signal);
}

}  // namespace grayscale
