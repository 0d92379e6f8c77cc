// How a job's exit status stays true whatever ends the driver. Launchers cannot all be trusted
// with it: Open MPI 4.1's mpirun --enable-recovery exits 0 whatever the ranks do, and a driver
// that dies takes its status with it. So the driver leaves its own account, and the ranks make
// mpirun fail where nobody reads that account.
#pragma once

#include <string>

namespace multirank::detail {

/// The variable a launcher sets to the file where the driver leaves its account: one line of
/// `key=value` words, `state=running pid=P host=H` from start-up, then the end:
/// `state=exited status=N`, `state=signal signal=S status=128+S`, `state=interrupted signal=S
/// status=128+S` or `state=aborted status=N` (an uncaught exception ended the job).
inline constexpr const char* exit_status_file_variable = "MULTIRANK_EXIT_STATUS_FILE";

/// How the driver ended, as written in its account.
enum class DriverEnd { exited, signal, interrupted, aborted };

/// On the driver, from start-up on: writes the running account, and records the status of every
/// way the process can end that runs code (exit or a return from main, a fatal signal, the
/// runtime's own ends). Where mpirun --enable-recovery launched the job and no launcher reads the
/// account, a failed end also sends mpirun SIGTERM, which makes it exit 1 instead of 0.
void watch_driver_exit(const std::string& host);

/// Records the driver's end (the last record wins) and, as above, fails mpirun when the status
/// is not 0. Only async-signal-safe calls: fatal signal handlers use it. A no-op on worker ranks.
void record_driver_end(DriverEnd how, int status, int signal = 0) noexcept;

/// On a worker rank that finds the driver gone without having stopped it: under mpirun
/// --enable-recovery with nobody reading the driver's account, sends mpirun SIGTERM, so that a
/// driver killed outright (SIGKILL, which runs no handler) still fails the job.
void fail_launcher_for_lost_driver() noexcept;

}  // namespace multirank::detail
