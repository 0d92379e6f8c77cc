// What every rank but the driver does for the whole run: receive task records, run them in
// order, send results back in batches, and nap when there is nothing to do.
#pragma once

#include "multirank/detail/communicator.hpp"
#include "multirank/options.hpp"

namespace multirank::detail {

class ProfileRecorder;

/// Serves tasks (and hosts processes) until the driver says stop, logging to `recorder` when
/// profiling. Returns the rank's exit status; sets `processes_left_running` when daemon
/// processes still run, so the rank must exit without running static destructors under them.
int serve_tasks(const Communicator& comm, const RuntimeOptions& options, ProfileRecorder* recorder,
                bool& processes_left_running);

}  // namespace multirank::detail
