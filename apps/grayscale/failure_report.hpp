// OUTPUT_DIR/grayscale-failures.tsv: one line per input that failed, "relative path<TAB>reason",
// with tab, newline and backslash in either written as \t, \n and \\ so every line parses.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace grayscale {

struct Failure {
  std::filesystem::path relative;
  std::string reason;
};

inline constexpr const char* failure_report_name = "grayscale-failures.tsv";

/// Writes the report atomically; with no failures, removes a report left by an earlier run.
void write_failure_report(const std::filesystem::path& output_dir,
                          const std::vector<Failure>& failures);

}  // namespace grayscale
