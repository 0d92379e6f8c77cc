// grayscale: mpirun -np N grayscale INPUT_DIR OUTPUT_DIR [options]. Every rank parses the
// command line and sets the process-wide settings before the Runtime starts; the driver lists the
// images and starts converting before it, then runs the job while the other ranks serve tasks.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <thread>

#include "command_line.hpp"
#include "conversion_job.hpp"
#include "multirank/error.hpp"
#include "multirank/runtime.hpp"
#include "signals_before_runtime.hpp"

namespace {
// Before MPI starts, the launcher's environment tells the rank; without one, this is rank 0.
bool is_first_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    if (const char* value = std::getenv(name)) return std::string(value) == "0";
  }
  return true;
}

// Whether the MULTIRANK_* variables parse; the Runtime says what is wrong with them if not.
bool settings_are_valid() {
  try {
    multirank::RuntimeOptions::from_env();
    return true;
  } catch (const multirank::ConfigError&) {
    return false;
  }
}

// The ranks the launcher started, from its environment; 1 when it does not say.
std::size_t launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}) {
    if (const char* value = std::getenv(name))
      return std::max<std::size_t>(1, std::strtoull(value, nullptr, 10));
  }
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  // A Ctrl-C or scancel while MPI starts (and the driver already converts) stops the job cleanly
  // once the Runtime is up, as one later would.
  grayscale::SignalsBeforeRuntime early_signals;
  const auto parsed = grayscale::parse_command_line(argc, argv, is_first_rank());
  if (!parsed.command_line) return parsed.exit_status;
  const grayscale::CommandLine& options = *parsed.command_line;
  // The profiling contract: the Runtime reads MULTIRANK_PROFILE on every rank.
  if (!options.profile_dir.empty()) ::setenv("MULTIRANK_PROFILE", options.profile_dir.c_str(), 1);
  // OpenCV's own pixel limit backs ours up for headers grayscale cannot read (it is read once,
  // at the first decode).
  ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(options.max_pixels).c_str(), 1);
  // One rank per core: OpenCV's own threads would only compete with the other ranks.
  cv::setNumThreads(1);
  // grayscale's own defaults, where the user did not set the variable: a few images queued on
  // each worker (the runtime's default suits tiny tasks: here it would mean one image at a time,
  // each waiting for the driver's thread between images), and waiting threads that do not spin
  // (they share a core with a converting thread) and nap up to 5 ms (an image takes tens of
  // milliseconds). The Runtime reads the variables first, so a malformed one ends the job cleanly.
  auto defaults = [](multirank::RuntimeOptions& runtime_options) {
    if (std::getenv("MULTIRANK_WINDOW_US") == nullptr)
      runtime_options.window_target = std::chrono::milliseconds(250);
    if (std::getenv("MULTIRANK_SPIN_US") == nullptr)
      runtime_options.spin_window = std::chrono::microseconds(0);
    if (std::getenv("MULTIRANK_MAX_NAP_US") == nullptr)
      runtime_options.max_nap = std::chrono::milliseconds(5);
  };
  // The driver's job starts beside the Runtime: listing the images and converting the first ones
  // overlaps MPI's start-up, on a thread of its own, so that this rank's MPI_Init, which every
  // other rank's waits for, does not wait for the listing. Only where the launcher says this is
  // rank 0 (or there is no launcher). Not with settings the Runtime will refuse: it stops every
  // rank at start-up (status 2), and nothing should have been converted by then.
  std::optional<grayscale::ConversionJob> job;
  std::jthread preparing;
  if (is_first_rank() && settings_are_valid())
    preparing = std::jthread([&] { job.emplace(options, launched_ranks()); });
  multirank::Runtime runtime(argc, argv, defaults);
  if (preparing.joinable()) preparing.join();
  early_signals.replay();
  // Worker ranks never return from the Runtime's constructor.
  if (!job) job.emplace(options, 1);
  try {
    return job->run();
  } catch (const std::exception& e) {
    // Per-image problems never get here; what does (the io probe on a full disk, say) stops
    // the run with its reason instead of an abort.
    std::cerr << "grayscale: stopped: " << e.what() << std::endl;
    return 1;
  }
}
