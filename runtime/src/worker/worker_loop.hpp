// What every rank but the driver does for the whole run: receive task records, run them in
// order, send results back in batches, and nap when there is nothing to do.
#pragma once

#include "multirank/options.hpp"
#include "wire/communicator.hpp"

namespace multirank::detail {

class ProfileRecorder;

/// How a worker rank's service ended.
struct ServeOutcome {
  int status = 0;
  /// Daemon processes still run: the rank must exit without static destructors under them.
  bool processes_left_running = false;
  /// Ranks of the job were lost: steps that need every rank (the profile gather, a clean
  /// MPI_Finalize) cannot complete.
  bool ranks_lost = false;
};

/// Serves tasks (and hosts processes) until the driver says stop, logging to `recorder` when
/// profiling.
ServeOutcome serve_tasks(const Communicator& comm, const RuntimeOptions& options,
                         ProfileRecorder* recorder);

}  // namespace multirank::detail
