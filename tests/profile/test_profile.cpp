// Profiling a real job: sleep tasks of known lengths on every rank, then the files rank 0 wrote
// are checked against what is known about the tasks. The job runs before Catch2 starts (the
// reports appear when the Runtime ends), so this test has its own main; the worker ranks leave
// inside the Runtime's constructor as usual.
#include <catch2/catch.hpp>

#include <mpi.h>
#include "catch2_session.hpp"

#include <boost/serialization/utility.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "multirank/multirank.hpp"
#include "profile/profile_run.hpp"
#include "profile/profile_session.hpp"
#include "recording/binary_log.hpp"
#include "recording/profile_log.hpp"

namespace {

/// Sleeps, and says where it ran and how long it took by its own clock: on a loaded machine a
/// sleep may overshoot by any amount, and the profile must show what really happened.
std::pair<int, std::int64_t> sleep_on_rank(int milliseconds) {
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  const auto took = std::chrono::steady_clock::now() - start;
  return {multirank::Runtime::current().rank(),
          std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()};
}
MULTIRANK_TASK(sleep_on_rank);

std::pair<int, std::int64_t> nap_on_rank(int milliseconds) { return sleep_on_rank(milliseconds); }
MULTIRANK_TASK(nap_on_rank);

/// What the job did, as the driver saw it.
struct Job {
  std::filesystem::path dir;
  bool profiled = true;
  int ranks = 1;
  std::vector<int> requested_ms;               // every task's sleep
  std::map<int, std::vector<int>> ms_by_rank;  // the sleeps each rank ran
  std::map<int, double> slept_s_by_rank;       // how long they took, measured inside the tasks
  std::vector<double> slept_s;
  double warm_up_s = 0;  // rank 0's own work before the Runtime started
};
Job job;

// Between the task's own clock readings and the profile's around them there is only decoding
// and encoding an int: microseconds, unless the machine preempts the rank right there.
constexpr double slack_s = 0.1;

// What rank 0's program records itself (multirank::profile::Task) before the Runtime starts.
constexpr const char* warm_up = "warm_up";
constexpr int warm_up_ms = 30;

void run_job(int& argc, char**& argv) {
  multirank::RuntimeOptions options = multirank::RuntimeOptions::from_env();
  options.profile_dir = job.profiled ? job.dir.string() : std::string();
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  if (world_rank == 0) {
    // Timed inside the task, as the sleep tasks time themselves: the record covers it.
    multirank::profile::Task task(warm_up);
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(warm_up_ms));
    job.warm_up_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  multirank::Runtime runtime(argc, argv, options);  // worker ranks serve and leave here
  job.ranks = runtime.size();
  multirank::Executor executor;
  std::vector<multirank::Future<std::pair<int, std::int64_t>>> futures;
  for (int i = 0; i < 6 * job.ranks; ++i) {
    const int ms = 20 + 10 * (i % 4);
    job.requested_ms.push_back(ms);
    futures.push_back(executor.submit(sleep_on_rank, ms));
  }
  for (int i = 0; i < 2 * job.ranks; ++i) {
    job.requested_ms.push_back(15);
    futures.push_back(executor.submit(nap_on_rank, 15));
  }
  for (std::size_t i = 0; i < futures.size(); ++i) {
    const auto [rank, took_ns] = futures[i].result();
    job.ms_by_rank[rank].push_back(job.requested_ms[i]);
    job.slept_s_by_rank[rank] += static_cast<double>(took_ns) * 1e-9;
    job.slept_s.push_back(static_cast<double>(took_ns) * 1e-9);
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& path) {
  std::istringstream in(read_file(path));
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
    rows.push_back(fields);
  }
  return rows;
}

double total_ms(const std::vector<int>& values) {
  double sum = 0;
  for (int v : values) sum += v;
  return sum;
}

}  // namespace

TEST_CASE("a profiled job's reports match its tasks", "[on]") {
  const auto run = multirank::detail::load_run(job.dir);
  const auto summary = multirank::detail::summarise(run);
  const std::size_t task_count = job.requested_ms.size();

  SECTION("every task appears exactly once in trace.json and tasks.csv") {
    const auto trace = nlohmann::json::parse(read_file(job.dir / "trace.json"));
    std::multiset<std::uint64_t> trace_ids;
    for (const auto& event : trace.at("traceEvents")) {
      if (event.value("cat", "") == "task" && event.at("name") != warm_up)
        trace_ids.insert(event.at("args").at("task").get<std::uint64_t>());
    }
    const auto rows = read_csv(job.dir / "tasks.csv");
    REQUIRE(rows.at(0).at(0) == "task_id");
    std::multiset<std::uint64_t> csv_ids;
    std::vector<double> durations;
    for (std::size_t i = 1; i < rows.size(); ++i) {
      if (rows[i].at(1) == warm_up) continue;
      csv_ids.insert(std::stoull(rows[i].at(0)));
      durations.push_back(std::stod(rows[i].at(5)));
    }
    CHECK(trace_ids.size() == task_count);
    CHECK(csv_ids.size() == task_count);
    CHECK(std::set<std::uint64_t>(csv_ids.begin(), csv_ids.end()).size() == task_count);
    CHECK(csv_ids == trace_ids);
    // Matched longest to longest, each duration covers its task's sleep as the task timed it,
    // and the sleep it asked for.
    std::vector<int> requested = job.requested_ms;
    std::vector<double> slept = job.slept_s;
    std::sort(requested.begin(), requested.end());
    std::sort(slept.begin(), slept.end());
    std::sort(durations.begin(), durations.end());
    REQUIRE(durations.size() == requested.size());
    for (std::size_t i = 0; i < requested.size(); ++i) {
      CHECK(durations[i] >= requested[i] * 1e-3);
      CHECK(durations[i] >= slept[i]);
      CHECK(durations[i] <= slept[i] + slack_s);
    }
  }

  SECTION("each rank's busy time is the sum of the sleeps it ran") {
    REQUIRE(summary.ranks.size() == static_cast<std::size_t>(job.ranks));
    for (const auto& rank : summary.ranks) {
      INFO("rank " << rank.rank);
      const auto& mine = job.ms_by_rank[rank.rank];
      // Rank 0's warm-up counts as one of its tasks.
      const bool warmed_up = rank.rank == 0;
      const double own_s = warmed_up ? job.warm_up_s : 0.0;
      CHECK(rank.tasks == mine.size() + (warmed_up ? 1 : 0));
      CHECK(rank.busy_s >= total_ms(mine) * 1e-3);
      CHECK(rank.busy_s >= job.slept_s_by_rank[rank.rank] + own_s);
      CHECK(rank.busy_s <= job.slept_s_by_rank[rank.rank] + own_s +
                               slack_s * static_cast<double>(mine.size() + (warmed_up ? 1 : 0)));
      CHECK(rank.serialise_s <= rank.busy_s);
    }
  }

  SECTION("utilisation and load balance follow from the busy times") {
    double sum = 0;
    double most = 0;
    int working = 0;
    for (const auto& rank : summary.ranks) {
      CHECK(rank.utilisation == Approx(rank.busy_s / summary.wall_s));
      CHECK(rank.utilisation <= 1.0);
      if (!rank.runs_tasks) continue;
      // The time split of a worker rank adds up to the wall time.
      if (rank.rank != 0) {
        CHECK(rank.busy_s + rank.comm_s + rank.wait_s + rank.idle_s ==
              Approx(summary.wall_s).epsilon(0.01));
      }
      sum += rank.busy_s;
      most = std::max(most, rank.busy_s);
      ++working;
    }
    REQUIRE(working > 0);
    CHECK(summary.mean_busy_s == Approx(sum / working));
    CHECK(summary.balance_efficiency == Approx(sum / working / most));
    CHECK(summary.imbalance_factor == Approx(most / (sum / working)));
    CHECK(summary.balance_efficiency <= 1.0);
    const std::string text = read_file(job.dir / "summary.txt");
    CHECK(text.find("sleep_on_rank") != std::string::npos);
    CHECK(text.find("nap_on_rank") != std::string::npos);
    CHECK(text.find("imbalance factor") != std::string::npos);
    CHECK(text.find("sacct") != std::string::npos);
  }

  SECTION("trace.json parses and has one named row per rank") {
    const auto trace = nlohmann::json::parse(read_file(job.dir / "trace.json"));
    std::map<int, std::string> rows;
    for (const auto& event : trace.at("traceEvents")) {
      const int tid = event.value("tid", 0);
      if (event.at("ph") == "M" && event.at("name") == "thread_name" && tid > 0 &&
          tid <= job.ranks) {
        rows[event.at("tid").get<int>() - 1] = event.at("args").at("name").get<std::string>();
      }
    }
    REQUIRE(rows.size() == static_cast<std::size_t>(job.ranks));
    for (const auto& [rank, name] : rows) CHECK(name.rfind("rank " + std::to_string(rank), 0) == 0);
  }

  SECTION("work the program records before the Runtime starts is on rank 0's row of its own") {
    // The time axis starts when rank 0's process started, so the warm-up lies inside it, and
    // before every task the Runtime ran.
    const auto& driver = run.ranks.at(0);
    std::vector<multirank::detail::TaskEvent> warm_ups;
    std::int64_t first_task_ns = run.duration_ns;
    for (const auto& task : driver.tasks) {
      if (run.function_name(task.function_id) == warm_up) {
        warm_ups.push_back(task);
      } else {
        first_task_ns = std::min(first_task_ns, task.start_ns);
      }
    }
    REQUIRE(warm_ups.size() == 1);
    const auto& task = warm_ups.front();
    CHECK(task.thread != 0);
    CHECK(task.start_ns >= 0);
    CHECK(task.end_ns <= first_task_ns);
    CHECK(static_cast<double>(task.end_ns - task.start_ns) * 1e-9 >= job.warm_up_s);
    CHECK(static_cast<double>(task.end_ns - task.start_ns) * 1e-9 <= job.warm_up_s + slack_s);
    for (const auto& lane : run.ranks) {
      if (lane.header.rank == 0) continue;
      for (const auto& other : lane.tasks) CHECK(run.function_name(other.function_id) != warm_up);
    }
    const auto trace = nlohmann::json::parse(read_file(job.dir / "trace.json"));
    int rows = 0;
    for (const auto& event : trace.at("traceEvents")) {
      if (event.at("ph") == "X" && event.at("name") == warm_up) {
        ++rows;
        CHECK(event.at("tid").get<int>() > job.ranks);  // not the task thread's row
      }
    }
    CHECK(rows == 1);
  }

  SECTION("clock offsets are estimated and removed") {
    // The ranks share one host's clock, so the true offset is exactly what the test injected.
    const char* injected = std::getenv("MULTIRANK_PROFILE_TEST_CLOCK_OFFSET_NS");
    for (const auto& lane : run.ranks) {
      const std::int64_t expected =
          multirank::detail::test_clock_offset_ns(injected, lane.header.rank);
      INFO("rank " << lane.header.rank << " injected " << expected << " ns");
      for (const auto& sample : {lane.header.clock_start, lane.header.clock_end}) {
        CHECK(std::llabs(sample.offset_ns - expected) <= sample.error_ns + 1000);
      }
      // Once corrected, every task lies inside the run as the driver saw it (to within the
      // estimate's error); uncorrected, the injected seconds would put it far outside.
      const std::int64_t error =
          std::max(lane.header.clock_start.error_ns, lane.header.clock_end.error_ns);
      for (const auto& task : lane.tasks) {
        CHECK(task.start_ns >= -error);
        CHECK(task.end_ns <= run.duration_ns + error);
      }
    }
  }

  SECTION("timeline.svg is well-formed XML with one lane per rank") {
    const std::string command = std::string("python3 ") + MULTIRANK_CHECK_SVG + " " +
                                (job.dir / "timeline.svg").string() + " " +
                                std::to_string(job.ranks);
    CHECK(std::system(command.c_str()) == 0);
  }

  SECTION("start-up and close: every rank's phases once, in order, within its life; the tables") {
    // This program initialises and finalises MPI itself: the Runtime records no MPI_Finalize.
    const std::string command = std::string("python3 ") + MULTIRANK_CHECK_PHASES + " " +
                                job.dir.string() + " " + std::to_string(job.ranks) +
                                " --program-owns-mpi";
    CHECK(std::system(command.c_str()) == 0);
  }

  SECTION("report.html is one self-contained page") {
    const std::string html = read_file(job.dir / "report.html");
    CHECK(html.find("<svg") != std::string::npos);
    CHECK(html.find("sleep_on_rank") != std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    CHECK(html.find("https://") == std::string::npos);
    std::string without_namespace = html;
    for (std::size_t at;
         (at = without_namespace.find("http://www.w3.org/2000/svg")) != std::string::npos;) {
      without_namespace.erase(at, 26);
    }
    CHECK(without_namespace.find("http://") == std::string::npos);
  }

  SECTION("each rank's raw log is written by rank 0 with its header, and reads as JSON lines") {
    for (int rank = 0; rank < job.ranks; ++rank) {
      const auto binary = job.dir / ("rank-" + std::to_string(rank) + ".binlog");
      const auto log = multirank::detail::parse_binary_log(read_file(binary), binary.string());
      CHECK(log.header.rank == rank);
      CHECK(log.header.pid > 0);
      CHECK(!log.header.host.empty());
      CHECK(log.header.complete);
    }
    const auto jsonl_dir = job.dir / "jsonl";
    const auto written = multirank::profile::write_jsonl_logs(job.dir, jsonl_dir);
    CHECK(written.size() == static_cast<std::size_t>(job.ranks));
    for (int rank = 0; rank < job.ranks; ++rank) {
      std::istringstream first_line(
          read_file(jsonl_dir / ("rank-" + std::to_string(rank) + ".jsonl")));
      std::string line;
      std::getline(first_line, line);
      const auto header = nlohmann::json::parse(line);
      CHECK(header.at("rank") == rank);
      CHECK(header.at("pid").get<long>() > 0);
      CHECK(header.contains("slurm_job_id"));
      CHECK(header.at("complete") == true);
    }
    std::filesystem::remove_all(jsonl_dir);
  }
}

namespace {

/// The events of each kind in a rank's log, by the letter its JSON lines start with.
std::map<char, std::size_t> event_lines(const std::filesystem::path& path) {
  const auto log = multirank::detail::parse_binary_log(read_file(path), path.string());
  return {{'t', log.tasks.size()},
          {'m', log.messages.size()},
          {'q', log.queue.size()},
          {'s', log.spans.size()}};
}

std::filesystem::path rank_log(int rank) {
  return job.dir / ("rank-" + std::to_string(rank) + ".binlog");
}

/// The calls of `function` in summary.txt's per-function table.
std::uint64_t summary_calls(const std::string& function) {
  std::istringstream in(read_file(job.dir / "summary.txt"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::vector<std::string> fields{std::istream_iterator<std::string>(words), {}};
    if (fields.size() > 2 && fields.back() == function &&
        std::all_of(fields[0].begin(), fields[0].end(), ::isdigit))
      return std::stoull(fields[0]);
  }
  FAIL("no line for " << function << " in summary.txt");
  return 0;
}

}  // namespace

TEST_CASE("each rank's log is gathered whole, whatever the gather's buffer", "[on]") {
  SECTION("every worker rank's log has every task it ran; no gathered file is left") {
    const char* buffer = std::getenv("MULTIRANK_PROFILE_GATHER_BUFFER_BYTES");
    for (int rank = 1; rank < job.ranks; ++rank) {
      INFO("rank " << rank);
      auto counts = event_lines(rank_log(rank));
      CHECK(counts['t'] == job.ms_by_rank[rank].size());
      CHECK(counts['m'] > 0);
      CHECK_FALSE(
          std::filesystem::exists(job.dir / ("rank-" + std::to_string(rank) + ".gathered")));
      // Run with a small buffer, the log must not fit it, or the test would prove nothing.
      if (buffer != nullptr) {
        const std::size_t bytes = counts['t'] * sizeof(multirank::detail::TaskEvent) +
                                  counts['m'] * sizeof(multirank::detail::MessageEvent) +
                                  counts['s'] * sizeof(multirank::detail::SpanEvent);
        CHECK(bytes > 4 * std::stoull(buffer));
      }
    }
  }
}

TEST_CASE("past the reports' budget, the logs stay whole and the totals exact", "[report_budget]") {
  const char* budget = std::getenv("MULTIRANK_PROFILE_REPORT_EVENTS");
  REQUIRE(budget != nullptr);
  const std::size_t share = std::max<std::size_t>(1, std::stoull(budget) / job.ranks);
  REQUIRE(job.ranks > 1);

  SECTION("each rank-<r>.binlog has every task the rank ran") {
    for (int rank = 1; rank < job.ranks; ++rank) {
      INFO("rank " << rank);
      CHECK(event_lines(rank_log(rank))['t'] == job.ms_by_rank[rank].size());
    }
  }

  SECTION("tasks.csv has each worker rank's share of its tasks, no more") {
    std::map<int, std::size_t> rows_by_rank;
    const auto rows = read_csv(job.dir / "tasks.csv");
    for (std::size_t i = 1; i < rows.size(); ++i) ++rows_by_rank[std::stoi(rows[i].at(2))];
    for (int rank = 1; rank < job.ranks; ++rank) {
      INFO("rank " << rank);
      CHECK(rows_by_rank[rank] == std::min(share, job.ms_by_rank[rank].size()));
    }
  }

  SECTION("summary.txt counts every call and says how many records it left out") {
    CHECK(summary_calls("sleep_on_rank") == static_cast<std::uint64_t>(6 * job.ranks));
    CHECK(summary_calls("nap_on_rank") == static_cast<std::uint64_t>(2 * job.ranks));
    CHECK(read_file(job.dir / "summary.txt").find("MULTIRANK_PROFILE_REPORT_EVENTS") !=
          std::string::npos);
  }
}

TEST_CASE("profiling off writes nothing", "[off]") {
  CHECK(job.requested_ms.size() > 0);
  CHECK_FALSE(std::filesystem::exists(job.dir));
}

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  // --profile-off runs the same job without profiling; the rest goes to Catch2.
  std::vector<char*> args(argv, argv + argc);
  auto off = std::find_if(args.begin(), args.end(),
                          [](char* a) { return std::string(a) == "--profile-off"; });
  job.profiled = off == args.end();
  if (!job.profiled) args.erase(off);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  job.dir = std::filesystem::temp_directory_path() /
            ("multirank-test-profile-" + std::to_string(getpid()));
  if (rank == 0) std::filesystem::remove_all(job.dir);
  int count = static_cast<int>(args.size());
  char** values = args.data();
  run_job(count, values);
  const int failed = multirank::testing::run_catch2(count, values);
  if (failed == 0) std::filesystem::remove_all(job.dir);
  MPI_Finalize();
  return failed;
}
