// Several profiled runs side by side (multirank-report DIR DIR...): the headline figures per run,
// then each function's total time per run, and each start-up and close phase's median and maximum
// over the ranks (how start-up grows with the ranks), so a change between runs shows at a glance.
#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

#include "profile/profile_reports.hpp"

namespace multirank::detail {

void write_comparison(const std::vector<ProfileRun>& runs, std::ostream& out) {
  fmt::memory_buffer b;
  auto it = std::back_inserter(b);
  std::vector<RunSummary> summaries;
  for (const auto& run : runs) summaries.push_back(summarise(run));

  fmt::format_to(it, "Runs compared\n");
  for (std::size_t i = 0; i < runs.size(); ++i)
    fmt::format_to(it, "  [{}] {}\n", i + 1, runs[i].label);
  fmt::format_to(it, "\n{:<34}", "");
  for (std::size_t i = 0; i < runs.size(); ++i)
    fmt::format_to(it, "{:>14}", fmt::format("[{}]", i + 1));
  fmt::format_to(it, "\n");
  auto row = [&](const std::string& name, auto value) {
    fmt::format_to(it, "{:<34}", name);
    for (std::size_t i = 0; i < runs.size(); ++i) fmt::format_to(it, "{:>14}", value(i));
    fmt::format_to(it, "\n");
  };
  row("ranks", [&](std::size_t i) { return fmt::format("{}", runs[i].ranks.size()); });
  row("nodes", [&](std::size_t i) { return fmt::format("{}", runs[i].nodes.size()); });
  row("wall (s)", [&](std::size_t i) { return fmt::format("{:.4f}", summaries[i].wall_s); });
  row("task records", [&](std::size_t i) { return fmt::format("{}", summaries[i].tasks); });
  row("mean busy per rank (s)",
      [&](std::size_t i) { return fmt::format("{:.4f}", summaries[i].mean_busy_s); });
  row("max busy per rank (s)",
      [&](std::size_t i) { return fmt::format("{:.4f}", summaries[i].max_busy_s); });
  row("load balance (mean/max)",
      [&](std::size_t i) { return fmt::format("{:.3f}", summaries[i].balance_efficiency); });
  row("imbalance (max/mean)",
      [&](std::size_t i) { return fmt::format("{:.3f}", summaries[i].imbalance_factor); });
  row("wall relative to [1]", [&](std::size_t i) {
    return summaries[0].wall_s > 0
               ? fmt::format("{:.3f}", summaries[i].wall_s / summaries[0].wall_s)
               : std::string("-");
  });

  std::map<std::string, std::vector<double>> totals;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (const auto& f : summaries[i].functions) {
      auto& per_run = totals[f.name];
      per_run.resize(runs.size(), 0.0);
      per_run[i] = f.total_s;
    }
  }
  fmt::format_to(it, "\nTotal time per function (s)\n");
  for (auto& [name, per_run] : totals) {
    per_run.resize(runs.size(), 0.0);
    row(name.substr(0, 33), [&](std::size_t i) { return fmt::format("{:.4f}", per_run[i]); });
  }

  // In the order of the first run that has each phase; "-" where a run has not.
  std::vector<std::string> phase_order;
  std::map<std::string, std::vector<const PhaseStats*>> phases;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (const auto& phase : summaries[i].phases) {
      auto& per_run = phases[phase.name];
      if (per_run.empty()) phase_order.push_back(phase.name);
      per_run.resize(runs.size(), nullptr);
      per_run[i] = &phase;
    }
  }
  if (!phase_order.empty()) {
    fmt::format_to(it, "\nStart-up and close, median / max over the ranks (s)\n");
    for (const auto& name : phase_order) {
      auto& per_run = phases[name];
      per_run.resize(runs.size(), nullptr);
      row(name.substr(0, 33), [&](std::size_t i) {
        return per_run[i] ? fmt::format("{:.3f}/{:.3f}", per_run[i]->median_s, per_run[i]->max_s)
                          : std::string("-");
      });
    }
  }
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

}  // namespace multirank::detail
