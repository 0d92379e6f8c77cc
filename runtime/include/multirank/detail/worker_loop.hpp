// What every rank but the driver does for the whole run: receive task records, run them in
// order, send results back in batches, and nap when there is nothing to do.
#pragma once

#include "multirank/detail/communicator.hpp"
#include "multirank/options.hpp"

namespace multirank::detail {

class ProfileRecorder;

/// Serves tasks until the driver says stop, logging to `recorder` when profiling. Returns the
/// rank's exit status.
int serve_tasks(const Communicator& comm, const RuntimeOptions& options,
                ProfileRecorder* recorder = nullptr);

}  // namespace multirank::detail
