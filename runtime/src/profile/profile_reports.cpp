// Writing every report of a run into its directory, and the small formatting rules they share.
#include "profile/profile_reports.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <future>

#include "multirank/detail/type_name.hpp"
#include "multirank/error.hpp"

namespace multirank::detail {

namespace {

template <class Write>
void write_file(const std::filesystem::path& path, Write write) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(path.string() + ": cannot be created");
  write(out);
  out.flush();
  if (!out) throw Error(path.string() + ": writing failed");
}

}  // namespace

void write_reports(const ProfileRun& run, const std::filesystem::path& dir) {
  // The two files with a line per event, the bulk of the work, on threads of their own beside the
  // summary-based three: the user waits for the job to exit while these are written.
  auto trace = std::async(std::launch::async, [&] {
    write_file(dir / "trace.json", [&](std::ostream& out) { write_trace_json(run, out); });
  });
  auto tasks = std::async(std::launch::async, [&] {
    write_file(dir / "tasks.csv", [&](std::ostream& out) { write_tasks_csv(run, out); });
  });
  const RunSummary summary = summarise(run);
  write_file(dir / "summary.txt", [&](std::ostream& out) { write_summary(run, summary, out); });
  write_file(dir / "timeline.svg",
             [&](std::ostream& out) { out << render_timeline_svg(run, summary); });
  write_file(dir / "report.html", [&](std::ostream& out) { write_report_html(run, summary, out); });
  trace.get();
  tasks.get();
}

std::string function_colour(const ProfileRun& run, const std::string& name) {
  // Tableau's palette without its grey (grey is idle time) and its red second-to-last (red is
  // waiting in the HTML time split).
  static constexpr const char* palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2",
                                            "#edc948", "#ff9da7", "#9c755f", "#e15759"};
  std::size_t position = 0;
  for (const auto& [id, other] : run.functions) position += other < name ? 1 : 0;
  if (position < std::size(palette)) return palette[position];
  // Beyond the palette: hues spread by the golden angle from the name's hash.
  const std::uint64_t hash = fnv1a(name);
  const double hue = std::fmod(static_cast<double>(hash % 1000) * 137.508, 360.0);
  const int lightness = 42 + static_cast<int>((hash >> 20) % 3) * 8;
  return fmt::format("hsl({:.0f},62%,{}%)", hue, lightness);
}

std::string markup_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string human_duration(double seconds) {
  const double magnitude = std::fabs(seconds);
  if (magnitude == 0) return "0 s";
  if (magnitude < 1e-6) return fmt::format("{:.0f} ns", seconds * 1e9);
  if (magnitude < 1e-3) return fmt::format("{:.3g} µs", seconds * 1e6);
  if (magnitude < 1) return fmt::format("{:.3g} ms", seconds * 1e3);
  return fmt::format("{:.3f} s", seconds);
}

std::string sacct_command(const RunSummary& summary, const std::string& job_id) {
  std::string id = job_id;
  if (id.empty() && !summary.slurm_job_id.empty()) {
    id = summary.slurm_job_id;
    if (!summary.slurm_step_id.empty()) id += "." + summary.slurm_step_id;
  }
  if (id.empty()) return "";
  return "sacct -j " + id +
         " --format=JobID,JobName,NodeList,NTasks,Elapsed,TotalCPU,CPUTime,MaxRSS,State";
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[unit]);
}

}  // namespace multirank::detail
