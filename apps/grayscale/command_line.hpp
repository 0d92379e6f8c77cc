// grayscale's command line: what the user asked for, parsed identically on every rank (each rank
// gets the same argv from mpirun), so settings that must hold everywhere can be set before the
// Runtime starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "conversion_task.hpp"

namespace grayscale {

struct CommandLine {
  std::filesystem::path input_dir;
  std::filesystem::path output_dir;
  int quality = 95;
  std::string prefix;
  std::uint64_t max_pixels = std::uint64_t{1} << 30;
  IoMode io = IoMode::automatic;
  bool resume = false;
  std::string profile_dir;
  double progress_interval_s = 5.0;
  bool quiet = false;
};

/// The parsed command line, or the exit status when the program must stop at once (0 after
/// --help, 2 after a usage error). Messages go to stderr (help to stdout) from `speaks` only, so
/// a usage error under mpirun is printed once, not once per rank.
struct ParsedCommandLine {
  std::optional<CommandLine> command_line;
  int exit_status = 0;
};
ParsedCommandLine parse_command_line(int argc, char** argv, bool speaks);

}  // namespace grayscale
