// SIGINT and SIGTERM before the Runtime is up. grayscale lists and converts images while MPI
// starts; a Ctrl-C or scancel in that time must stop the job as one a moment later would (the
// images being converted finish, the rest are reported for --resume), not kill the process with
// files half written. Until the Runtime installs its own handlers, this one records the signal;
// replay() then hands it to the Runtime by raising it again.
#pragma once

#include <csignal>

namespace grayscale {

/// Records the first SIGINT or SIGTERM from its construction on, restoring the previous handlers
/// when destroyed. Construct it in main before the Runtime, so that it outlives the Runtime (which
/// restores this handler when it closes). One per process.
class SignalsBeforeRuntime {
 public:
  SignalsBeforeRuntime();
  ~SignalsBeforeRuntime();
  SignalsBeforeRuntime(const SignalsBeforeRuntime&) = delete;
  SignalsBeforeRuntime& operator=(const SignalsBeforeRuntime&) = delete;

  /// The signal recorded so far, or 0.
  int received() const noexcept;
  /// Raises the recorded signal again, once, for whatever handles it now: call it after the
  /// Runtime has started, whose handler turns it into a clean stop.
  void replay() noexcept;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace grayscale
