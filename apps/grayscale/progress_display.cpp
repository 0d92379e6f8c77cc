// Rates are averaged over the whole run: per-image times vary by orders of magnitude with the
// image size, so a short window would make the ETA jump.
#include "progress_display.hpp"

#include <string>

#include "core/stderr_terminal.hpp"

namespace grayscale {

namespace {
std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return text;
}
}  // namespace

ProgressDisplay::ProgressDisplay(std::size_t total_files, std::uint64_t total_bytes,
                                 std::chrono::duration<double> interval, bool enabled)
    : total_files_(total_files),
      total_bytes_(total_bytes),
      interval_(interval),
      enabled_(enabled),
      terminal_(enabled && multirank::detail::stderr_reaches_terminal()) {}

ProgressDisplay::~ProgressDisplay() { finish(); }

void ProgressDisplay::file_done(std::uint64_t bytes) {
  ++files_;
  bytes_ += bytes;
  if (!enabled_) return;
  const auto now = Clock::now();
  const auto wait = terminal_ ? std::chrono::duration<double>(0.1) : interval_;
  if (now - last_draw_ >= wait) {
    last_draw_ = now;
    draw(false);
  }
}

void ProgressDisplay::print_line(const std::string& text) {
  if (drawn_) std::fputs("\r\033[K", stderr);  // the bar is redrawn on the next file
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

void ProgressDisplay::finish() {
  if (!enabled_ || !terminal_ || !drawn_) return;
  draw(true);
  std::fputc('\n', stderr);
  drawn_ = false;
}

void ProgressDisplay::draw(bool final) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double megabytes_per_s = elapsed > 0 ? static_cast<double>(bytes_) / 1e6 / elapsed : 0;
  const double left =
      total_bytes_ > bytes_ && bytes_ > 0
          ? elapsed * static_cast<double>(total_bytes_ - bytes_) / static_cast<double>(bytes_)
          : 0;
  const std::string eta = final ? "done" : "ETA " + clock_text(left);
  if (terminal_) {
    constexpr int width = 30;
    const int filled = total_files_ == 0 ? width : static_cast<int>(width * files_ / total_files_);
    std::fprintf(stderr, "\r[%s%s] %zu/%zu files  %.1f MB/s  %s\033[K",
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), files_,
                 total_files_, megabytes_per_s, eta.c_str());
    drawn_ = true;
  } else {
    std::fprintf(stderr, "grayscale: %zu/%zu files, %.1f MB/s, %s\n", files_, total_files_,
                 megabytes_per_s, eta.c_str());
  }
  std::fflush(stderr);
}

}  // namespace grayscale
