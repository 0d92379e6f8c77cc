// What rank 0 shows while images convert: a redrawn bar when stderr reaches a terminal (directly,
// or through mpirun's), otherwise a plain line every few seconds (for logs and batch jobs).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace grayscale {

class ProgressDisplay {
 public:
  /// `interval`: seconds between plain lines; the bar redraws at most ten times a second.
  ProgressDisplay(std::size_t total_files, std::uint64_t total_bytes,
                  std::chrono::duration<double> interval, bool enabled);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  /// One more file finished (converted or failed); `bytes` is its input size.
  void file_done(std::uint64_t bytes);
  /// Prints one line of text to stderr without garbling the bar.
  void print_line(const std::string& text);
  /// Clears the bar so the lines that follow start at column 0.
  void finish();

 private:
  void draw(bool final);

  using Clock = std::chrono::steady_clock;
  std::size_t total_files_;
  std::uint64_t total_bytes_;
  std::chrono::duration<double> interval_;
  bool enabled_;
  bool terminal_;
  bool drawn_ = false;
  std::size_t files_ = 0;
  std::uint64_t bytes_ = 0;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_ = start_;
};

}  // namespace grayscale
