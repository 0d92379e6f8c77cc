// Spans inside a profiled job: tasks with nested spans of known sleeps, a span on a Process
// thread and one on the driver, then the run's logs and reports checked against them. Like
// test_profile, the job runs before Catch2 starts (the reports appear when the Runtime ends).
#include <catch2/catch.hpp>

#include <mpi.h>
#include "catch2_session.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "multirank/multirank.hpp"
#include "profile/profile_run.hpp"

namespace {

constexpr int outer_ms = 20;  // the outer span's own sleep
constexpr int inner_ms = 30;  // the inner span's, inside it
constexpr int process_ms = 25;
constexpr int driver_ms = 15;
constexpr std::uint64_t inner_bytes = 1000;
// A sleep overshoots by scheduling delays: on a loaded machine, by up to this much each.
constexpr double slack_s = 0.1;

void nap(int milliseconds) { std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds)); }

int nested(int i) {
  multirank::profile::Span outer("outer");
  nap(outer_ms);
  {
    multirank::profile::Span inner("inner");
    nap(inner_ms);
    inner.add("bytes", inner_bytes);
  }
  return i;
}
MULTIRANK_TASK(nested);

void in_process(int) {
  multirank::profile::Span span("process_span");
  nap(process_ms);
}
MULTIRANK_TASK(in_process);

struct Job {
  std::filesystem::path dir;
  int ranks = 1;
  int tasks = 0;
};
Job job;

void run_job(int& argc, char**& argv) {
  multirank::RuntimeOptions options = multirank::RuntimeOptions::from_env();
  options.profile_dir = job.dir.string();
  multirank::Runtime runtime(argc, argv, options);  // worker ranks serve and leave here
  job.ranks = runtime.size();
  multirank::Executor executor;
  std::vector<multirank::Future<int>> futures;
  job.tasks = 3 * job.ranks;
  for (int i = 0; i < job.tasks; ++i) futures.push_back(executor.submit(nested, i));
  for (auto& future : futures) future.result();
  multirank::Process process(in_process, 0);
  process.start();
  process.join();
  multirank::profile::Span span("driver_span");
  nap(driver_ms);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const multirank::detail::SpanStats& stats_of(const multirank::detail::RunSummary& summary,
                                             const std::string& name) {
  for (const auto& span : summary.spans) {
    if (span.name == name) return span;
  }
  FAIL("no span named " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("spans in a profiled job", "[spans]") {
  const auto run = multirank::detail::load_run(job.dir);
  const auto summary = multirank::detail::summarise(run);
  const double n = job.tasks;

  SECTION("nested spans have their total and own times") {
    const auto& outer = stats_of(summary, "outer");
    const auto& inner = stats_of(summary, "inner");
    CHECK(outer.calls == static_cast<std::uint64_t>(job.tasks));
    CHECK(inner.calls == static_cast<std::uint64_t>(job.tasks));
    CHECK(inner.total_s >= n * inner_ms * 1e-3);
    CHECK(inner.total_s <= n * (inner_ms * 1e-3 + slack_s));
    CHECK(inner.own_s == Approx(inner.total_s));  // nothing nested in it
    CHECK(outer.own_s >= n * outer_ms * 1e-3);
    CHECK(outer.own_s <= n * (outer_ms * 1e-3 + slack_s));
    // The outer span's time less its own is exactly its child's.
    CHECK(outer.total_s - outer.own_s == Approx(inner.total_s).epsilon(1e-6));
    CHECK(outer.mean_s == Approx(outer.total_s / n));
    CHECK(outer.max_s >= outer.p95_s);
    CHECK(outer.p95_s >= outer.p50_s);
    CHECK(inner.counter == "bytes");
    CHECK(inner.counter_total == inner_bytes * static_cast<std::uint64_t>(job.tasks));
  }

  SECTION("summary.txt has the spans' table with their numbers") {
    const std::string text = read_file(job.dir / "summary.txt");
    const std::regex line(R"(\n\s*(\d+)\s+\S+ ?\S*\s.*\s(\d+\.\d)\s+inner  \((\d+) bytes\)\n)");
    std::smatch match;
    REQUIRE(std::regex_search(text, match, line));
    CHECK(std::stoi(match[1]) == job.tasks);
    CHECK(std::stoull(match[3]) == inner_bytes * static_cast<std::uint64_t>(job.tasks));
    CHECK(std::stod(match[2]) ==
          Approx(100.0 * stats_of(summary, "inner").busy_share).margin(0.051));
    CHECK(text.find("Top spans per rank") != std::string::npos);
    CHECK(read_file(job.dir / "report.html").find("<h2>Spans</h2>") != std::string::npos);
  }

  SECTION("in trace.json each span lies inside its parent on the same row") {
    const auto trace = nlohmann::json::parse(read_file(job.dir / "trace.json"));
    std::vector<nlohmann::json> slices;
    for (const auto& event : trace.at("traceEvents")) {
      if (event.at("ph") == "X" && event.value("cat", "") != "message") slices.push_back(event);
    }
    auto parent_of = [&](const nlohmann::json& child, const std::string& name) {
      int found = 0;
      for (const auto& slice : slices) {
        if (slice.at("name") != name || slice.at("pid") != child.at("pid") ||
            slice.at("tid") != child.at("tid")) {
          continue;
        }
        const double start = slice.at("ts").get<double>();
        const double end = start + slice.at("dur").get<double>();
        const double child_start = child.at("ts").get<double>();
        const double child_end = child_start + child.at("dur").get<double>();
        if (start <= child_start && child_end <= end) ++found;
      }
      return found;
    };
    int inners = 0;
    int outers = 0;
    for (const auto& slice : slices) {
      if (slice.at("name") == "inner") {
        ++inners;
        CHECK(parent_of(slice, "outer") == 1);
        CHECK(slice.at("args").at("bytes") == inner_bytes);
      } else if (slice.at("name") == "outer") {
        ++outers;
        CHECK(parent_of(slice, "nested") == 1);
      }
    }
    CHECK(inners == job.tasks);
    CHECK(outers == job.tasks);
  }

  SECTION("a span on a Process thread and one on the driver are on their ranks") {
    const auto& process = stats_of(summary, "process_span");
    CHECK(process.calls == 1);
    CHECK(process.total_s >= process_ms * 1e-3);
    const auto& driver = stats_of(summary, "driver_span");
    CHECK(driver.calls == 1);
    CHECK(driver.total_s >= driver_ms * 1e-3);
    CHECK(driver.rank_of_max == 0);
    // A Process runs on a worker rank whenever there is one.
    if (job.ranks > 1) CHECK(process.rank_of_max != 0);
  }
}

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  job.dir =
      std::filesystem::temp_directory_path() / ("multirank-test-spans-" + std::to_string(getpid()));
  if (rank == 0) std::filesystem::remove_all(job.dir);
  run_job(argc, argv);
  const int failed = multirank::testing::run_catch2(argc, argv);
  if (failed == 0) std::filesystem::remove_all(job.dir);
  MPI_Finalize();
  return failed;
}
