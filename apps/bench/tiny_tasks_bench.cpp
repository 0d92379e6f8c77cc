// multirank-tiny-tasks: many tiny tasks through Executor.map, timed; the workload on which the
// profiler's recording overhead is measured (apps/bench/profile_overhead.sh runs it with and
// without MULTIRANK_PROFILE). Prints each repetition and "timed_seconds=<median>".
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ranges>
#include <vector>

#include "multirank/multirank.hpp"

namespace {
int square(int x) { return x * x; }
MULTIRANK_TASK(square);
}  // namespace

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);  // worker ranks serve here
  CLI::App cli{"multirank-tiny-tasks: time N tiny tasks through Executor.map"};
  int tasks = 100'000;
  std::size_t chunksize = 1;
  int repeat = 3;
  cli.add_option("--tasks", tasks, "tasks per map")->check(CLI::PositiveNumber);
  cli.add_option("--chunksize", chunksize, "map chunksize (1: one task record per task)")->check(CLI::PositiveNumber);
  cli.add_option("--repeat", repeat, "timed maps; the median is reported")->check(CLI::PositiveNumber);
  CLI11_PARSE(cli, argc, argv);

  multirank::Executor executor;
  std::vector<double> seconds;
  for (int run = 0; run < repeat; ++run) {
    long long sum = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int value : executor.map(square, std::views::iota(0, tasks), {.chunksize = chunksize})) sum += value;
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::printf("run %d: %d tasks in %.4f s (%.0f tasks/s)%s\n", run + 1, tasks, seconds.back(),
                tasks / seconds.back(), sum == -1 ? "!" : "");
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf("timed_seconds=%.6f\n", seconds[seconds.size() / 2]);
  return 0;
}
