// What rank 0 shows while it lists INPUT_DIR: a tree of a million files takes seconds to walk
// before the first image converts, and a run that prints nothing for that long looks hung. The
// count found so far is redrawn on a terminal, or printed as a line now and then for logs; a
// listing too short to notice prints nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace grayscale {

class ListingDisplay {
 public:
  /// `input`: the directory named in the lines; `interval`: seconds between plain lines (after
  /// the first, at one second).
  ListingDisplay(std::string input, std::chrono::duration<double> interval, bool enabled);
  ~ListingDisplay();
  ListingDisplay(const ListingDisplay&) = delete;
  ListingDisplay& operator=(const ListingDisplay&) = delete;

  /// `images` found so far; cheap enough to call every few hundred files.
  void found(std::size_t images);
  /// The listing is over with `images` found: says so if anything was shown, and clears the line.
  void finish(std::size_t images);

 private:
  using Clock = std::chrono::steady_clock;
  std::string input_;
  std::chrono::duration<double> interval_;
  bool enabled_;
  bool terminal_;
  bool shown_ = false;
  bool finished_ = false;
  Clock::time_point start_ = Clock::now();
  Clock::time_point next_draw_;
};

}  // namespace grayscale
