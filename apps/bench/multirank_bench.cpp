// multirank-bench: the runtime's overheads, measured side by side in one run: raw MPI ping-pong,
// an empty task's submit-to-result round trip, map throughput with chunksize 1 and with Python's
// default chunksize, and the CPU an idle rank burns while it waits. Not a test: timings only.
#include <mpi.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <ranges>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mpi_command_line.hpp"
#include "multirank/multirank.hpp"
#include "process_cpu.hpp"

namespace {

using Clock = std::chrono::steady_clock;

void empty_task() {}
MULTIRANK_TASK(empty_task);

int square(int x) { return x * x; }
MULTIRANK_TASK(square);

int sleep_ms(int milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  return milliseconds;
}
MULTIRANK_TASK(sleep_ms);

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/// Round trip of an 8-byte message between ranks 0 and 1, in µs; other ranks wait in a napping
/// loop so they do not steal a core (Open MPI's blocking calls busy-poll).
double mpi_ping_pong_us(int rounds) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  double rtt_us = 0;
  std::uint64_t token = 0;
  if (size >= 2 && rank <= 1) {
    const int peer = 1 - rank;
    std::vector<double> samples;
    for (int batch = 0; batch < 21; ++batch) {
      const auto start = Clock::now();
      for (int i = 0; i < rounds; ++i) {
        if (rank == 0) {
          MPI_Send(&token, 1, MPI_UINT64_T, peer, 0, MPI_COMM_WORLD);
          MPI_Recv(&token, 1, MPI_UINT64_T, peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
          MPI_Recv(&token, 1, MPI_UINT64_T, peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          MPI_Send(&token, 1, MPI_UINT64_T, peer, 0, MPI_COMM_WORLD);
        }
      }
      samples.push_back(seconds_since(start) * 1e6 / rounds);
    }
    rtt_us = median(samples);
  }
  MPI_Request barrier;
  MPI_Ibarrier(MPI_COMM_WORLD, &barrier);
  for (int done = 0; !done;) {
    MPI_Test(&barrier, &done, MPI_STATUS_IGNORE);
    if (!done) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return rtt_us;
}

/// Highest CPU % used by any of `pids` over `seconds` while `wait` runs.
template <class Wait>
double max_cpu_percent(const std::vector<int>& pids, double seconds, Wait wait) {
  std::vector<double> before;
  for (int pid : pids) before.push_back(multirank_bench::process_cpu_seconds(pid));
  const auto start = Clock::now();
  wait();
  const double elapsed = std::max(seconds, seconds_since(start));
  double worst = 0;
  for (std::size_t i = 0; i < pids.size(); ++i) {
    worst = std::max(worst,
                     100.0 * (multirank_bench::process_cpu_seconds(pids[i]) - before[i]) / elapsed);
  }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"multirank-bench: runtime overheads, side by side"};
  bool json = false;
  int rtt_rounds = 20000;
  int map_chunk1_tasks = 200000;
  int map_auto_tasks = 10'000'000;
  double idle_seconds = 2.0;
  cli.add_flag("--json", json, "print one JSON object instead of a table");
  cli.add_option("--rtt-rounds", rtt_rounds, "submit+result round trips to time")
      ->check(CLI::PositiveNumber);
  cli.add_option("--map-chunk1-tasks", map_chunk1_tasks, "tasks in the chunksize-1 map")
      ->check(CLI::PositiveNumber);
  cli.add_option("--map-auto-tasks", map_auto_tasks, "tasks in the default-chunksize map")
      ->check(CLI::PositiveNumber);
  cli.add_option("--idle-seconds", idle_seconds, "length of the idle CPU measurement")
      ->check(CLI::PositiveNumber);

  // MPI is initialised here, before the Runtime.
  multirank_bench::MpiRanks ranks;
  if (const auto status = multirank_bench::start_mpi_then_parse(cli, argc, argv, ranks))
    return *status;
  const int size = ranks.size;

  const double mpi_rtt_us = mpi_ping_pong_us(10000);
  int pid = getpid();
  std::vector<int> pids(static_cast<std::size_t>(size));
  MPI_Gather(&pid, 1, MPI_INT, pids.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);

  std::optional<multirank::Runtime> runtime(std::in_place, argc, argv);  // workers serve here
  auto executor_owner = std::make_unique<multirank::Executor>();
  auto pool_owner = std::make_unique<multirank::Pool>();
  auto& executor = *executor_owner;
  auto& pool = *pool_owner;

  // Round trip of an empty task, one in flight.
  for (int i = 0; i < 2000; ++i) executor.submit(empty_task).result();
  std::vector<double> rtts;
  rtts.reserve(static_cast<std::size_t>(rtt_rounds));
  for (int i = 0; i < rtt_rounds; ++i) {
    const auto start = Clock::now();
    executor.submit(empty_task).result();
    rtts.push_back(seconds_since(start) * 1e6);
  }
  const double rtt_us = median(rtts);

  auto map_rate = [&](int tasks, std::size_t chunksize, bool pool_default) {
    std::vector<double> rates;
    for (int run = 0; run < 3; ++run) {
      auto inputs = std::views::iota(0, tasks);
      const auto start = Clock::now();
      long long sum = 0;
      if (pool_default) {
        std::vector<int> all(inputs.begin(), inputs.end());
        const auto begin = Clock::now();
        for (int value : pool.map(square, all)) sum += value;
        rates.push_back(tasks / seconds_since(begin));
      } else {
        for (int value : executor.map(square, inputs, {.chunksize = chunksize})) sum += value;
        rates.push_back(tasks / seconds_since(start));
      }
      if (sum == -1) std::puts("");  // keep the sum alive
    }
    return median(rates);
  };
  const double chunk1_rate = map_rate(map_chunk1_tasks, 1, false);
  const double auto_rate = map_rate(map_auto_tasks, 0, true);

  // CPU of idle ranks: every rank waits with nothing to do; then the driver waits on a result.
  const double idle_cpu = max_cpu_percent(pids, idle_seconds, [&] {
    std::this_thread::sleep_for(std::chrono::duration<double>(idle_seconds));
  });
  const int wait_ms = static_cast<int>(idle_seconds * 1000);
  const double waiting_cpu = max_cpu_percent({pids[0]}, idle_seconds,
                                             [&] { executor.submit(sleep_ms, wait_ms).result(); });

  const int slots = runtime->worker_slots();
  if (json) {
    nlohmann::json out{{"ranks", size},
                       {"worker_slots", slots},
                       {"mpi_rtt_us", mpi_rtt_us},
                       {"rtt_us", rtt_us},
                       {"map_chunk1_tasks_per_s", chunk1_rate},
                       {"map_auto_tasks_per_s", auto_rate},
                       {"idle_cpu_percent", idle_cpu},
                       {"waiting_driver_cpu_percent", waiting_cpu}};
    std::cout << out.dump() << std::endl;
  } else {
    std::printf("multirank-bench: %d ranks, %d worker slots\n", size, slots);
    std::printf("  %-48s %12.2f us\n", "raw MPI ping-pong round trip (ranks 0-1)", mpi_rtt_us);
    std::printf("  %-48s %12.2f us\n", "empty task submit+result, 1 in flight (median)", rtt_us);
    std::printf("  %-48s %12.0f tasks/s\n", "Executor.map chunksize=1", chunk1_rate);
    std::printf("  %-48s %12.0f tasks/s\n", "Pool.map default chunksize", auto_rate);
    std::printf("  %-48s %12.1f %%\n", "CPU of the busiest idle rank", idle_cpu);
    std::printf("  %-48s %12.1f %%\n", "CPU of the driver waiting on a result", waiting_cpu);
  }
  pool_owner.reset();
  executor_owner.reset();
  runtime.reset();  // stops the workers
  MPI_Finalize();
  return 0;
}
