// multirank-report: re-renders a profiled run's reports from its rank logs, or compares runs.
//   multirank-report DIR [-o OUT]        summary.txt, timeline.svg, report.html, tasks.csv and
//                                        trace.json from DIR's rank logs, into OUT (default DIR)
//   multirank-report --jsonl DIR [-o OUT]  each rank's binary log as JSON lines, rank-<r>.jsonl
//   multirank-report DIR1 DIR2 ... [-o OUT]  the runs side by side (stdout, and OUT/comparison.txt)
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "multirank/error.hpp"
#include "multirank/profile.hpp"

int main(int argc, char** argv) {
  CLI::App cli{
      "multirank-report: render a multirank profile (MULTIRANK_PROFILE=DIR) from its rank logs, "
      "or compare several runs"};
  std::vector<std::string> runs;
  std::string out_dir;
  bool jsonl = false;
  cli.add_option("runs", runs, "profile directories holding rank-<r>.binlog (or rank-<r>.jsonl)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cli.add_option(
      "-o,--out", out_dir,
      "where to write (default: the run's own directory; for a comparison, stdout only)");
  cli.add_flag("--jsonl", jsonl,
               "instead of the reports, write each rank's log as JSON lines (rank-<r>.jsonl: a "
               "header object, then one array per event)");
  CLI11_PARSE(cli, argc, argv);
  try {
    if (jsonl) {
      for (const auto& run : runs) {
        const std::string target = out_dir.empty() ? run : out_dir;
        const auto written = multirank::profile::write_jsonl_logs(run, target);
        std::cout << "wrote " << written.size() << " rank logs as JSON lines to " << target << "\n";
      }
      return 0;
    }
    if (runs.size() == 1) {
      const std::string target = out_dir.empty() ? runs.front() : out_dir;
      multirank::profile::render(runs.front(), target);
      std::cout << "wrote summary.txt, timeline.svg, report.html, tasks.csv, trace.json to "
                << target << "\n";
      return 0;
    }
    std::vector<std::filesystem::path> dirs(runs.begin(), runs.end());
    multirank::profile::compare(dirs, std::cout);
    if (!out_dir.empty()) {
      std::filesystem::create_directories(out_dir);
      std::ofstream file(std::filesystem::path(out_dir) / "comparison.txt");
      multirank::profile::compare(dirs, file);
      if (!file) throw multirank::Error(out_dir + "/comparison.txt: cannot be written");
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "multirank-report: " << e.what() << "\n";
    return 1;
  }
}
