// Assembling a run from its ranks' logs, and the figures every report is made of.
#include "profile/profile_run.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <regex>
#include <tuple>

#include "multirank/error.hpp"
#include "recording/binary_log.hpp"

namespace multirank::detail {

namespace {

double seconds(std::int64_t ns) { return static_cast<double>(ns) * 1e-9; }

/// Where the value at fraction `q` of `count` sorted values lies (nearest rank).
std::size_t quantile_index(std::size_t count, double q) {
  const auto index = static_cast<std::size_t>(std::ceil(q * static_cast<double>(count)));
  return std::min(count - 1, index == 0 ? 0 : index - 1);
}

/// The value at fraction `q` of sorted `values` (nearest rank).
double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  return sorted[quantile_index(sorted.size(), q)];
}

/// The median and the 95th percentile of `values` (nearest rank), which it reorders: selected,
/// not sorted, as a run's hundreds of thousands of task times were a large part of summarising.
std::pair<double, double> median_and_p95(std::vector<double>& values) {
  if (values.empty()) return {0, 0};
  const auto median =
      values.begin() + static_cast<std::ptrdiff_t>(quantile_index(values.size(), 0.50));
  const auto p95 =
      values.begin() + static_cast<std::ptrdiff_t>(quantile_index(values.size(), 0.95));
  std::nth_element(values.begin(), median, values.end());
  // Everything past the median is at least as large: the 95th percentile is among it.
  if (p95 > median) std::nth_element(median + 1, p95, values.end());
  return {*median, *p95};
}

}  // namespace

const std::string& ProfileRun::function_name(std::uint64_t id) const {
  static const std::string unknown = "(unknown task)";
  auto it = functions.find(id);
  return it == functions.end() ? unknown : it->second;
}

std::int64_t to_rank0_clock(const RankLogHeader& header, std::int64_t local_ns) {
  const ClockSample& a = header.clock_start;
  const ClockSample& b = header.clock_end;
  double offset = static_cast<double>(a.offset_ns);
  // The end estimate exists only for a run that finished. When the two estimates differ by more
  // than their errors, the clocks drift: the offset moves linearly between them (extrapolated
  // beyond). Otherwise the difference is noise, and a slope drawn from it would stretch every
  // duration (on a loaded node, errors of a millisecond over a one-second run would make a 50 ms
  // task 0.2 ms short): the better of the two estimates is used throughout.
  const bool drift_resolved = header.complete && b.local_ns > a.local_ns &&
                              std::llabs(b.offset_ns - a.offset_ns) > a.error_ns + b.error_ns;
  if (header.complete && !drift_resolved && b.error_ns < a.error_ns)
    offset = static_cast<double>(b.offset_ns);
  if (drift_resolved) {
    const double slope = static_cast<double>(b.offset_ns - a.offset_ns) /
                         static_cast<double>(b.local_ns - a.local_ns);
    offset += slope * static_cast<double>(local_ns - a.local_ns);
  }
  return local_ns - static_cast<std::int64_t>(std::llround(offset));
}

ProfileRun assemble_run(std::vector<RankLog> logs, std::string label) {
  ProfileRun run;
  run.label = std::move(label);
  if (logs.empty())
    throw DecodeError(run.label + ": no rank logs (rank-<r>.binlog or rank-<r>.jsonl)");
  std::sort(logs.begin(), logs.end(),
            [](const RankLog& a, const RankLog& b) { return a.header.rank < b.header.rank; });
  const int size = logs.front().header.size;
  for (std::size_t r = 0; r < logs.size(); ++r) {
    if (logs[r].header.rank != static_cast<int>(r) || logs[r].header.size != size) {
      throw DecodeError(run.label + ": the logs are not one per rank of one run (rank " +
                        std::to_string(r) + " of " + std::to_string(size) +
                        " is missing or twice)");
    }
  }
  if (static_cast<int>(logs.size()) != size) {
    throw DecodeError(run.label + ": " + std::to_string(logs.size()) + " rank logs for a run of " +
                      std::to_string(size) + " ranks");
  }
  const std::int64_t origin = to_rank0_clock(logs[0].header, logs[0].header.window_start_ns);
  run.duration_ns = to_rank0_clock(logs[0].header, logs[0].header.window_end_ns) - origin;
  for (auto& log : logs) {
    RankTimeline lane;
    const auto& h = log.header;
    auto place = [&](std::int64_t local) { return to_rank0_clock(h, local) - origin; };
    for (auto& task : log.tasks) {
      task.start_ns = place(task.start_ns);
      task.end_ns = place(task.end_ns);
    }
    for (auto& message : log.messages) message.time_ns = place(message.time_ns);
    for (auto& sample : log.queue) sample.time_ns = place(sample.time_ns);
    for (auto& span : log.spans) {
      span.start_ns = place(span.start_ns);
      span.end_ns = place(span.end_ns);
    }
    std::sort(log.spans.begin(), log.spans.end(),
              [](const SpanEvent& a, const SpanEvent& b) { return a.start_ns < b.start_ns; });
    for (const auto& phase : h.phases)
      lane.phases.push_back({phase.name, place(phase.start_ns), place(phase.end_ns), phase.row});
    std::stable_sort(
        lane.phases.begin(), lane.phases.end(),
        [](const PhaseEvent& a, const PhaseEvent& b) { return a.start_ns < b.start_ns; });
    lane.process_start_ns = place(h.window_start_ns);
    run.span_names.insert(log.header.span_names.begin(), log.header.span_names.end());
    auto node = std::find(run.nodes.begin(), run.nodes.end(), h.host);
    lane.node = static_cast<int>(node - run.nodes.begin());
    if (node == run.nodes.end()) run.nodes.push_back(h.host);
    run.functions.insert(h.functions.begin(), h.functions.end());
    run.complete = run.complete && h.complete;
    lane.header = std::move(log.header);
    lane.tasks = std::move(log.tasks);
    lane.messages = std::move(log.messages);
    lane.queue = std::move(log.queue);
    lane.spans = std::move(log.spans);
    run.ranks.push_back(std::move(lane));
  }
  return run;
}

std::vector<RankLog> load_rank_logs(const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir)) {
    throw DecodeError(dir.string() + ": not a directory of multirank profile logs");
  }
  // rank-<r>.binlog as a run writes it; rank-<r>.jsonl from `multirank-report --jsonl` or from
  // older runs, read where a rank has no binary log.
  static const std::regex log_name(R"(rank-(\d+)\.(binlog|jsonl))");
  std::map<std::string, std::filesystem::path> by_rank;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, match, log_name)) continue;
    auto [at, added] = by_rank.emplace(match[1].str(), entry.path());
    if (!added && match[2].str() == "binlog") at->second = entry.path();
  }
  std::vector<RankLog> logs;
  for (const auto& [rank, path] : by_rank) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DecodeError(path.string() + ": cannot be opened");
    std::string bytes(static_cast<std::size_t>(std::filesystem::file_size(path)), '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    logs.push_back(is_binary_log(bytes) ? parse_binary_log(bytes, path.string())
                                        : parse_rank_log(bytes, path.string()));
  }
  return logs;
}

ProfileRun load_run(const std::filesystem::path& dir) {
  return assemble_run(load_rank_logs(dir), dir.string());
}

namespace {

/// A task record that may be among the slowest.
struct Candidate {
  std::int64_t took;
  const TaskEvent* task;
  int rank;
};

/// One rank's figures; adds its tasks to their functions' statistics and to the candidates for
/// the slowest.
RankStats rank_stats(const ProfileRun& run, const RankTimeline& lane,
                     std::map<std::uint64_t, FunctionStats>& functions,
                     std::vector<Candidate>& slow_candidates) {
  const auto& h = lane.header;
  RankStats stats;
  stats.rank = h.rank;
  stats.host = h.host;
  stats.runs_tasks = h.runs_tasks;
  std::int64_t busy = 0;
  std::int64_t serialise = 0;
  std::int64_t first = run.duration_ns;
  std::int64_t last = 0;
  // Tasks of one function come in runs: its statistics are looked up once per run.
  FunctionStats* function = nullptr;
  std::uint64_t function_id = 0;
  for (const auto& task : lane.tasks) {
    if (function == nullptr || task.function_id != function_id) {
      function = &functions[task.function_id];
      function_id = task.function_id;
    }
    FunctionStats& f = *function;
    const std::int64_t took = task.end_ns - task.start_ns;
    busy += took;
    serialise += task.serialise_ns;
    first = std::min(first, task.start_ns);
    last = std::max(last, task.end_ns);
    stats.items += task.items;
    stats.failed_items += task.failed_items;
    f.calls += task.items;
    f.records += 1;
    f.failed += task.failed_items;
    f.total_s += seconds(took);
    f.max_s = std::max(f.max_s, seconds(took) / std::max<std::uint32_t>(1, task.items));
    f.bytes_in += task.bytes_in;
    f.bytes_out += task.bytes_out;
    f.call_s.push_back(seconds(took) / std::max<std::uint32_t>(1, task.items));
    slow_candidates.push_back({took, &task, h.rank});
  }
  stats.tasks = lane.tasks.size() + h.dropped_tasks;
  for (const auto& [id, totals] : h.overflow) {
    busy += totals.total_ns;
    serialise += totals.serialise_ns;
    auto& f = functions[id];
    f.calls += totals.calls;
    f.records += totals.calls;
    f.total_s += seconds(totals.total_ns);
    f.max_s = std::max(f.max_s, seconds(totals.max_ns));
  }
  stats.busy_s = seconds(busy);
  stats.serialise_s = seconds(serialise);
  stats.comm_s = seconds(h.comm_ns);
  // The driver's MPI calls run on their own thread, beside its tasks: they take no time from them.
  const std::int64_t comm_in_lane = h.comm_on_own_thread ? 0 : h.comm_ns;
  const std::int64_t active = last > first ? last - first : 0;
  const std::int64_t wait = std::max<std::int64_t>(0, active - busy - comm_in_lane);
  stats.wait_s = seconds(wait);
  stats.idle_s = seconds(std::max<std::int64_t>(0, run.duration_ns - busy - wait - comm_in_lane));
  stats.utilisation =
      run.duration_ns > 0 ? static_cast<double>(busy) / static_cast<double>(run.duration_ns) : 0;
  stats.clock_offset_s = seconds(h.clock_start.offset_ns);
  stats.clock_error_s = seconds(std::max(h.clock_start.error_ns, h.clock_end.error_ns));
  return stats;
}

/// The load balance over the ranks that run tasks.
void add_balance(RunSummary& summary) {
  double busy_sum = 0;
  int working = 0;
  for (const auto& stats : summary.ranks) {
    if (!stats.runs_tasks) continue;
    busy_sum += stats.busy_s;
    summary.max_busy_s = std::max(summary.max_busy_s, stats.busy_s);
    ++working;
  }
  summary.mean_busy_s = working > 0 ? busy_sum / working : 0;
  summary.balance_efficiency =
      summary.max_busy_s > 0 ? summary.mean_busy_s / summary.max_busy_s : 0;
  summary.imbalance_factor = summary.mean_busy_s > 0 ? summary.max_busy_s / summary.mean_busy_s : 0;
}

/// The functions' statistics completed, longest total time first.
void add_functions(RunSummary& summary, const ProfileRun& run,
                   std::map<std::uint64_t, FunctionStats>& functions) {
  for (auto& [id, f] : functions) {
    f.name = run.function_name(id);
    f.mean_s = f.calls > 0 ? f.total_s / static_cast<double>(f.calls) : 0;
    std::tie(f.p50_s, f.p95_s) = median_and_p95(f.call_s);
    summary.functions.push_back(std::move(f));
  }
  std::sort(summary.functions.begin(), summary.functions.end(),
            [](const FunctionStats& a, const FunctionStats& b) { return a.total_s > b.total_s; });
}

/// The `slowest` slowest task records, slowest first.
void add_slowest(RunSummary& summary, const ProfileRun& run,
                 std::vector<Candidate>& slow_candidates, std::size_t slowest) {
  const std::size_t keep = std::min(slowest, slow_candidates.size());
  std::partial_sort(slow_candidates.begin(),
                    slow_candidates.begin() + static_cast<std::ptrdiff_t>(keep),
                    slow_candidates.end(),
                    [](const Candidate& a, const Candidate& b) { return a.took > b.took; });
  for (std::size_t i = 0; i < keep; ++i) {
    const auto& c = slow_candidates[i];
    summary.slowest.push_back({c.task->task_id, c.task->function_id,
                               run.function_name(c.task->function_id), c.rank,
                               seconds(c.task->start_ns), seconds(c.took)});
  }
}

/// The spans' statistics per name over every rank, largest total first.
void add_spans(RunSummary& summary, const ProfileRun& run) {
  struct Totals {
    SpanStats stats;
    std::vector<double> call_s;
    std::map<int, double> rank_s;
    std::uint64_t counter_id = 0;
  };
  std::map<std::uint64_t, Totals> by_name;
  double busy_s = 0;
  for (const auto& rank : summary.ranks) busy_s += rank.busy_s;
  for (const auto& lane : run.ranks) {
    summary.dropped_spans += lane.header.dropped_spans;
    for (const auto& span : lane.spans) {
      Totals& t = by_name[span.name_id];
      const double took = seconds(span.end_ns - span.start_ns);
      t.stats.calls += 1;
      t.stats.total_s += took;
      t.stats.own_s += seconds(span.own_ns);
      t.stats.max_s = std::max(t.stats.max_s, took);
      t.stats.counter_total += span.counter;
      if (span.counter_id != 0) t.counter_id = span.counter_id;
      t.call_s.push_back(took);
      t.rank_s[lane.header.rank] += took;
    }
  }
  auto name_of = [&](std::uint64_t id) {
    auto it = run.span_names.find(id);
    return it == run.span_names.end() ? std::string("(unknown span)") : it->second;
  };
  for (auto& [id, t] : by_name) {
    SpanStats& s = t.stats;
    s.name = name_of(id);
    if (t.counter_id != 0) s.counter = name_of(t.counter_id);
    s.mean_s = s.total_s / static_cast<double>(s.calls);
    std::tie(s.p50_s, s.p95_s) = median_and_p95(t.call_s);
    s.busy_share = busy_s > 0 ? s.own_s / busy_s : 0;
    std::vector<double> per_rank;
    for (const auto& [rank, took] : t.rank_s) {
      per_rank.push_back(took);
      if (took >= s.rank_max_s) {
        s.rank_max_s = took;
        s.rank_of_max = rank;
      }
    }
    std::sort(per_rank.begin(), per_rank.end());
    s.ranks = static_cast<int>(per_rank.size());
    s.rank_min_s = per_rank.front();
    s.rank_p50_s = quantile(per_rank, 0.50);
    summary.spans.push_back(std::move(s));
  }
  std::sort(summary.spans.begin(), summary.spans.end(),
            [](const SpanStats& a, const SpanStats& b) { return a.total_s > b.total_s; });
}

/// Each phase over the ranks that had it; in rank 0's order, then any only other ranks had.
void add_phases(RunSummary& summary, const ProfileRun& run) {
  struct Totals {
    std::vector<std::pair<double, int>> took;  // seconds, rank
    std::vector<double> start_s;
  };
  std::vector<std::string> order;
  std::map<std::string, Totals> by_name;
  for (const auto& lane : run.ranks) {
    for (const auto& phase : lane.phases) {
      auto [at, added] = by_name.try_emplace(phase.name);
      if (added) order.push_back(phase.name);
      at->second.took.emplace_back(seconds(phase.end_ns - phase.start_ns), lane.header.rank);
      at->second.start_s.push_back(seconds(phase.start_ns));
    }
  }
  for (const auto& name : order) {
    Totals& t = by_name[name];
    PhaseStats stats;
    stats.name = name;
    stats.ranks = static_cast<int>(t.took.size());
    // The slowest rank: the first of the longest, so a tie names the lowest rank.
    const auto slowest =
        std::max_element(t.took.begin(), t.took.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
    stats.max_s = slowest->first;
    stats.slowest_rank = slowest->second;
    std::vector<double> took;
    for (const auto& [s, rank] : t.took) took.push_back(s);
    std::sort(took.begin(), took.end());
    stats.median_s = quantile(took, 0.50);
    stats.p95_s = quantile(took, 0.95);
    std::sort(t.start_s.begin(), t.start_s.end());
    stats.median_start_s = quantile(t.start_s, 0.50);
    summary.phases.push_back(std::move(stats));
  }
}

/// Which ranks the per-rank tables list, and the spreads of their figures over all ranks.
void add_rank_spreads(RunSummary& summary) {
  std::vector<std::size_t> working;
  for (std::size_t i = 0; i < summary.ranks.size(); ++i) {
    if (summary.ranks[i].runs_tasks) working.push_back(i);
  }
  const std::pair<const char*, double RankStats::*> figures[] = {
      {"busy", &RankStats::busy_s}, {"serialise", &RankStats::serialise_s},
      {"comm", &RankStats::comm_s}, {"wait", &RankStats::wait_s},
      {"idle", &RankStats::idle_s}, {"utilisation", &RankStats::utilisation}};
  for (const auto& [name, member] : figures) {
    if (working.empty()) break;
    std::vector<std::pair<double, int>> values;
    for (std::size_t i : working)
      values.emplace_back(summary.ranks[i].*member, summary.ranks[i].rank);
    std::sort(values.begin(), values.end());
    std::vector<double> sorted;
    for (const auto& value : values) sorted.push_back(value.first);
    summary.rank_spreads.push_back({name, sorted.front(), quantile(sorted, 0.25),
                                    quantile(sorted, 0.50), quantile(sorted, 0.75), sorted.back(),
                                    values.front().second, values.back().second});
  }
  if (summary.ranks.size() <= ranks_listed_in_full) {
    for (std::size_t i = 0; i < summary.ranks.size(); ++i) summary.listed_ranks.push_back(i);
    return;
  }
  // By busy time; a tie keeps rank order, so the lists are the same from run to run.
  std::stable_sort(working.begin(), working.end(), [&](std::size_t a, std::size_t b) {
    return summary.ranks[a].busy_s < summary.ranks[b].busy_s;
  });
  std::vector<std::size_t> listed{0};
  const std::size_t extremes = std::min(extreme_ranks_listed, working.size());
  listed.insert(listed.end(), working.begin(),
                working.begin() + static_cast<std::ptrdiff_t>(extremes));
  listed.insert(listed.end(), working.end() - static_cast<std::ptrdiff_t>(extremes), working.end());
  std::sort(listed.begin(), listed.end());
  listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
  summary.listed_ranks = std::move(listed);
}

}  // namespace

RunSummary summarise(const ProfileRun& run, std::size_t slowest) {
  RunSummary summary;
  summary.wall_s = seconds(run.duration_ns);
  std::map<std::uint64_t, FunctionStats> functions;
  std::vector<Candidate> slow_candidates;
  std::size_t task_count = 0;
  for (const auto& lane : run.ranks) task_count += lane.tasks.size();
  slow_candidates.reserve(task_count);
  for (const auto& lane : run.ranks) {
    const auto& h = lane.header;
    RankStats stats = rank_stats(run, lane, functions, slow_candidates);
    summary.dropped_tasks += h.dropped_tasks;
    summary.max_clock_error_s = std::max(summary.max_clock_error_s, stats.clock_error_s);
    summary.tasks += stats.tasks;
    if (summary.slurm_job_id.empty()) summary.slurm_job_id = h.slurm_job_id;
    if (summary.slurm_step_id.empty()) summary.slurm_step_id = h.slurm_step_id;
    summary.ranks.push_back(std::move(stats));
  }
  add_balance(summary);
  add_rank_spreads(summary);
  add_functions(summary, run, functions);
  add_slowest(summary, run, slow_candidates, slowest);
  add_spans(summary, run);
  add_phases(summary, run);
  return summary;
}

}  // namespace multirank::detail
