// The driver's side of a grayscale run: list the images, schedule them over the ranks (largest
// first), write what comes back, report failures and the summary.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <filesystem>
#include <memory>

#include "command_line.hpp"

namespace grayscale {

/// Rank 0's part of a run, in two steps around the Runtime's start-up.
class ConversionJob {
 public:
  /// Before MPI starts: checks the directories, lists the images (largest first) and starts
  /// converting the first of them on this rank (a HeadStart), so the second or so that MPI takes
  /// to start is not lost on this rank's core; at most this rank's share (1 / `ranks`) of them,
  /// the rest waits for every rank. A usage error is printed here and returned by run().
  ConversionJob(const CommandLine& options, std::size_t ranks);
  ~ConversionJob();
  ConversionJob(const ConversionJob&) = delete;
  ConversionJob& operator=(const ConversionJob&) = delete;

  /// With the Runtime up: converts the rest across every rank and prints the summary. Returns
  /// the exit status (0 all converted, 1 some failed or OUTPUT_DIR unusable, 2 usage error such
  /// as a missing INPUT_DIR, 128 + signal when interrupted).
  int run();

 private:
  void prepare(const CommandLine& options, std::size_t ranks);

  struct Run;
  std::exception_ptr error_;                     // from before MPI started, rethrown by run()
  std::chrono::steady_clock::time_point start_;  // the summary's wall time counts from here
  std::filesystem::path input_;
  std::filesystem::path output_;
  std::unique_ptr<Run> run_;
  std::size_t unreadable_directories_ = 0;
  int early_status_ = 0;  // a usage error (2) or an unusable OUTPUT_DIR (1) found before any work
};

}  // namespace grayscale
