// The public entry points of multirank/profile.hpp: rendering reports from saved logs.
#include "multirank/profile.hpp"

#include <fstream>

#include "multirank/error.hpp"
#include "profile/profile_reports.hpp"
#include "profile/profile_run.hpp"

namespace multirank::profile {

void render(const std::filesystem::path& log_dir, const std::filesystem::path& out_dir) {
  const auto run = detail::load_run(log_dir);
  std::filesystem::create_directories(out_dir);
  detail::write_reports(run, out_dir);
}

std::vector<std::filesystem::path> write_jsonl_logs(const std::filesystem::path& log_dir,
                                                    const std::filesystem::path& out_dir) {
  std::filesystem::create_directories(out_dir);
  std::vector<std::filesystem::path> written;
  for (const auto& log : detail::load_rank_logs(log_dir)) {
    auto path = out_dir / ("rank-" + std::to_string(log.header.rank) + ".jsonl");
    std::ofstream out(path, std::ios::binary);
    detail::write_rank_log(log, out);
    out.flush();
    if (!out) throw Error(path.string() + ": cannot be written");
    written.push_back(std::move(path));
  }
  return written;
}

void compare(const std::vector<std::filesystem::path>& run_dirs, std::ostream& out) {
  std::vector<detail::ProfileRun> runs;
  for (const auto& dir : run_dirs) runs.push_back(detail::load_run(dir));
  detail::write_comparison(runs, out);
}

}  // namespace multirank::profile
