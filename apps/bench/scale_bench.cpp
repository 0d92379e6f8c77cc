// multirank-scale: what the driver (rank 0) spends to keep N worker ranks busy, per task length:
// its CPU per task and per message, its peak memory, the messages it handles per second, the
// heartbeats it receives, and the cost of a shared Queue and Lock hammered by one Process per
// worker rank. apps/bench/scale_sweep.sh runs it for many N; apps/bench/scale_model.py projects
// its figures to thousands of workers. Not a test: timings only.
//
// The driver's CPU is its whole process's (every thread: the main thread, the engine's, MPI's),
// so it includes the polling it does while it waits; with empty tasks it never waits, and its CPU
// per task is the cost of a task. Messages are counted below the runtime, by MPI's profiling
// interface (mpi_message_counts.hpp).
#include <mpi.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "mpi_command_line.hpp"
#include "mpi_message_counts.hpp"
#include "multirank/detail/wire.hpp"
#include "multirank/multirank.hpp"
#include "number_checks.hpp"
#include "process_cpu.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using multirank::detail::MessageKind;

/// Keeps the core busy for `busy_us` microseconds (none for 0): a task of a known length.
int busy_task(int x, int busy_us) {
  if (busy_us > 0) {
    const auto until = Clock::now() + std::chrono::microseconds(busy_us);
    while (Clock::now() < until) {
    }
  }
  return x;
}
MULTIRANK_TASK(busy_task);

/// A Process's share of the queue's load: `ops` puts, each followed by a get.
void hammer_queue(multirank::Queue<int> queue, int ops) {
  for (int i = 0; i < ops; ++i) {
    queue.put(i);
    (void)queue.get();
  }
}
MULTIRANK_TASK(hammer_queue);

/// A Process's share of the lock's load: `ops` acquire-release pairs.
void hammer_lock(multirank::Lock lock, int ops) {
  for (int i = 0; i < ops; ++i) {
    lock.acquire();
    lock.release();
  }
}
MULTIRANK_TASK(hammer_lock);

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

/// This process's peak resident memory (VmHWM), KiB.
long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

/// The heartbeat interval the runtime computes (engine/worker_watch.cpp): a fifth of the worker
/// timeout in whole seconds (so 0 below 5 s), at least 100 ms; 0 where heartbeats are off.
double heartbeat_interval_seconds() {
  const char* text = std::getenv("MULTIRANK_WORKER_TIMEOUT_S");
  const long timeout = text != nullptr && *text != '\0' ? std::atol(text) : 10;
  return timeout <= 0 ? 0.0 : std::max(0.1, static_cast<double>(timeout) / 5);
}

/// What rank 0 and the ranks on its node used, and the messages rank 0 handled, at one moment.
struct Snapshot {
  Clock::time_point when = Clock::now();
  double driver_cpu = process_cpu_seconds();
  double workers_cpu = 0;
  MpiMessageCounts messages{};

  explicit Snapshot(const std::vector<int>& worker_pids) {
    for (int pid : worker_pids) workers_cpu += multirank_bench::process_cpu_seconds(pid);
    mpi_message_counts_read(&messages);
  }
};

std::uint64_t received(const Snapshot& a, const Snapshot& b, MessageKind kind) {
  const auto k = static_cast<int>(kind);
  return b.messages.received[k] - a.messages.received[k];
}
std::uint64_t sent(const Snapshot& a, const Snapshot& b, MessageKind kind) {
  const auto k = static_cast<int>(kind);
  return b.messages.sent[k] - a.messages.sent[k];
}
std::uint64_t all_messages(const Snapshot& a, const Snapshot& b) {
  std::uint64_t total = 0;
  for (int k = 0; k < mpi_counted_tags; ++k) {
    total +=
        b.messages.sent[k] - a.messages.sent[k] + b.messages.received[k] - a.messages.received[k];
  }
  return total;
}

/// One timed map of `tasks` tasks of `task_us` µs each.
nlohmann::json measure_map(multirank::Executor& executor, int workers, int task_us, int tasks,
                           const std::vector<int>& worker_pids) {
  std::vector<std::tuple<int, int>> arguments;
  arguments.reserve(static_cast<std::size_t>(tasks));
  for (int i = 0; i < tasks; ++i) arguments.emplace_back(i, task_us);
  long long sum = 0;
  const Snapshot before(worker_pids);
  for (int value : executor.starmap(busy_task, arguments, {.chunksize = 1})) sum += value;
  const Snapshot after(worker_pids);
  if (sum != static_cast<long long>(tasks) * (tasks - 1) / 2) {
    throw std::runtime_error("multirank-scale: a map returned wrong results");
  }
  const double wall = std::chrono::duration<double>(after.when - before.when).count();
  const double driver_cpu = after.driver_cpu - before.driver_cpu;
  // With the dispatch tree, a node's tasks leave in one envelope and its results come back in
  // envelopes: the driver's messages of either kind count.
  const auto task_messages =
      sent(before, after, MessageKind::tasks) + sent(before, after, MessageKind::relayed);
  const auto result_messages =
      received(before, after, MessageKind::results) + received(before, after, MessageKind::relayed);
  const auto messages = all_messages(before, after);
  const double per_task_us = driver_cpu / tasks * 1e6;
  return {{"task_us", task_us},
          {"tasks", tasks},
          {"wall_s", wall},
          {"tasks_per_s", tasks / wall},
          {"worker_utilisation", static_cast<double>(tasks) * task_us * 1e-6 / (wall * workers)},
          {"driver_cpu_s", driver_cpu},
          {"driver_cpu_fraction", driver_cpu / wall},
          {"driver_cpu_per_task_us", per_task_us},
          {"driver_cpu_per_message_us",
           messages == 0 ? 0.0 : driver_cpu / static_cast<double>(messages) * 1e6},
          {"workers_cpu_per_task_us",
           worker_pids.empty()
               ? nullptr
               : nlohmann::json((after.workers_cpu - before.workers_cpu) / tasks * 1e6)},
          {"task_messages", task_messages},
          {"result_messages", result_messages},
          {"tasks_per_task_message",
           task_messages == 0 ? 0.0 : static_cast<double>(tasks) / task_messages},
          {"results_per_result_message",
           result_messages == 0 ? 0.0 : static_cast<double>(tasks) / result_messages},
          {"messages", messages},
          {"messages_per_task", static_cast<double>(messages) / tasks},
          {"envelopes_sent", sent(before, after, MessageKind::relayed)},
          {"envelopes_received", received(before, after, MessageKind::relayed)},
          {"messages_per_s", messages / wall},
          {"heartbeats_received", received(before, after, MessageKind::heartbeat)},
          {"driver_peak_rss_kib", peak_rss_kib()}};
}

/// Rank 0 with nothing to do for `seconds`: the heartbeats it receives and the CPU it uses.
nlohmann::json measure_idle(double seconds, const std::vector<int>& worker_pids) {
  const Snapshot before(worker_pids);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const Snapshot after(worker_pids);
  const double wall = std::chrono::duration<double>(after.when - before.when).count();
  const auto heartbeats = received(before, after, MessageKind::heartbeat);
  return {{"wall_s", wall},
          {"heartbeat_interval_s", heartbeat_interval_seconds()},
          {"heartbeats_received", heartbeats},
          {"heartbeats_per_s", heartbeats / wall},
          {"heartbeat_bytes_per_s",
           (after.messages.received_bytes[static_cast<int>(MessageKind::heartbeat)] -
            before.messages.received_bytes[static_cast<int>(MessageKind::heartbeat)]) /
               wall},
          {"messages_per_s", all_messages(before, after) / wall},
          {"driver_cpu_fraction", (after.driver_cpu - before.driver_cpu) / wall}};
}

/// One Process per worker rank, each running `target` on the same shared object `ops` times.
template <class Target, class Object>
nlohmann::json measure_object(const char* name, Target target, Object object, int workers, int ops,
                              const std::vector<int>& worker_pids) {
  const Snapshot before(worker_pids);
  std::vector<multirank::Process> processes;
  processes.reserve(static_cast<std::size_t>(workers));
  for (int p = 0; p < workers; ++p) processes.emplace_back(target, object, ops).start();
  for (auto& process : processes) process.join();
  const Snapshot after(worker_pids);
  for (auto& process : processes) {
    if (process.exitcode() != 0) {
      throw std::runtime_error(std::string("multirank-scale: a ") + name + " process failed");
    }
  }
  const double wall = std::chrono::duration<double>(after.when - before.when).count();
  const double total_ops = static_cast<double>(workers) * ops;
  const auto requests = received(before, after, MessageKind::object_request);
  return {{"object", name},
          {"processes", workers},
          {"ops_per_process", ops},
          {"wall_s", wall},
          {"ops_per_s", total_ops / wall},
          {"wall_per_op_us", wall / total_ops * 1e6},
          {"op_latency_us", wall / ops * 1e6},
          {"driver_cpu_per_op_us", (after.driver_cpu - before.driver_cpu) / total_ops * 1e6},
          {"object_requests", requests},
          {"requests_per_op", static_cast<double>(requests) / total_ops}};
}

/// Tasks for one map: enough busy time to measure (`work_s` of task CPU in all), at most
/// `max_tasks`, and at least a few per worker.
int tasks_for(int task_us, int max_tasks, double work_s, int workers) {
  if (task_us == 0) return max_tasks;
  const double by_work = work_s * 1e6 / task_us;
  return std::max(4 * workers, static_cast<int>(std::min<double>(max_tasks, by_work)));
}

void print_table(const nlohmann::json& out) {
  std::printf(
      "multirank-scale: %d worker ranks (+ the driver), %u cores, heartbeats every %.1f s\n",
      out["workers"].get<int>(), out["cores"].get<unsigned>(),
      out["idle"]["heartbeat_interval_s"].get<double>());
  std::printf("%8s %8s %10s %8s %11s %11s %9s %9s %10s %9s %9s\n", "task_us", "tasks", "tasks/s",
              "util", "drv us/task", "drv us/msg", "tasks/msg", "res/msg", "msgs/s", "msgs/task",
              "VmHWM KiB");
  for (const auto& row : out["maps"]) {
    std::printf(
        "%8d %8d %10.0f %8.3f %11.2f %11.2f %9.1f %9.1f %10.0f %9.3f %9ld\n",
        row["task_us"].get<int>(), row["tasks"].get<int>(), row["tasks_per_s"].get<double>(),
        row["worker_utilisation"].get<double>(), row["driver_cpu_per_task_us"].get<double>(),
        row["driver_cpu_per_message_us"].get<double>(), row["tasks_per_task_message"].get<double>(),
        row["results_per_result_message"].get<double>(), row["messages_per_s"].get<double>(),
        row["messages_per_task"].get<double>(), row["driver_peak_rss_kib"].get<long>());
  }
  const auto& idle = out["idle"];
  std::printf("idle %.1f s: %.1f heartbeats/s received (%.0f B/s), driver CPU %.1f %%\n",
              idle["wall_s"].get<double>(), idle["heartbeats_per_s"].get<double>(),
              idle["heartbeat_bytes_per_s"].get<double>(),
              100 * idle["driver_cpu_fraction"].get<double>());
  for (const auto& object : out["objects"]) {
    std::printf(
        "%-6s %d processes x %d ops: %.0f ops/s, %.2f us of wall per op, latency %.1f us, driver "
        "CPU %.2f us per op\n",
        object["object"].get<std::string>().c_str(), object["processes"].get<int>(),
        object["ops_per_process"].get<int>(), object["ops_per_s"].get<double>(),
        object["wall_per_op_us"].get<double>(), object["op_latency_us"].get<double>(),
        object["driver_cpu_per_op_us"].get<double>());
  }
  std::printf("driver peak RSS (VmHWM): %ld KiB\n", out["driver_peak_rss_kib"].get<long>());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"multirank-scale: the driver's costs per task, message and shared-object call"};
  std::vector<int> task_lengths{0, 10, 100, 1000};
  int max_tasks = 100'000;
  double work_s = 2.0;
  double idle_s = 2.0;
  int object_ops = 200;
  std::string json_path;
  cli.add_option("--task-us", task_lengths, "task lengths to time, µs of busy CPU (0: empty)")
      ->delimiter(',')
      ->check(multirank::apps::non_negative_number());
  cli.add_option("--tasks", max_tasks, "tasks per map at most (empty tasks: exactly)")
      ->check(multirank::apps::positive_number());
  cli.add_option("--work-seconds", work_s, "task CPU per map in all, which sets its task count")
      ->check(multirank::apps::positive_number());
  cli.add_option("--idle-seconds", idle_s, "how long the driver idles while heartbeats are counted")
      ->check(multirank::apps::positive_number());
  cli.add_option("--object-ops", object_ops,
                 "operations per process on the shared Queue and Lock (0: skip them)")
      ->check(multirank::apps::non_negative_number());
  cli.add_option("--json", json_path, "also write the figures to this file as JSON");

  // MPI starts before the Runtime so that every rank's process id reaches rank 0 first.
  multirank_bench::MpiRanks ranks;
  if (const auto status = multirank_bench::start_mpi_then_parse(cli, argc, argv, ranks))
    return *status;
  const int size = ranks.size;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::vector<char> hosts(static_cast<std::size_t>(size) * sizeof host);
  MPI_Gather(host, sizeof host, MPI_CHAR, hosts.data(), sizeof host, MPI_CHAR, 0, MPI_COMM_WORLD);
  int pid = getpid();
  std::vector<int> pids(static_cast<std::size_t>(size));
  MPI_Gather(&pid, 1, MPI_INT, pids.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  // Only the worker ranks on rank 0's node can be read from /proc here.
  std::vector<int> worker_pids;
  bool all_local = true;
  for (int r = 1; r < size; ++r) {
    if (std::string(&hosts[static_cast<std::size_t>(r) * sizeof host]) == host) {
      worker_pids.push_back(pids[static_cast<std::size_t>(r)]);
    } else {
      all_local = false;
    }
  }
  if (!all_local) worker_pids.clear();

  int status = 0;
  {
    multirank::Runtime runtime(argc, argv);  // worker ranks serve here
    try {
      const int workers = std::max(1, size - 1);
      multirank::Executor executor;
      // Warms up the dispatch policy's estimates and the connections to every rank.
      for (int value : executor.starmap(
               busy_task,
               std::vector<std::tuple<int, int>>(static_cast<std::size_t>(20 * workers), {1, 0}),
               {.chunksize = 1})) {
        (void)value;
      }
      if (mpi_message_counts_active() == 0) {
        throw std::runtime_error(
            "multirank-scale: MPI's calls did not reach the message counters (the counting "
            "library must come before MPI in the link order)");
      }
      nlohmann::json out{{"workers", workers},
                         {"ranks", size},
                         {"worker_slots", runtime.worker_slots()},
                         {"cores", std::thread::hardware_concurrency()},
                         {"host", host},
                         {"workers_cpu_measured", !worker_pids.empty()}};
      // The settings that change how the driver waits and batches, as this run had them.
      for (const char* name : {"MULTIRANK_SPIN_US", "MULTIRANK_MAX_NAP_US", "MULTIRANK_WINDOW_US",
                               "MULTIRANK_SPIN_YIELD", "MULTIRANK_DRIVER_WORKS",
                               "MULTIRANK_DISPATCH_TREE", "MULTIRANK_TREE_NODE_RANKS"}) {
        const char* value = std::getenv(name);
        out["settings"][name] = value != nullptr ? value : "default";
      }
      out["idle"] = measure_idle(idle_s, worker_pids);
      out["maps"] = nlohmann::json::array();
      for (int task_us : task_lengths) {
        out["maps"].push_back(measure_map(executor, workers, task_us,
                                          tasks_for(task_us, max_tasks, work_s, workers),
                                          worker_pids));
      }
      out["objects"] = nlohmann::json::array();
      if (object_ops > 0 && size > 1) {
        out["objects"].push_back(measure_object("queue", hammer_queue,
                                                multirank::Queue<int>("scale-queue"), workers,
                                                object_ops, worker_pids));
        out["objects"].push_back(measure_object("lock", hammer_lock, multirank::Lock("scale-lock"),
                                                workers, object_ops, worker_pids));
      }
      out["driver_peak_rss_kib"] = peak_rss_kib();
      print_table(out);
      if (!json_path.empty()) {
        std::ofstream file(json_path);
        file << out.dump(2) << "\n";
        if (!file) throw std::runtime_error("multirank-scale: cannot write --json " + json_path);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      status = 1;
    }
  }  // the Runtime stops the workers
  MPI_Finalize();
  return status;
}
