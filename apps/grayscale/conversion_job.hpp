// The driver's side of a grayscale run: list the images, schedule them over the ranks (largest
// first), write what comes back, report failures and the summary.
#pragma once

#include "command_line.hpp"

namespace grayscale {

/// Runs the whole conversion on the driver; returns the exit status (0 all converted, 1 some
/// failed, 2 usage error such as a missing INPUT_DIR).
int run_conversion_job(const CommandLine& options);

}  // namespace grayscale
