// SIGINT and SIGTERM, the one way in for every rank: the handler only records the signal. The
// driver's engine turns it into a stop (no new tasks, a grace for running ones); worker ranks
// keep serving until the driver leads them out, so mpirun's or Slurm's SIGTERM to every rank
// does not end the workers under the driver's feet.
#pragma once

#include <csignal>
#include <string>

namespace multirank::detail {

/// Installs the recording handler for SIGINT and SIGTERM for its lifetime (the Runtime holds
/// one), restoring the previous handlers after.
class InterruptSignals {
 public:
  InterruptSignals();
  ~InterruptSignals();
  InterruptSignals(const InterruptSignals&) = delete;
  InterruptSignals& operator=(const InterruptSignals&) = delete;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

/// The first SIGINT or SIGTERM this process received, or 0. A signal handler may only touch a
/// lock-free atomic; this reads it.
int received_interrupt() noexcept;
/// "SIGINT", "SIGTERM", or "signal N".
std::string signal_name(int signal);

/// Ends the whole job at once with `status` (MPI_Abort), after saving the driver's own profile
/// when profiling: for a job whose running tasks outlived the grace period.
[[noreturn]] void end_job_now(int status);

}  // namespace multirank::detail
