// timeline.svg: a Gantt chart of the run, one lane per rank, tasks coloured by function, idle
// time left grey, the driver's queue depth above, an axis in seconds. A few thousand tasks are
// drawn one rectangle each (with a tooltip); more are binned per pixel column, each column
// coloured by the function that ran most in it and shaded by how busy it was, so the file stays
// small and readable for 2 ranks or 256.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "profile/profile_reports.hpp"

namespace multirank::detail {

namespace {

constexpr std::size_t max_exact_tasks = 20'000;
constexpr std::size_t max_tooltips = 5'000;

/// 1, 2 or 5 times a power of ten, so that about `target` ticks cover `span`.
double tick_step(double span, int target) {
  const double raw = span / std::max(1, target);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * power) return m * power;
  }
  return 10 * power;
}

std::string seconds_label(double value, double step) {
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f} s", value, decimals);
}

/// Where everything goes on the chart, worked out once from the run's size.
struct Layout {
  int width = 0;
  int ranks = 0;
  double lane_height = 0;
  double gap = 0;
  int label_every = 1;
  double left = 110;
  double right = 20;
  double plot_width = 0;
  double title_height = 28;
  double queue_top = 0;
  double queue_height = 44;
  double lanes_top = 0;
  double lanes_height = 0;
  double axis_y = 0;
  double duration_s = 0;
  double px_per_ns = 0;
  // The legend: the functions by total time; more than fit are summed up as "others".
  std::size_t legend_count = 0;
  int legend_columns = 3;
  double legend_top = 0;
  double legend_height = 0;
  double height = 0;

  double x_of(std::int64_t ns) const { return left + static_cast<double>(ns) * px_per_ns; }
};

Layout layout_of(const ProfileRun& run, const RunSummary& summary, int width) {
  Layout l;
  l.width = width;
  l.ranks = static_cast<int>(run.ranks.size());
  l.lane_height = l.ranks <= 16 ? 22.0 : l.ranks <= 64 ? 10.0 : std::max(2.0, 768.0 / l.ranks);
  l.gap = l.lane_height >= 10 ? 2.0 : 0.0;
  l.label_every = l.lane_height >= 10 ? 1 : static_cast<int>(std::ceil(12.0 / l.lane_height));
  l.plot_width = width - l.left - l.right;
  l.queue_top = l.title_height + 6;
  l.lanes_top = l.queue_top + l.queue_height + 22;
  l.lanes_height = l.lane_height * l.ranks;
  l.axis_y = l.lanes_top + l.lanes_height;
  l.duration_s = std::max(1e-9, static_cast<double>(run.duration_ns) * 1e-9);
  l.px_per_ns = l.plot_width / std::max<double>(1.0, static_cast<double>(run.duration_ns));
  l.legend_count = std::min<std::size_t>(summary.functions.size(), 12);
  l.legend_top = l.axis_y + 54;
  l.legend_height =
      18.0 * static_cast<double>((l.legend_count + l.legend_columns - 1) / l.legend_columns + 1) +
      10;
  l.height = l.legend_top + l.legend_height;
  return l;
}

/// The driver's queue: records waiting plus records handed out, as a filled step line.
void draw_queue(fmt::memory_buffer& b, const ProfileRun& run, const Layout& l) {
  auto it = std::back_inserter(b);
  const auto& queue = run.ranks.front().queue;
  std::uint64_t max_depth = 1;
  for (const auto& q : queue) max_depth = std::max(max_depth, q.pending + q.running);
  fmt::format_to(it,
                 R"(<text x="{}" y="{:.1f}" text-anchor="end" fill="#444">driver queue</text>)"
                 "\n",
                 l.left - 6, l.queue_top + l.queue_height / 2 + 4);
  fmt::format_to(
      it,
      R"(<text x="{}" y="{:.1f}" text-anchor="end" fill="#777" font-size="9">max {}</text>)"
      "\n",
      l.left - 6, l.queue_top + l.queue_height / 2 + 15, max_depth);
  fmt::format_to(it,
                 R"(<rect x="{}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#f7f7f7"/>)"
                 "\n",
                 l.left, l.queue_top, l.plot_width, l.queue_height);
  if (queue.empty()) return;
  auto y_of = [&](std::uint64_t depth) {
    return l.queue_top + l.queue_height -
           l.queue_height * static_cast<double>(depth) / static_cast<double>(max_depth);
  };
  fmt::format_to(it, R"(<path fill="#9ab" stroke="#567" stroke-width="0.8" d="M{:.1f},{:.1f})",
                 l.x_of(queue.front().time_ns), l.queue_top + l.queue_height);
  double last_y = l.queue_top + l.queue_height;
  double last_x = l.x_of(queue.front().time_ns);
  for (const auto& q : queue) {
    const double x = std::clamp(l.x_of(q.time_ns), l.left, l.left + l.plot_width);
    if (x - last_x < 0.5 && &q != &queue.back()) continue;  // sub-pixel steps add nothing
    fmt::format_to(it, " L{:.1f},{:.1f} L{:.1f},{:.1f}", x, last_y, x, y_of(q.pending + q.running));
    last_y = y_of(q.pending + q.running);
    last_x = x;
  }
  fmt::format_to(it, " L{:.1f},{:.1f} L{:.1f},{:.1f} Z\"/>\n", l.left + l.plot_width, last_y,
                 l.left + l.plot_width, l.queue_top + l.queue_height);
}

/// The time grid and axis.
void draw_axis(fmt::memory_buffer& b, const Layout& l) {
  auto it = std::back_inserter(b);
  const double step = tick_step(l.duration_s, 10);
  for (double t = 0; t <= l.duration_s + step * 1e-6; t += step) {
    const double x = l.left + t / l.duration_s * l.plot_width;
    fmt::format_to(
        it,
        R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#ddd" stroke-width="1"/>)"
        "\n",
        x, l.lanes_top - 4, x, l.axis_y + 4);
    fmt::format_to(it,
                   R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)"
                   "\n",
                   x, l.axis_y + 17, seconds_label(t, step));
  }
  fmt::format_to(
      it,
      R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" fill="#444">time since start (s), rank 0's clock</text>)"
      "\n",
      l.left + l.plot_width / 2, l.axis_y + 32);
}

/// A rank's start-up and close along the foot of its lane, over its tasks (rank 0's head start
/// overlaps MPI_Init), alternating two slate tones so neighbouring phases stay apart; tooltips
/// only while the lanes are few enough to point at.
template <class Out>
void draw_phases(Out it, const RankTimeline& lane, const Layout& l, double y) {
  const double h = std::max(1.0, (l.lane_height - l.gap) / 4);
  const double right = l.left + l.plot_width;
  int shown = 0;
  for (const auto& phase : lane.phases) {
    if (phase.row != 0) continue;  // beside another phase: the table and the trace show it
    const double x0 = std::clamp(l.x_of(phase.start_ns), l.left, right);
    const double x1 = std::clamp(l.x_of(phase.end_ns), l.left, right);
    if (x1 <= x0) continue;
    fmt::format_to(
        it, R"(<rect class="phase" x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="{}")",
        x0, y + l.lane_height - l.gap - h, std::max(0.5, x1 - x0), h,
        shown++ % 2 == 0 ? "#3d4350" : "#a3a9b8");
    if (l.ranks <= 64) {
      fmt::format_to(it, "><title>{} on rank {}: {}</title></rect>\n", markup_escape(phase.name),
                     lane.header.rank,
                     human_duration(static_cast<double>(phase.end_ns - phase.start_ns) * 1e-9));
    } else {
      fmt::format_to(it, "/>\n");
    }
  }
}

/// The lanes: grey is time the rank did not run a task.
void draw_lanes(fmt::memory_buffer& b, const ProfileRun& run, const Layout& l) {
  auto it = std::back_inserter(b);
  fmt::format_to(it, "<g id=\"lanes\">\n");
  for (int r = 0; r < l.ranks; ++r) {
    const auto& lane = run.ranks[static_cast<std::size_t>(r)];
    const double y = l.lanes_top + l.lane_height * r;
    fmt::format_to(
        it,
        R"(<rect class="lane" data-rank="{}" x="{}" y="{:.2f}" width="{:.1f}" height="{:.2f}" fill="{}"/>)"
        "\n",
        r, l.left, y, l.plot_width, l.lane_height - l.gap,
        lane.header.runs_tasks ? "#e4e4e4" : "#f4f4f4");
    if (r % l.label_every == 0) {
      std::string label = "rank " + std::to_string(r);
      if (r == 0 && !lane.header.runs_tasks) label += " (driver)";
      fmt::format_to(it,
                     R"(<text x="{}" y="{:.2f}" text-anchor="end" font-size="{:.0f}">{}</text>)"
                     "\n",
                     l.left - 6, y + std::min(l.lane_height, 12.0) - 2,
                     std::min(11.0, std::max(8.0, l.lane_height)), label);
    }
    if (r > 0 && lane.node != run.ranks[static_cast<std::size_t>(r - 1)].node) {
      fmt::format_to(
          it,
          R"(<line x1="{}" y1="{:.2f}" x2="{:.1f}" y2="{:.2f}" stroke="#333" stroke-width="1"/>)"
          "\n",
          l.left - 100, y, l.left + l.plot_width, y);
    }
  }
  fmt::format_to(it, "</g>\n");
}

/// Rank `r`'s tasks one rectangle each, the first `max_tooltips` of the run (counted by
/// `tooltips`) with a tooltip.
void draw_exact_tasks(fmt::memory_buffer& b, const ProfileRun& run, const Layout& l, int r,
                      std::size_t& tooltips) {
  auto it = std::back_inserter(b);
  const auto& lane = run.ranks[static_cast<std::size_t>(r)];
  const double y = l.lanes_top + l.lane_height * r;
  const double h = l.lane_height - l.gap;
  for (const auto& task : lane.tasks) {
    const std::string& name = run.function_name(task.function_id);
    const double x = l.x_of(task.start_ns);
    const double w = std::max(0.5, static_cast<double>(task.end_ns - task.start_ns) * l.px_per_ns);
    fmt::format_to(it, R"(<rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="{}")", x,
                   y, w, h, function_colour(run, name));
    if (tooltips++ < max_tooltips) {
      fmt::format_to(it, "><title>{} task {} on rank {}: {} from {:.6f} s{}</title></rect>\n",
                     markup_escape(name), task.task_id, r,
                     human_duration(static_cast<double>(task.end_ns - task.start_ns) * 1e-9),
                     static_cast<double>(task.start_ns) * 1e-9,
                     task.failed_items ? " (failed)" : "");
    } else {
      fmt::format_to(it, "/>\n");
    }
  }
}

/// Rank `r`'s tasks binned: per pixel column, the busy time and the function with the longest
/// share of it.
void draw_binned_tasks(fmt::memory_buffer& b, const ProfileRun& run, const Layout& l, int r) {
  auto it = std::back_inserter(b);
  const auto& lane = run.ranks[static_cast<std::size_t>(r)];
  const double y = l.lanes_top + l.lane_height * r;
  const double h = l.lane_height - l.gap;
  const auto columns = static_cast<std::size_t>(std::ceil(l.plot_width));
  std::vector<double> busy(columns, 0.0);
  std::vector<double> best(columns, 0.0);
  std::vector<std::uint64_t> function(columns, 0);
  for (const auto& task : lane.tasks) {
    const double a = static_cast<double>(task.start_ns) * l.px_per_ns;
    const double e = static_cast<double>(task.end_ns) * l.px_per_ns;
    const auto first =
        static_cast<std::size_t>(std::clamp(std::floor(a), 0.0, static_cast<double>(columns - 1)));
    const auto last =
        static_cast<std::size_t>(std::clamp(std::floor(e), 0.0, static_cast<double>(columns - 1)));
    for (std::size_t c = first; c <= last; ++c) {
      const double overlap =
          std::min(e, static_cast<double>(c + 1)) - std::max(a, static_cast<double>(c));
      if (overlap <= 0 && first != last) continue;
      const double share = std::max(overlap, 0.0);
      busy[c] += share;
      if (share >= best[c]) {
        best[c] = share;
        function[c] = task.function_id;
      }
    }
  }
  // One path per (function, shade) in the lane: a rectangle is "Mx,yh..v..h..z", a fraction
  // of a <rect> element's size, which matters at 256 lanes.
  std::map<std::pair<std::uint64_t, double>, std::string> paths;
  std::size_t c = 0;
  while (c < columns) {
    if (busy[c] <= 0) {
      ++c;
      continue;
    }
    // Busy fraction in quarters: runs of equal shade and function become one rectangle.
    auto shade = [&](std::size_t k) {
      return std::clamp(std::ceil(std::min(busy[k], 1.0) * 4.0) / 4.0, 0.25, 1.0);
    };
    const std::size_t start = c;
    const double level = shade(c);
    while (c < columns && busy[c] > 0 && function[c] == function[start] && shade(c) == level) ++c;
    fmt::format_to(std::back_inserter(paths[{function[start], level}]),
                   "M{:.0f},{:.2f}h{}v{:.2f}h-{}z", l.left + static_cast<double>(start), y,
                   c - start, h, c - start);
  }
  for (const auto& [key, d] : paths) {
    fmt::format_to(it,
                   R"(<path fill="{}" fill-opacity="{:.2f}" d="{}"/>)"
                   "\n",
                   function_colour(run, run.function_name(key.first)), key.second, d);
  }
}

void draw_legend(fmt::memory_buffer& b, const ProfileRun& run, const RunSummary& summary,
                 const Layout& l, bool exact) {
  auto it = std::back_inserter(b);
  fmt::format_to(it,
                 R"(<g id="legend"><text x="{}" y="{:.1f}" fill="#444">{}</text>)"
                 "\n",
                 l.left, l.legend_top,
                 exact ? "Tasks by function (grey: not running a task; slate along a lane's "
                         "foot: start-up and close)"
                       : "Tasks by function, binned per pixel: colour = function that ran most, "
                         "shade = busy share "
                         "(grey: not running a task; slate along a lane's foot: start-up and "
                         "close)");
  const double column_width = l.plot_width / l.legend_columns;
  for (std::size_t i = 0; i < l.legend_count; ++i) {
    const auto& f = summary.functions[i];
    const double x = l.left + column_width * static_cast<double>(i % l.legend_columns);
    const double y = l.legend_top + 8 + 18.0 * static_cast<double>(i / l.legend_columns);
    fmt::format_to(it, R"(<rect x="{:.1f}" y="{:.1f}" width="12" height="12" fill="{}"/>)", x, y,
                   function_colour(run, f.name));
    fmt::format_to(it,
                   R"(<text x="{:.1f}" y="{:.1f}">{} ({} calls, {})</text>)"
                   "\n",
                   x + 16, y + 10, markup_escape(f.name), f.calls, human_duration(f.total_s));
  }
  if (summary.functions.size() > l.legend_count) {
    fmt::format_to(
        it,
        R"(<text x="{}" y="{:.1f}" fill="#777">and {} more functions (see summary.txt)</text>)"
        "\n",
        l.left, l.legend_top + l.legend_height - 6, summary.functions.size() - l.legend_count);
  }
  fmt::format_to(it, "</g>\n");
}

}  // namespace

std::string render_timeline_svg(const ProfileRun& run, const RunSummary& summary, int width) {
  const Layout l = layout_of(run, summary, width);
  std::size_t total_tasks = 0;
  for (const auto& lane : run.ranks) total_tasks += lane.tasks.size();
  const bool exact = total_tasks <= max_exact_tasks;

  fmt::memory_buffer b;
  auto it = std::back_inserter(b);
  fmt::format_to(
      it,
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{:.0f}" viewBox="0 0 {} {:.0f}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">)"
      "\n",
      width, l.height, width, l.height);
  fmt::format_to(it,
                 R"(<rect x="0" y="0" width="{}" height="{:.0f}" fill="white"/>)"
                 "\n",
                 width, l.height);
  fmt::format_to(
      it,
      R"(<text x="{}" y="18" font-size="14" font-weight="bold">Timeline: {} ranks on {} node(s), {:.3f} s, {} task records{}</text>)"
      "\n",
      l.left, l.ranks, run.nodes.size(), l.duration_s, summary.tasks,
      run.complete ? "" : " (INCOMPLETE: saved on a fatal error)");
  draw_queue(b, run, l);
  draw_axis(b, l);
  draw_lanes(b, run, l);
  fmt::format_to(it, "<g id=\"tasks\">\n");
  std::size_t tooltips = 0;
  for (int r = 0; r < l.ranks; ++r) {
    if (exact) {
      draw_exact_tasks(b, run, l, r, tooltips);
    } else {
      draw_binned_tasks(b, run, l, r);
    }
  }
  fmt::format_to(it, "</g>\n<g id=\"phases\">\n");
  for (int r = 0; r < l.ranks; ++r)
    draw_phases(it, run.ranks[static_cast<std::size_t>(r)], l, l.lanes_top + l.lane_height * r);
  fmt::format_to(it, "</g>\n");
  draw_legend(b, run, summary, l, exact);
  fmt::format_to(it, "</svg>\n");
  return fmt::to_string(b);
}

}  // namespace multirank::detail
