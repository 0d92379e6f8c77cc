// summary.txt: the run at a glance, as text: where each rank's time went, how well the work was
// balanced, which functions took the time (like Python's pstats), the slowest tasks, and the
// sacct command that cross-checks a Slurm job.
#include <fmt/format.h>

#include <algorithm>

#include "profile/profile_reports.hpp"

namespace multirank::detail {

namespace {
constexpr std::size_t top_spans_per_rank = 10;
}  // namespace

void write_summary(const ProfileRun& run, const RunSummary& s, std::ostream& out) {
  fmt::memory_buffer b;
  auto it = std::back_inserter(b);
  std::uint64_t calls = 0;
  for (const auto& f : s.functions) calls += f.calls;
  fmt::format_to(it, "multirank profile of {}\n", run.label);
  fmt::format_to(
      it, "{} ranks on {} node(s), wall {:.6f} s, {} task records ({} calls){}\n", run.ranks.size(),
      run.nodes.size(), s.wall_s, s.tasks, calls,
      run.complete ? "" : "\nINCOMPLETE: saved on a fatal error; only the driver's log was saved");
  fmt::format_to(
      it,
      "clocks: each rank's offset against rank 0 estimated by ping-pong at start and end, drift "
      "corrected linearly; largest estimated error {}\n",
      human_duration(s.max_clock_error_s));
  if (s.dropped_tasks > 0) {
    fmt::format_to(
        it,
        "note: {} task records beyond the per-rank buffer (MULTIRANK_PROFILE_MAX_EVENTS) or the "
        "reports' share (MULTIRANK_PROFILE_REPORT_EVENTS; rank-<r>.binlog has those) are counted "
        "in the totals but have no slice in the timeline or row in tasks.csv\n",
        s.dropped_tasks);
  }

  fmt::format_to(it,
                 "\nPer rank (seconds; busy includes (de)serialising; busy+comm+wait+idle = wall "
                 "on worker ranks)\n");
  fmt::format_to(it, "{:>5} {:<20} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7} {:>10}\n", "rank",
                 "host", "tasks", "busy", "serialise", "comm", "wait", "idle", "util%",
                 "clock err");
  if (s.listed_ranks.size() < s.ranks.size()) {
    fmt::format_to(it,
                   "  {} ranks: listed are rank 0 and the {} busiest and {} least busy; how every "
                   "rank's figures spread is below\n",
                   s.ranks.size(), extreme_ranks_listed, extreme_ranks_listed);
  }
  for (std::size_t listed : s.listed_ranks) {
    const RankStats& r = s.ranks[listed];
    // The driver without a worker thread: figures only if the program ran tasks of its own there.
    if (!r.runs_tasks && r.tasks == 0) {
      fmt::format_to(
          it,
          "{:>5} {:<20} {:>8} {:>10} {:>10} {:>10.6f} {:>10} {:>10} {:>7} {:>10}  (driver only)\n",
          r.rank, r.host.substr(0, 20), "-", "-", "-", r.comm_s, "-", "-", "-",
          human_duration(r.clock_error_s));
      continue;
    }
    fmt::format_to(
        it,
        "{:>5} {:<20} {:>8} {:>10.6f} {:>10.6f} {:>10.6f} {:>10.6f} {:>10.6f} {:>7.1f} {:>10}{}\n",
        r.rank, r.host.substr(0, 20), r.tasks, r.busy_s, r.serialise_s, r.comm_s, r.wait_s,
        r.idle_s, 100.0 * r.utilisation, human_duration(r.clock_error_s),
        r.rank != 0    ? ""
        : r.runs_tasks ? "  (driver's worker thread; comm on the driver thread)"
                       : "  (the program's own tasks; comm on the driver thread)");
  }

  int working = 0;
  for (const auto& r : s.ranks) working += r.runs_tasks ? 1 : 0;
  if (s.listed_ranks.size() < s.ranks.size()) {
    fmt::format_to(it, "\nSpread over the {} ranks that run tasks (seconds; utilisation in %)\n",
                   working);
    fmt::format_to(it, "  {:<12} {:>10} {:>10} {:>10} {:>10} {:>10}  {}\n", "", "min", "p25",
                   "median", "p75", "max", "ranks of min, max");
    for (const auto& spread : s.rank_spreads) {
      const double scale = spread.figure == "utilisation" ? 100.0 : 1.0;
      fmt::format_to(it, "  {:<12} {:>10.4f} {:>10.4f} {:>10.4f} {:>10.4f} {:>10.4f}  {}, {}\n",
                     spread.figure, scale * spread.min, scale * spread.p25, scale * spread.median,
                     scale * spread.p75, scale * spread.max, spread.rank_of_min,
                     spread.rank_of_max);
    }
  }
  fmt::format_to(it, "\nLoad balance over the {} ranks that run tasks\n", working);
  fmt::format_to(it, "  mean busy {:.4f} s, max busy {:.4f} s\n", s.mean_busy_s, s.max_busy_s);
  fmt::format_to(it,
                 "  efficiency (mean/max busy) {:.3f}, imbalance factor (max/mean busy) {:.3f}\n",
                 s.balance_efficiency, s.imbalance_factor);

  if (!s.phases.empty()) {
    fmt::format_to(it,
                   "\nStart-up and close, per phase over the ranks that had it, in the order they "
                   "happen (median, 95th percentile and max over ranks; the slowest rank)\n");
    fmt::format_to(it, "{:>6} {:>12} {:>12} {:>12} {:>9}  {}\n", "ranks", "median", "p95", "max",
                   "slowest", "phase");
    for (const auto& phase : s.phases) {
      fmt::format_to(it, "{:>6} {:>12} {:>12} {:>12} {:>9}  {}\n", phase.ranks,
                     human_duration(phase.median_s), human_duration(phase.p95_s),
                     human_duration(phase.max_s), phase.slowest_rank, phase.name);
    }
  }

  fmt::format_to(
      it, "\nPer function, by total time (per call: a map chunk's time divided by its items)\n");
  fmt::format_to(it, "{:>10} {:>12} {:>12} {:>12} {:>12} {:>12} {:>11} {:>11} {:>7}  {}\n", "calls",
                 "total", "mean", "p50", "p95", "max", "bytes in", "bytes out", "failed",
                 "function");
  for (const auto& f : s.functions) {
    fmt::format_to(it, "{:>10} {:>12} {:>12} {:>12} {:>12} {:>12} {:>11} {:>11} {:>7}  {}\n",
                   f.calls, human_duration(f.total_s), human_duration(f.mean_s),
                   human_duration(f.p50_s), human_duration(f.p95_s), human_duration(f.max_s),
                   human_bytes(static_cast<double>(f.bytes_in)),
                   human_bytes(static_cast<double>(f.bytes_out)), f.failed, f.name);
  }

  if (!s.spans.empty()) {
    fmt::format_to(it,
                   "\nSpans (multirank::profile::Span), over all ranks, by total time (total "
                   "includes nested spans; "
                   "own does not; busy% = own / every rank's busy time)\n");
    fmt::format_to(it, "{:>10} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>7}  {}\n", "calls",
                   "total", "own", "mean", "p50", "p95", "max", "busy%", "span");
    for (const auto& span : s.spans) {
      fmt::format_to(it, "{:>10} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>7.1f}  {}",
                     span.calls, human_duration(span.total_s), human_duration(span.own_s),
                     human_duration(span.mean_s), human_duration(span.p50_s),
                     human_duration(span.p95_s), human_duration(span.max_s),
                     100.0 * span.busy_share, span.name);
      if (!span.counter.empty()) fmt::format_to(it, "  ({} {})", span.counter_total, span.counter);
      fmt::format_to(it, "\n");
    }
    if (s.dropped_spans > 0) {
      fmt::format_to(it,
                     "note: {} spans beyond a thread's buffer (MULTIRANK_PROFILE_MAX_EVENTS) or "
                     "the reports' share (MULTIRANK_PROFILE_REPORT_EVENTS) are not counted\n",
                     s.dropped_spans);
    }
    fmt::format_to(
        it,
        "\nTop spans per rank: each rank's total time in the span, over the ranks that ran it\n");
    fmt::format_to(it, "{:>6} {:>12} {:>12} {:>12} {:>9}  {}\n", "ranks", "min", "median", "max",
                   "max rank", "span");
    for (std::size_t i = 0; i < std::min<std::size_t>(top_spans_per_rank, s.spans.size()); ++i) {
      const auto& span = s.spans[i];
      fmt::format_to(it, "{:>6} {:>12} {:>12} {:>12} {:>9}  {}\n", span.ranks,
                     human_duration(span.rank_min_s), human_duration(span.rank_p50_s),
                     human_duration(span.rank_max_s), span.rank_of_max, span.name);
    }
  }

  fmt::format_to(it, "\nSlowest task records\n");
  fmt::format_to(it, "{:>10} {:>6} {:>12} {:>12}  {}\n", "task", "rank", "start s", "duration",
                 "function");
  for (const auto& t : s.slowest) {
    fmt::format_to(it, "{:>10} {:>6} {:>12.6f} {:>12}  {}\n", t.task_id, t.rank, t.start_s,
                   human_duration(t.duration_s), t.function);
  }
  const std::string sacct = sacct_command(s);
  if (sacct.empty()) {
    fmt::format_to(it,
                   "\nSlurm: not run under Slurm (no SLURM_JOB_ID); for a Slurm job, cross-check "
                   "with:\n  {}\n",
                   sacct_command(s, "<jobid>"));
  } else {
    fmt::format_to(it, "\nSlurm: cross-check with Slurm's accounting:\n  {}\n", sacct);
  }
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

}  // namespace multirank::detail
