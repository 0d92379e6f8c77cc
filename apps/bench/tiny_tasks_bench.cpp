// multirank-tiny-tasks: many tiny tasks through Executor.map, timed; the workload on which the
// profiler's recording overhead is measured (apps/bench/profile_overhead.sh runs it with and
// without MULTIRANK_PROFILE). Prints each repetition and "timed_seconds=<median>". --task-us U
// makes each task busy for U microseconds (the same map, tasks of a known size).
// --recording-cost instead times what profiling adds to running one tiny task record, on this
// process alone: the same record executed with and without a recorder, interleaved, best of
// several rounds (robust to a noisy machine, where whole runs vary by tens of percent).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ranges>
#include <tuple>
#include <vector>

#include "multirank/detail/codec.hpp"
#include "multirank/detail/wire.hpp"
#include "multirank/multirank.hpp"
#include "number_checks.hpp"
#include "recording/profile_recorder.hpp"
#include "tasks/task_execution.hpp"

namespace {
int square(int x) { return x * x; }
MULTIRANK_TASK(square);

/// square, after keeping the core busy for `busy_us` microseconds: tasks of a known size, to see
/// how the runtime's and the profiler's costs shrink against the work.
int busy_square(int x, int busy_us) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(busy_us);
  while (std::chrono::steady_clock::now() < until) {
  }
  return x * x;
}
MULTIRANK_TASK(busy_square);

/// Nanoseconds per execution of a square(7) task record, without and with a profile recorder.
std::pair<double, double> recording_cost_ns(int records, int rounds) {
  using namespace multirank::detail;
  const TaskEntry& entry = multirank::TaskRef<int(int)>::of(square).entry();
  std::vector<char> args;
  ByteWriter args_out(args);
  encode(args_out, 7);
  std::vector<char> items;
  ByteWriter items_out(items);
  write_blob(items_out, args);
  const TaskRecordHeader header{1, entry.id, entry.args_signature, 0, 1, 0, items.size()};
  std::vector<char> results;
  auto time_records = [&](ExecutionContext& context) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < records; ++i) {
      results.clear();
      ByteWriter out(results);
      execute_record(header, items, out, context);
    }
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start)
               .count() /
           records;
  };
  double best_off = 1e300;
  double best_on = 1e300;
  for (int round = 0; round < rounds; ++round) {
    ExecutionContext off;
    best_off = std::min(best_off, time_records(off));
    ProfileRecorder recorder(static_cast<std::size_t>(records), 0);
    ExecutionContext on;
    on.recorder = &recorder;
    best_on = std::min(best_on, time_records(on));
  }
  return {best_off, best_on};
}
}  // namespace

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);  // worker ranks serve here
  CLI::App cli{"multirank-tiny-tasks: time N tiny tasks through Executor.map"};
  int tasks = 100'000;
  std::size_t chunksize = 1;
  int repeat = 3;
  cli.add_option("--tasks", tasks, "tasks per map")->check(multirank::apps::positive_number());
  cli.add_option("--chunksize", chunksize, "map chunksize (1: one task record per task)")
      ->check(multirank::apps::positive_number());
  cli.add_option("--repeat", repeat, "timed maps; the median is reported")
      ->check(multirank::apps::positive_number());
  int busy_us = 0;
  cli.add_option("--task-us", busy_us,
                 "each task keeps its core busy this many microseconds first (0: none)")
      ->check(multirank::apps::non_negative_number());
  bool recording_cost = false;
  cli.add_flag("--recording-cost", recording_cost,
               "time what profiling adds to executing one tiny task record, on this process alone");
  CLI11_PARSE(cli, argc, argv);
  if (recording_cost) {
    const auto [off, on] = recording_cost_ns(tasks, 21);
    std::printf(
        "tiny task record executed: %.1f ns without a recorder, %.1f ns with (+%.1f ns), best of "
        "21 rounds of %d\n",
        off, on, on - off, tasks);
    return 0;
  }

  multirank::Executor executor;
  // busy_square's arguments, made once, outside the timed maps.
  std::vector<std::tuple<int, int>> busy_arguments;
  if (busy_us > 0) {
    busy_arguments.reserve(static_cast<std::size_t>(tasks));
    for (int i = 0; i < tasks; ++i) busy_arguments.emplace_back(i, busy_us);
  }
  std::vector<double> seconds;
  for (int run = 0; run < repeat; ++run) {
    long long sum = 0;
    const auto start = std::chrono::steady_clock::now();
    if (busy_us == 0) {
      for (int value : executor.map(square, std::views::iota(0, tasks), {.chunksize = chunksize}))
        sum += value;
    } else {
      for (int value : executor.starmap(busy_square, busy_arguments, {.chunksize = chunksize}))
        sum += value;
    }
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::printf("run %d: %d tasks in %.4f s (%.0f tasks/s)%s\n", run + 1, tasks, seconds.back(),
                tasks / seconds.back(), sum == -1 ? "!" : "");
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf("timed_seconds=%.6f\n", seconds[seconds.size() / 2]);
  return 0;
}
