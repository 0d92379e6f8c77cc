// The library's log on stderr: spdlog's stock default logger writes to stdout, coloured when
// stdout is a terminal, and under mpirun a rank's stdout is a pseudo-terminal of Open MPI's even
// when the user pipes the job's output, so warnings landed in that output with escape codes.
#include "core/library_log.hpp"

#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <mutex>

#include "core/stderr_terminal.hpp"

namespace multirank::detail {

namespace {
/// Another stream on fd 2, which holds a whole line until spdlog's sink flushes it at the line's
/// end. The colour sink writes a line in five pieces (text, colour, level, reset, text); through
/// the unbuffered stderr each piece was a write of its own, which mpirun forwards as it comes,
/// so lines from two ranks were cut into each other. Never closed: that would close fd 2.
std::FILE* stderr_by_lines() {
  std::FILE* stream = ::fdopen(STDERR_FILENO, "w");
  if (stream == nullptr) return stderr;
  std::setvbuf(stream, nullptr, _IOFBF, 64 * 1024);
  return stream;
}

// spdlog forbids replacing the default logger while another thread logs: before main there is
// no other thread yet.
[[maybe_unused]] const bool installed_at_start = (install_library_log(), true);
}  // namespace

void install_library_log() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    const auto colour =
        stderr_reaches_terminal() ? spdlog::color_mode::always : spdlog::color_mode::never;
    // Named "" as spdlog's own default logger, so the lines keep its format (no name field).
    using StderrSink = spdlog::sinks::ansicolor_sink<spdlog::details::console_mutex>;
    auto log = std::make_shared<spdlog::logger>(
        "", std::make_shared<StderrSink>(stderr_by_lines(), colour));
    const auto previous = spdlog::default_logger();
    log->set_level(previous->level());
    log->flush_on(previous->flush_level());
    spdlog::set_default_logger(std::move(log));
  });
}

}  // namespace multirank::detail
