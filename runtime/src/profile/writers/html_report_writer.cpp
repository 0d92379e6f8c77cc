// report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched) with the
// run's headline figures, the timeline, each rank's time split, per-function statistics with a
// histogram of call durations, and the slowest tasks.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "profile/profile_reports.hpp"

namespace multirank::detail {

namespace {

constexpr std::size_t max_histograms = 12;

/// Call durations of one function in log-spaced bins (durations span orders of magnitude).
std::string histogram_svg(const ProfileRun& run, const FunctionStats& f) {
  const double width = 360;
  const double height = 120;
  const double bottom = 96;
  if (f.call_s.empty()) return "<p class=\"note\">no recorded slices</p>";
  const auto [shortest, longest] = std::minmax_element(f.call_s.begin(), f.call_s.end());
  const double lo = std::max(1e-9, *shortest);
  const double hi = std::max(lo * 1.0001, *longest);
  const int bins =
      std::clamp(static_cast<int>(std::sqrt(static_cast<double>(f.call_s.size()))), 1, 30);
  const double log_lo = std::log10(lo);
  const double log_span = std::max(1e-9, std::log10(hi) - log_lo);
  std::vector<std::size_t> counts(static_cast<std::size_t>(bins), 0);
  for (double v : f.call_s) {
    const double at = (std::log10(std::max(v, lo)) - log_lo) / log_span;
    counts[static_cast<std::size_t>(std::clamp(static_cast<int>(at * bins), 0, bins - 1))] += 1;
  }
  const std::size_t most = *std::max_element(counts.begin(), counts.end());
  fmt::memory_buffer b;
  auto it = std::back_inserter(b);
  fmt::format_to(
      it,
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-size="10" font-family="DejaVu Sans, Arial, sans-serif">)",
      width, height);
  const double bar = (width - 20) / bins;
  for (int i = 0; i < bins; ++i) {
    const double h = (bottom - 14) * static_cast<double>(counts[static_cast<std::size_t>(i)]) /
                     static_cast<double>(most);
    const double from = std::pow(10.0, log_lo + log_span * i / bins);
    const double to = std::pow(10.0, log_lo + log_span * (i + 1) / bins);
    fmt::format_to(
        it,
        R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{} to {}: {} calls</title></rect>)",
        10 + bar * i, bottom - h, std::max(1.0, bar - 1), h, function_colour(run, f.name),
        human_duration(from), human_duration(to), counts[static_cast<std::size_t>(i)]);
  }
  fmt::format_to(it, R"(<line x1="10" y1="{0}" x2="{1}" y2="{0}" stroke="#888"/>)", bottom,
                 width - 10);
  fmt::format_to(it,
                 R"(<text x="10" y="{}">{}</text><text x="{}" y="{}" text-anchor="end">{}</text>)",
                 bottom + 13, human_duration(lo), width - 10, bottom + 13, human_duration(hi));
  fmt::format_to(
      it,
      R"(<text x="{}" y="{}" text-anchor="middle" fill="#555">per-call time (log scale); tallest bar {} calls</text></svg>)",
      width / 2, bottom + 24, most);
  return fmt::to_string(b);
}

/// The page's head, title, warnings and headline figures.
void write_head(fmt::memory_buffer& b, const ProfileRun& run, const RunSummary& s,
                double mean_utilisation, int working) {
  auto it = std::back_inserter(b);
  fmt::format_to(it, R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>multirank profile: {}</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #222; max-width: 1260px; }}
h1 {{ font-size: 22px; margin-bottom: 4px; }} h2 {{ font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ccc; }}
.sub {{ color: #666; margin-top: 0; }} .note {{ color: #666; font-size: 13px; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }}
.card {{ border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 130px; background: #fafafa; }}
.card .v {{ font-size: 20px; font-weight: bold; }} .card .k {{ font-size: 12px; color: #666; }}
.warn {{ background: #fff3cd; border: 1px solid #e0c36a; padding: 8px 12px; border-radius: 6px; }}
table {{ border-collapse: collapse; font-size: 13px; }} th, td {{ padding: 3px 9px; text-align: right; border-bottom: 1px solid #eee; }}
th {{ background: #f2f2f2; }} td.l, th.l {{ text-align: left; }}
.split {{ display: flex; width: 240px; height: 12px; border: 1px solid #ccc; }}
.split span {{ display: block; height: 100%; }}
.busy {{ background: #4c78a8; }} .comm {{ background: #f58518; }} .wait {{ background: #e45756; }} .idle {{ background: #ddd; }}
.swatch {{ display: inline-block; width: 11px; height: 11px; margin-right: 5px; vertical-align: middle; }}
.hists {{ display: flex; flex-wrap: wrap; gap: 18px; }} .hist h3 {{ font-size: 14px; margin: 6px 0; }}
.scroll {{ max-height: 480px; overflow-y: auto; display: inline-block; }}
code {{ background: #f4f4f4; padding: 1px 4px; }}
</style></head><body>
)",
                 markup_escape(run.label));
  fmt::format_to(it, "<h1>multirank profile</h1><p class=\"sub\">{}: {} ranks on {} node(s)</p>\n",
                 markup_escape(run.label), run.ranks.size(), run.nodes.size());
  if (!run.complete) {
    fmt::format_to(it,
                   "<p class=\"warn\">Incomplete: saved by the driver on a fatal error; only its "
                   "own log was saved.</p>\n");
  }
  if (s.dropped_tasks > 0) {
    fmt::format_to(it,
                   "<p class=\"warn\">{} task records beyond the per-rank buffer or the reports' "
                   "share are counted in the totals but not drawn.</p>\n",
                   s.dropped_tasks);
  }
  std::uint64_t calls = 0;
  for (const auto& f : s.functions) calls += f.calls;
  fmt::format_to(it, "<div class=\"cards\">\n");
  auto card = [&](const std::string& value, const std::string& key) {
    fmt::format_to(it,
                   "<div class=\"card\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>\n",
                   value, key);
  };
  card(fmt::format("{:.3f} s", s.wall_s), "wall time");
  card(fmt::format("{}", s.tasks), fmt::format("task records ({} calls)", calls));
  card(fmt::format("{:.1f} %", 100 * mean_utilisation),
       fmt::format("mean utilisation of {} ranks", working));
  card(fmt::format("{:.3f}", s.balance_efficiency), "load balance (mean/max busy)");
  card(fmt::format("{:.3f}", s.imbalance_factor), "imbalance (max/mean busy)");
  card(human_duration(s.max_clock_error_s), "largest clock error");
  fmt::format_to(it, "</div>\n");
}

/// Each rank's time split, and the load balance.
void write_ranks(fmt::memory_buffer& b, const RunSummary& s, int working) {
  auto it = std::back_inserter(b);
  fmt::format_to(
      it,
      "<h2>Ranks</h2>\n<p class=\"note\">Seconds. Busy: running tasks, (de)serialising included. "
      "Comm: inside MPI calls that moved a message. Wait: between its first and last task with "
      "nothing to run. Idle: before the first and after the last task. A rank whose tasks ran on "
      "several threads at once (rank 0's worker thread beside the program's own, such as "
      "grayscale's head start) adds their times: its util % may pass 100.</p>\n");
  fmt::format_to(it,
                 "<div class=\"scroll\"><table><tr><th>rank</th><th "
                 "class=\"l\">host</th><th>tasks</th><th>busy</th>"
                 "<th>serialise</th><th>comm</th><th>wait</th><th>idle</th><th>util "
                 "%</th><th>clock offset</th>"
                 "<th>± error</th><th class=\"l\">time split "
                 "<span class=\"swatch busy\"></span>busy <span class=\"swatch comm\"></span>comm "
                 "<span class=\"swatch wait\"></span>wait <span class=\"swatch "
                 "idle\"></span>idle</th></tr>\n");
  for (std::size_t listed : s.listed_ranks) {
    const RankStats& r = s.ranks[listed];
    // The driver without a worker thread: figures only if the program ran tasks of its own there.
    if (!r.runs_tasks && r.tasks == 0) {
      fmt::format_to(
          it,
          "<tr><td>{}</td><td "
          "class=\"l\">{}</td><td>-</td><td>-</td><td>-</td><td>{:.6f}</td><td>-</td>"
          "<td>-</td><td>-</td><td>{}</td><td>{}</td><td class=\"l\">driver only</td></tr>\n",
          r.rank, markup_escape(r.host), r.comm_s, human_duration(r.clock_offset_s),
          human_duration(r.clock_error_s));
      continue;
    }
    const double wall = std::max(1e-12, s.wall_s);
    auto pct = [&](double v) { return std::clamp(100.0 * v / wall, 0.0, 100.0); };
    const bool own_thread = r.rank == 0;
    fmt::format_to(it,
                   "<tr><td>{}</td><td "
                   "class=\"l\">{}</td><td>{}</td><td>{:.6f}</td><td>{:.6f}</td><td>{:.6f}</td>"
                   "<td>{:.6f}</td><td>{:.6f}</td><td>{:.1f}</td><td>{}</td><td>{}</td><td "
                   "class=\"l\"><div class=\"split\">"
                   "<span class=\"busy\" style=\"width:{:.1f}%\"></span><span class=\"comm\" "
                   "style=\"width:{:.1f}%\"></span>"
                   "<span class=\"wait\" style=\"width:{:.1f}%\"></span><span class=\"idle\" "
                   "style=\"width:{:.1f}%\"></span>"
                   "</div></td></tr>\n",
                   r.rank, markup_escape(r.host), r.tasks, r.busy_s, r.serialise_s, r.comm_s,
                   r.wait_s, r.idle_s, 100 * r.utilisation, human_duration(r.clock_offset_s),
                   human_duration(r.clock_error_s), pct(r.busy_s), own_thread ? 0.0 : pct(r.comm_s),
                   pct(r.wait_s), pct(r.idle_s));
  }
  fmt::format_to(it, "</table></div>\n");
  if (s.listed_ranks.size() < s.ranks.size()) {
    fmt::format_to(it,
                   "<p class=\"note\">{} ranks: listed are rank 0 and the {} busiest and {} least "
                   "busy. How the figures spread over the {} ranks that run tasks:</p>\n"
                   "<table><tr><th class=\"l\">figure</th><th>min</th><th>p25</th><th>median</th>"
                   "<th>p75</th><th>max</th><th>rank of min</th><th>rank of max</th></tr>\n",
                   s.ranks.size(), extreme_ranks_listed, extreme_ranks_listed, working);
    for (const auto& spread : s.rank_spreads) {
      const double scale = spread.figure == "utilisation" ? 100.0 : 1.0;
      fmt::format_to(it,
                     "<tr><td class=\"l\">{}{}</td><td>{:.4f}</td><td>{:.4f}</td><td>{:.4f}</td>"
                     "<td>{:.4f}</td><td>{:.4f}</td><td>{}</td><td>{}</td></tr>\n",
                     spread.figure, scale == 1.0 ? " (s)" : " (%)", scale * spread.min,
                     scale * spread.p25, scale * spread.median, scale * spread.p75,
                     scale * spread.max, spread.rank_of_min, spread.rank_of_max);
    }
    fmt::format_to(it, "</table>\n");
  }
  fmt::format_to(it,
                 "<p>Load balance over {} ranks: mean busy {:.4f} s, max busy "
                 "{:.4f} s, efficiency "
                 "<b>{:.3f}</b>, imbalance factor <b>{:.3f}</b>.</p>\n",
                 working, s.mean_busy_s, s.max_busy_s, s.balance_efficiency, s.imbalance_factor);
}

/// Each function's statistics, and the histograms of the first ones.
void write_functions(fmt::memory_buffer& b, const ProfileRun& run, const RunSummary& s) {
  auto it = std::back_inserter(b);
  fmt::format_to(it,
                 "<h2>Functions</h2>\n<table><tr><th "
                 "class=\"l\">function</th><th>calls</th><th>total</th><th>mean</th>"
                 "<th>p50</th><th>p95</th><th>max</th><th>bytes in</th><th>bytes "
                 "out</th><th>failed</th></tr>\n");
  for (const auto& f : s.functions) {
    fmt::format_to(
        it,
        "<tr><td class=\"l\"><span class=\"swatch\" "
        "style=\"background:{}\"></span>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        function_colour(run, f.name), markup_escape(f.name), f.calls, human_duration(f.total_s),
        human_duration(f.mean_s), human_duration(f.p50_s), human_duration(f.p95_s),
        human_duration(f.max_s), human_bytes(static_cast<double>(f.bytes_in)),
        human_bytes(static_cast<double>(f.bytes_out)), f.failed);
  }
  fmt::format_to(it,
                 "</table>\n<p class=\"note\">Per call: a map chunk's time divided by its "
                 "items.</p>\n<div class=\"hists\">\n");
  for (std::size_t i = 0; i < std::min(max_histograms, s.functions.size()); ++i) {
    const auto& f = s.functions[i];
    fmt::format_to(it, "<div class=\"hist\"><h3>{}</h3>{}</div>\n", markup_escape(f.name),
                   histogram_svg(run, f));
  }
  fmt::format_to(it, "</div>\n");
}

/// The spans' pstats-like table, and how the top spans spread over the ranks.
void write_spans(fmt::memory_buffer& b, const RunSummary& s) {
  if (s.spans.empty()) return;
  auto it = std::back_inserter(b);
  fmt::format_to(
      it,
      "<h2>Spans</h2>\n<table><tr><th class=\"l\">span</th><th>calls</th><th>total</th><th>own</th>"
      "<th>mean</th><th>p50</th><th>p95</th><th>max</th><th>busy %</th><th>counter</th></tr>\n");
  for (const auto& span : s.spans) {
    const std::string counter = span.counter.empty()
                                    ? std::string()
                                    : std::to_string(span.counter_total) + " " + span.counter;
    fmt::format_to(
        it,
        "<tr><td "
        "class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{:.1f}</td><td>{}</td></tr>\n",
        markup_escape(span.name), span.calls, human_duration(span.total_s),
        human_duration(span.own_s), human_duration(span.mean_s), human_duration(span.p50_s),
        human_duration(span.p95_s), human_duration(span.max_s), 100.0 * span.busy_share,
        markup_escape(counter));
  }
  fmt::format_to(it,
                 "</table>\n<p class=\"note\">Total includes the spans nested in each; own does "
                 "not; busy % is "
                 "own time over every rank's busy time.</p>\n");
  fmt::format_to(
      it,
      "<table><tr><th class=\"l\">span</th><th>ranks</th><th>min per rank</th><th>median</th>"
      "<th>max</th><th>max rank</th></tr>\n");
  for (std::size_t i = 0; i < std::min<std::size_t>(10, s.spans.size()); ++i) {
    const auto& span = s.spans[i];
    fmt::format_to(
        it,
        "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        markup_escape(span.name), span.ranks, human_duration(span.rank_min_s),
        human_duration(span.rank_p50_s), human_duration(span.rank_max_s), span.rank_of_max);
  }
  fmt::format_to(it, "</table>\n");
}

/// Start-up and close: one row per phase, summarised over the ranks.
void write_phases(fmt::memory_buffer& b, const RunSummary& s) {
  if (s.phases.empty()) return;
  auto it = std::back_inserter(b);
  fmt::format_to(it,
                 "<h2>Start-up and close</h2>\n<table><tr><th class=\"l\">phase</th><th>ranks</th>"
                 "<th>median</th><th>p95</th><th>max</th><th>slowest rank</th>"
                 "<th>starts at (s, median)</th></tr>\n");
  for (const auto& phase : s.phases) {
    fmt::format_to(it,
                   "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                   "<td>{}</td><td>{:.6f}</td></tr>\n",
                   markup_escape(phase.name), phase.ranks, human_duration(phase.median_s),
                   human_duration(phase.p95_s), human_duration(phase.max_s), phase.slowest_rank,
                   phase.median_start_s);
  }
  fmt::format_to(it,
                 "</table>\n<p class=\"note\">Over the ranks that had each phase. MPI_Finalize "
                 "and the writing of the reports end after the logs were gathered: rank 0 appends "
                 "its own to <code>summary.txt</code> and <code>rank-0.binlog</code>, and "
                 "<code>multirank-report</code> shows them here.</p>\n");
}

/// The slowest task records, the other files and, under Slurm, the accounting to compare with.
void write_slowest_and_files(fmt::memory_buffer& b, const RunSummary& s) {
  auto it = std::back_inserter(b);
  fmt::format_to(
      it,
      "<h2>Slowest task records</h2>\n<table><tr><th>task</th><th class=\"l\">function</th>"
      "<th>rank</th><th>start (s)</th><th>duration</th></tr>\n");
  for (const auto& t : s.slowest) {
    fmt::format_to(
        it, "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{:.6f}</td><td>{}</td></tr>\n",
        t.task_id, markup_escape(t.function), t.rank, t.start_s, human_duration(t.duration_s));
  }
  fmt::format_to(it,
                 "</table>\n<h2>Files</h2>\n<p class=\"note\"><code>trace.json</code> opens in "
                 "ui.perfetto.dev or "
                 "chrome://tracing; <code>tasks.csv</code> has a row per task; "
                 "<code>summary.txt</code> is this page "
                 "as text; <code>rank-&lt;r&gt;.jsonl</code> are the ranks' raw logs, from which "
                 "<code>multirank-report</code> re-renders everything.</p>\n");
  const std::string sacct = sacct_command(s);
  if (!sacct.empty()) {
    fmt::format_to(it, "<p>Slurm: cross-check with <code>{}</code></p>\n", markup_escape(sacct));
  }
}

}  // namespace

void write_report_html(const ProfileRun& run, const RunSummary& s, std::ostream& out) {
  fmt::memory_buffer b;
  auto it = std::back_inserter(b);
  double mean_utilisation = 0;
  int working = 0;
  for (const auto& r : s.ranks) {
    if (!r.runs_tasks) continue;
    mean_utilisation += r.utilisation;
    ++working;
  }
  mean_utilisation = working > 0 ? mean_utilisation / working : 0;

  write_head(b, run, s, mean_utilisation, working);
  fmt::format_to(it, "<h2>Timeline</h2>\n{}\n", render_timeline_svg(run, s));
  write_ranks(b, s, working);
  write_phases(b, s);
  write_functions(b, run, s);
  write_spans(b, s);
  write_slowest_and_files(b, s);
  fmt::format_to(it, "</body></html>\n");
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

}  // namespace multirank::detail
