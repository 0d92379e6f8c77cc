// The listing's progress (listing_display.hpp).
#include "listing_display.hpp"

#include <cstdio>
#include <utility>

#include "core/stderr_terminal.hpp"

namespace grayscale {

namespace {
// A listing shorter than this is not worth a line: the conversion's own display follows at once.
constexpr std::chrono::milliseconds first_line_after{1000};
// On a terminal the count is redrawn in place, often enough to look alive.
constexpr std::chrono::milliseconds terminal_redraw{100};
}  // namespace

ListingDisplay::ListingDisplay(std::string input, std::chrono::duration<double> interval,
                               bool enabled)
    : input_(std::move(input)),
      interval_(interval),
      enabled_(enabled),
      terminal_(enabled && multirank::detail::stderr_reaches_terminal()),
      next_draw_(start_ + first_line_after) {}

ListingDisplay::~ListingDisplay() {
  // An exception while listing: leave no half-drawn line behind.
  if (shown_ && terminal_ && !finished_) std::fputs("\r\033[K", stderr);
}

void ListingDisplay::found(std::size_t images) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (now < next_draw_) return;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  if (terminal_) {
    std::fprintf(stderr, "\rgrayscale: listing %s: %zu images found (%.0f s)\033[K", input_.c_str(),
                 images, seconds);
    next_draw_ = now + terminal_redraw;
  } else {
    std::fprintf(stderr, "grayscale: listing %s: %zu images found so far (%.0f s)\n",
                 input_.c_str(), images, seconds);
    next_draw_ = now + std::chrono::duration_cast<Clock::duration>(interval_);
  }
  std::fflush(stderr);
  shown_ = true;
}

void ListingDisplay::finish(std::size_t images) {
  if (finished_) return;
  finished_ = true;
  if (!shown_) return;
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  std::fprintf(stderr, "%sgrayscale: listed %zu images under %s in %.1f s\n",
               terminal_ ? "\r\033[K" : "", images, input_.c_str(), seconds);
  std::fflush(stderr);
}

}  // namespace grayscale
