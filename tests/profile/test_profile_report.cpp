// multirank-report and the report writers on rank logs made up here, so every figure is known:
// re-rendering, clock offset and drift correction, comparing runs, clear errors on bad logs,
// aggregation of huge traces, and a timeline of 256 ranks.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "multirank/error.hpp"
#include "multirank/options.hpp"
#include "profile/log_spool.hpp"
#include "profile/profile_reports.hpp"
#include "profile/profile_run.hpp"
#include "profile/profile_session.hpp"
#include "recording/binary_log.hpp"
#include "recording/profile_log.hpp"

namespace fs = std::filesystem;
using multirank::detail::RankLog;
using multirank::detail::TaskEvent;

namespace {

constexpr std::int64_t second = 1'000'000'000;
constexpr std::uint64_t work_id = 11;
constexpr std::uint64_t load_id = 22;

/// A rank whose clock reads rank 0's plus `offset` at the start, drifting by `drift` over the
/// 10 s run; `tasks` are (start, duration) on rank 0's clock, in seconds.
RankLog make_log(int rank, int size, std::int64_t offset, std::int64_t drift,
                 const std::vector<std::pair<double, double>>& tasks,
                 std::uint64_t function = work_id) {
  const std::int64_t base = 1000 * second;  // rank 0's clock at the start of the run
  auto local = [&](double t) {
    const auto rank0 = base + static_cast<std::int64_t>(t * 1e9);
    return rank0 + offset + static_cast<std::int64_t>(static_cast<double>(drift) * t / 10.0);
  };
  RankLog log;
  auto& h = log.header;
  h.rank = rank;
  h.size = size;
  h.host = rank < size / 2 || size == 1 ? "node-a" : "node-b";
  h.pid = 100 + rank;
  h.runs_tasks = rank != 0;
  h.comm_on_own_thread = rank == 0;
  h.clock_start = {local(0), offset, 200};
  h.clock_end = {local(10), offset + drift, 300};
  h.window_start_ns = local(0);
  h.window_end_ns = local(10);
  h.functions = {{work_id, "work"}, {load_id, "load, \"quoted\" <name>"}};
  std::uint64_t id = static_cast<std::uint64_t>(rank) * 1'000'000;
  for (const auto& [start, duration] : tasks) {
    log.tasks.push_back(
        TaskEvent{++id, function, local(start), local(start + duration), 1000, 16, 8, 1, 0});
  }
  return log;
}

void write_logs(const fs::path& dir, const std::vector<RankLog>& logs) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& log : logs) {
    std::ofstream out(dir / ("rank-" + std::to_string(log.header.rank) + ".jsonl"));
    out << multirank::detail::format_rank_log(log);
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs multirank-report with `args`; its exit status, stdout and stderr in `output`.
int report(const std::string& args, std::string& output, const fs::path& scratch) {
  const fs::path captured = scratch / "report-output.txt";
  const std::string command =
      std::string(MULTIRANK_REPORT) + " " + args + " > " + captured.string() + " 2>&1";
  const int status = std::system(command.c_str());
  output = read_file(captured);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Two ranks working; rank 1's clock is 7 s ahead and drifts 2 ms over the run.
std::vector<RankLog> two_rank_run() {
  return {make_log(0, 3, 0, 0, {}), make_log(1, 3, 7 * second, 2'000'000, {{1.0, 2.0}, {5.0, 1.0}}),
          make_log(2, 3, -3 * second, 0, {{1.0, 1.5}}, load_id)};
}

}  // namespace

TEST_CASE("multirank-report renders runs from their rank logs", "[profile]") {
  const fs::path scratch =
      fs::temp_directory_path() / ("multirank-test-report-" + std::to_string(getpid()));
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  const fs::path run_dir = scratch / "run";
  write_logs(run_dir, two_rank_run());
  std::string output;

  SECTION("multirank-report DIR re-renders every report from the rank logs") {
    REQUIRE(report(run_dir.string() + " -o " + (scratch / "out").string(), output, scratch) == 0);
    for (const char* file :
         {"summary.txt", "timeline.svg", "report.html", "tasks.csv", "trace.json"}) {
      CHECK(fs::file_size(scratch / "out" / file) > 0);
    }
    const std::string summary = read_file(scratch / "out" / "summary.txt");
    CHECK(summary.find("3 ranks on 2 node(s), wall 10.000000 s, 3 task records") !=
          std::string::npos);
    // Busy: rank 1 ran 3 s, rank 2 1.5 s; balance over the two working ranks.
    CHECK(summary.find("3.0000") != std::string::npos);
    CHECK(summary.find("1.5000") != std::string::npos);
    CHECK(
        summary.find("efficiency (mean/max busy) 0.750, imbalance factor (max/mean busy) 1.333") !=
        std::string::npos);
    CHECK(
        nlohmann::json::parse(read_file(scratch / "out" / "trace.json")).at("traceEvents").size() >
        0);
    const std::string check = std::string("python3 ") + MULTIRANK_CHECK_SVG + " " +
                              (scratch / "out" / "timeline.svg").string() + " 3";
    CHECK(std::system(check.c_str()) == 0);
  }

  SECTION("binary logs render the same reports, and --jsonl turns them into JSON lines") {
    REQUIRE(report(run_dir.string() + " -o " + (scratch / "from-jsonl").string(), output,
                   scratch) == 0);
    const fs::path binary_dir = scratch / "binary";
    fs::create_directories(binary_dir);
    for (const auto& log : two_rank_run()) {
      std::ofstream out(binary_dir / ("rank-" + std::to_string(log.header.rank) + ".binlog"),
                        std::ios::binary);
      multirank::detail::write_binary_log(log, out);
    }
    REQUIRE(report(binary_dir.string() + " -o " + (scratch / "from-binary").string(), output,
                   scratch) == 0);
    auto after_title = [](const std::string& text) { return text.substr(text.find('\n')); };
    CHECK(after_title(read_file(scratch / "from-binary" / "summary.txt")) ==
          after_title(read_file(scratch / "from-jsonl" / "summary.txt")));
    CHECK(read_file(scratch / "from-binary" / "tasks.csv") ==
          read_file(scratch / "from-jsonl" / "tasks.csv"));
    REQUIRE(report("--jsonl " + binary_dir.string(), output, scratch) == 0);
    CHECK(output.find("wrote 3 rank logs as JSON lines") != std::string::npos);
    for (const auto& log : two_rank_run()) {
      CHECK(read_file(binary_dir / ("rank-" + std::to_string(log.header.rank) + ".jsonl")) ==
            multirank::detail::format_rank_log(log));
    }
    // Both forms beside each other: the binary log is read, the other not counted twice.
    std::ofstream(binary_dir / "rank-1.jsonl", std::ios::app) << "not a log line\n";
    CHECK(report(binary_dir.string() + " -o " + (scratch / "both").string(), output, scratch) == 0);
  }

  SECTION("start-up and close: a phase table over the ranks, slices on each rank's row") {
    // MPI_Init lasts 0.1, 0.2 and 0.3 s on ranks 0, 1 and 2 (rank 0's clock), after a process
    // start and before a gather; rank 0's MPI_Finalize is appended to its log afterwards, as the
    // session does once the reports are written.
    auto logs = two_rank_run();
    for (auto& log : logs) {
      const auto& h = log.header;
      auto local = [&](double t) {
        const double drift = static_cast<double>(h.clock_end.offset_ns - h.clock_start.offset_ns);
        return h.clock_start.local_ns + static_cast<std::int64_t>(t * 1e9 + drift * t / 10.0);
      };
      const double init = 0.1 * (h.rank + 1);
      log.header.phases = {{"process start to main", local(0.0), local(0.05), 0},
                           {"MPI_Init", local(0.05), local(0.05 + init), 0},
                           {"gathering the profile", local(9.5), local(9.6), 0}};
    }
    write_logs(run_dir, logs);
    {
      std::ofstream rank0(run_dir / "rank-0.jsonl", std::ios::app);
      rank0 << multirank::detail::format_phase_line(
          {"MPI_Finalize", logs[0].header.clock_start.local_ns + 9'700'000'000,
           logs[0].header.clock_start.local_ns + 9'950'000'000, 0});
    }
    REQUIRE(report(run_dir.string() + " -o " + (scratch / "out").string(), output, scratch) == 0);
    const std::string summary = read_file(scratch / "out" / "summary.txt");
    INFO(summary);
    auto row = [&](const std::string& name) {
      const auto end = summary.find("  " + name + "\n");
      if (end == std::string::npos) return std::string();
      return summary.substr(summary.rfind('\n', end) + 1,
                            end + name.size() + 2 - summary.rfind('\n', end) - 1);
    };
    CHECK(row("MPI_Init") == "     3       200 ms       300 ms       300 ms         2  MPI_Init");
    CHECK(row("process start to main") ==
          "     3        50 ms        50 ms        50 ms         0  process start to main");
    CHECK(row("MPI_Finalize") ==
          "     1       250 ms       250 ms       250 ms         0  MPI_Finalize");
    CHECK(summary.find("process start to main") < summary.find("MPI_Init"));
    CHECK(summary.find("gathering the profile") < summary.find("MPI_Finalize"));
    CHECK(read_file(scratch / "out" / "report.html").find("<td class=\"l\">MPI_Finalize</td>") !=
          std::string::npos);
    // Rank 1's MPI_Init on its own row, at 0.05 s once its 7 s offset is removed.
    const auto trace = nlohmann::json::parse(read_file(scratch / "out" / "trace.json"));
    int phases = 0;
    for (const auto& event : trace.at("traceEvents")) {
      if (event.value("cat", "") != "phase") continue;
      ++phases;
      if (event.at("name") == "MPI_Init" && event.at("args").at("rank") == 1) {
        CHECK(event.at("tid") == 2);
        CHECK(event.at("ts").get<double>() == Approx(50'000.0).margin(1.0));
        CHECK(event.at("dur").get<double>() == Approx(200'000.0).margin(1.0));
      }
    }
    CHECK(phases == 3 * 3 + 1);
  }

  SECTION("clock offsets and linear drift are removed") {
    REQUIRE(report(run_dir.string(), output, scratch) == 0);
    const std::string csv = read_file(run_dir / "tasks.csv");
    INFO(csv);
    // Rank 1's task at 5 s: 7 s + 1 ms of drift ahead on its own clock, at 5 s once corrected.
    CHECK(csv.find(",work,1,node-b,5.000000000,1.000000000,") != std::string::npos);
    CHECK(csv.find(",work,1,node-b,1.000000000,2.000000000,") != std::string::npos);
    CHECK(csv.find(",2,node-b,1.000000000,1.500000000,") != std::string::npos);
    // A name with a comma and quotes is one CSV field.
    CHECK(csv.find(",\"load, \"\"quoted\"\" <name>\",2,") != std::string::npos);
  }

  SECTION("a difference between the clock estimates within their errors is not taken for drift") {
    multirank::detail::RankLogHeader header;
    header.clock_start = {1'000'000'000, 5'000'000, 2'000'000};  // offset 5 ms, +-2 ms
    header.clock_end = {2'000'000'000, 6'500'000, 1'000'000};    // 6.5 ms, +-1 ms: not resolved
    const auto start = multirank::detail::to_rank0_clock(header, 1'400'000'000);
    const auto end = multirank::detail::to_rank0_clock(header, 1'450'000'000);
    CHECK(end - start == 50'000'000);           // durations are not stretched
    CHECK(start == 1'400'000'000 - 6'500'000);  // the better estimate is used
    header.clock_end.offset_ns = 9'000'000;     // 4 ms apart: drift, corrected linearly
    CHECK(multirank::detail::to_rank0_clock(header, 1'500'000'000) == 1'500'000'000 - 7'000'000);
  }

  SECTION("several runs are compared side by side") {
    auto slower = two_rank_run();
    slower[1] = make_log(1, 3, 0, 0, {{1.0, 4.0}, {5.0, 2.0}});
    // Only the slower run has start-up phases: 1 s of MPI_Init on rank 2, 0.5 s elsewhere.
    for (auto& log : slower) {
      const std::int64_t start = log.header.clock_start.local_ns;
      log.header.phases = {
          {"MPI_Init", start, start + (log.header.rank == 2 ? 1'000'000'000 : 500'000'000), 0}};
    }
    write_logs(scratch / "slower", slower);
    REQUIRE(report(run_dir.string() + " " + (scratch / "slower").string() + " -o " +
                       (scratch / "cmp").string(),
                   output, scratch) == 0);
    INFO(output);
    CHECK(output.find("[1] " + run_dir.string()) != std::string::npos);
    CHECK(output.find("[2] " + (scratch / "slower").string()) != std::string::npos);
    const auto max_busy = output.substr(output.find("max busy per rank"), 70);
    CHECK(max_busy.find("3.0000") != std::string::npos);
    CHECK(max_busy.find("6.0000") != std::string::npos);
    // Columns of 34, then 14 per run.
    CHECK(output.find("MPI_Init" + std::string(34 - 8 + 13, ' ') + "-   0.500/1.000") !=
          std::string::npos);
    CHECK(read_file(scratch / "cmp" / "comparison.txt") == output);
  }

  SECTION("a missing rank log is an error naming the run") {
    fs::remove(run_dir / "rank-1.jsonl");
    CHECK(report(run_dir.string(), output, scratch) == 1);
    CHECK(output.find(run_dir.string()) != std::string::npos);
    CHECK(output.find("rank 1 of 3 is missing") != std::string::npos);
  }

  SECTION("a malformed log is an error naming the file and the line") {
    std::ofstream(run_dir / "rank-2.jsonl", std::ios::app) << "[\"t\",1,2]\n";
    CHECK(report(run_dir.string(), output, scratch) == 1);
    CHECK(output.find("rank-2.jsonl line 3") != std::string::npos);
  }

  SECTION("a directory without logs is an error") {
    fs::create_directories(scratch / "empty");
    CHECK(report((scratch / "empty").string(), output, scratch) == 1);
    CHECK(output.find("no rank logs") != std::string::npos);
  }
  fs::remove_all(scratch);
}

TEST_CASE("huge runs stay readable", "[profile]") {
  SECTION("above the event limit, trace.json merges slices and still accounts for every task") {
    std::vector<std::pair<double, double>> tasks;
    for (int i = 0; i < 1000; ++i) tasks.push_back({0.001 + i * 0.009, 0.008});
    auto run = multirank::detail::assemble_run(
        {make_log(0, 2, 0, 0, {}), make_log(1, 2, 0, 0, tasks)}, "huge");
    std::ostringstream out;
    multirank::detail::write_trace_json(run, out, 50);
    const auto trace = nlohmann::json::parse(out.str());
    std::uint64_t slices = 0;
    std::uint64_t accounted = 0;
    for (const auto& event : trace.at("traceEvents")) {
      if (event.value("cat", "") != "task") continue;
      ++slices;
      accounted += event.at("args").contains("tasks")
                       ? event.at("args").at("tasks").get<std::uint64_t>()
                       : 1;
    }
    CHECK(accounted == 1000);
    CHECK(slices <= 100);
    CHECK(trace.at("otherData").at("aggregated") == true);
    CHECK(trace.at("otherData").at("aggregation").get<std::string>().find("1000 task records") !=
          std::string::npos);
  }

  SECTION("above the event limit, trace.json leaves spans out and says so") {
    RankLog worker = make_log(1, 2, 0, 0, {{0.0, 1.0}});
    for (int i = 0; i < 60; ++i) worker.spans.push_back({i * 10, i * 10 + 5, 5, 99, 0, 0, 1, 0});
    auto run = multirank::detail::assemble_run({make_log(0, 2, 0, 0, {}), worker}, "spans");
    std::ostringstream out;
    multirank::detail::write_trace_json(run, out, 50);
    const auto trace = nlohmann::json::parse(out.str());
    for (const auto& event : trace.at("traceEvents")) CHECK(event.value("cat", "") != "span");
    CHECK(trace.at("otherData").at("spans_omitted").get<std::string>().find("60 spans") !=
          std::string::npos);
    std::ostringstream within;
    multirank::detail::write_trace_json(run, within, 100);
    CHECK_FALSE(nlohmann::json::parse(within.str()).at("otherData").contains("spans_omitted"));
  }

  SECTION("256 ranks: one lane each, tasks binned per pixel") {
    std::vector<RankLog> logs{make_log(0, 256, 0, 0, {})};
    for (int rank = 1; rank < 256; ++rank) {
      std::vector<std::pair<double, double>> tasks;
      for (int i = 0; i < 100; ++i)
        tasks.push_back({0.05 * i + 0.0001 * rank, 0.04 + 0.0001 * (rank % 7)});
      logs.push_back(make_log(rank, 256, 0, 0, tasks));
    }
    const auto run = multirank::detail::assemble_run(std::move(logs), "wide");
    const auto summary = multirank::detail::summarise(run);
    const std::string svg = multirank::detail::render_timeline_svg(run, summary);
    const fs::path file =
        fs::temp_directory_path() / ("multirank-test-256-" + std::to_string(getpid()) + ".svg");
    std::ofstream(file) << svg;
    const std::string check =
        std::string("python3 ") + MULTIRANK_CHECK_SVG + " " + file.string() + " 256";
    CHECK(std::system(check.c_str()) == 0);
    CHECK(svg.size() < 3'000'000);  // 25 500 tasks, binned
    CHECK(svg.find("binned per pixel") != std::string::npos);
    fs::remove(file);
  }

  SECTION("256 ranks: the per-rank tables list rank 0 and the extremes, and the spread over all") {
    // Rank r is busy 0.1 + r/1000 s: the least busy are ranks 1.., the busiest ..255.
    std::vector<RankLog> logs{make_log(0, 256, 0, 0, {})};
    for (int rank = 1; rank < 256; ++rank)
      logs.push_back(make_log(rank, 256, 0, 0, {{1.0, 0.1 + rank / 1000.0}}));
    const auto run = multirank::detail::assemble_run(std::move(logs), "wide");
    const auto summary = multirank::detail::summarise(run);
    const std::size_t extremes = multirank::detail::extreme_ranks_listed;
    REQUIRE(summary.listed_ranks.size() == 1 + 2 * extremes);
    CHECK(summary.listed_ranks.front() == 0);
    CHECK(summary.listed_ranks[1] == 1);
    CHECK(summary.listed_ranks[extremes] == extremes);
    CHECK(summary.listed_ranks[extremes + 1] == 256 - extremes);
    CHECK(summary.listed_ranks.back() == 255);
    const auto& busy = summary.rank_spreads.at(0);
    CHECK(busy.figure == "busy");
    CHECK(busy.min == Approx(0.101));
    CHECK(busy.max == Approx(0.355));
    CHECK(busy.median == Approx(0.228).margin(0.001));
    CHECK(busy.rank_of_min == 1);
    CHECK(busy.rank_of_max == 255);
    std::ostringstream text;
    multirank::detail::write_summary(run, summary, text);
    const std::string per_rank = text.str().substr(0, text.str().find("Load balance"));
    CHECK(std::count(per_rank.begin(), per_rank.end(), '\n') < 40);  // not 256 rows
    CHECK(text.str().find("Spread over the 255 ranks that run tasks") != std::string::npos);
    std::ostringstream html;
    multirank::detail::write_report_html(run, summary, html);
    CHECK(html.str().find("<th>rank of max</th>") != std::string::npos);
  }
}

TEST_CASE("a gathered log kept whole on disk, its reports' share on the way", "[profile]") {
  using multirank::detail::EventCounts;
  using multirank::detail::LogSpool;
  std::vector<std::pair<double, double>> tasks;
  for (int i = 0; i < 100; ++i) tasks.push_back({0.01 * i, 0.005});
  RankLog log = make_log(1, 2, 0, 0, tasks);
  for (int i = 0; i < 30; ++i)
    log.messages.push_back({i * 1000, multirank::detail::MessageDirection::sent, 0, 3, 64});
  for (int i = 0; i < 7; ++i) log.spans.push_back({i * 10, i * 10 + 5, 5, 99, 0, 0, 1, 0});
  const fs::path path =
      fs::temp_directory_path() / ("multirank-test-spool-" + std::to_string(getpid()));
  const EventCounts counts{log.tasks.size(), log.messages.size(), 0, log.spans.size()};
  // Appended in pieces that cut events in two, as the gather's buffer does.
  std::string bytes(reinterpret_cast<const char*>(log.tasks.data()),
                    log.tasks.size() * sizeof(TaskEvent));
  bytes.append(reinterpret_cast<const char*>(log.messages.data()),
               log.messages.size() * sizeof(multirank::detail::MessageEvent));
  bytes.append(reinterpret_cast<const char*>(log.spans.data()),
               log.spans.size() * sizeof(multirank::detail::SpanEvent));
  auto gathered = [&](std::size_t keep) {
    auto spool = std::make_unique<LogSpool>(path, log.header, counts, keep);
    for (std::size_t at = 0; at < bytes.size(); at += 100)
      spool->append(bytes.data() + at, std::min<std::size_t>(100, bytes.size() - at));
    spool->close();
    return spool;
  };

  SECTION("published, it is the rank's binary log, the same as the log written at once") {
    auto spool = gathered(10);
    spool->header().host = "changed after the gather";
    log.header.host = "changed after the gather";
    const fs::path published = path.string() + ".binlog";
    spool->publish(published);
    spool.reset();
    CHECK_FALSE(fs::exists(path));
    REQUIRE(fs::exists(published));
    std::ostringstream at_once;
    multirank::detail::write_binary_log(log, at_once);
    CHECK(read_file(published) == at_once.str());
    const RankLog back = multirank::detail::parse_binary_log(read_file(published), "the log");
    CHECK(multirank::detail::format_rank_log(back) == multirank::detail::format_rank_log(log));
    fs::remove(published);
  }

  SECTION("past the reports' share, tasks go to their function's totals, the rest is counted") {
    const RankLog kept = gathered(10)->take_kept();
    CHECK(kept.tasks.size() == 10);
    CHECK(kept.tasks.back().task_id == log.tasks[9].task_id);
    CHECK(kept.messages.size() == 10);
    CHECK(kept.spans.size() == 7);
    CHECK(kept.header.dropped_tasks == 90);
    CHECK(kept.header.dropped_messages == 20);
    CHECK(kept.header.dropped_spans == 0);
    const auto& totals = kept.header.overflow.at(work_id);
    CHECK(totals.calls == 90);
    CHECK(static_cast<double>(totals.total_ns) == Approx(90 * 5e6).margin(1000));
  }

  SECTION("within the share, every event is kept as sent") {
    const RankLog kept = gathered(1000)->take_kept();
    CHECK(multirank::detail::format_rank_log(kept) == multirank::detail::format_rank_log(log));
  }

  SECTION("a log missing bytes is an error naming its file") {
    auto short_one = std::make_unique<LogSpool>(path.string() + "-short", log.header,
                                                EventCounts{log.tasks.size(), 0, 0, 0}, 10);
    short_one->append(bytes.data(), 10);
    CHECK_THROWS_WITH(short_one->close(), Catch::Contains("-short") && Catch::Contains("10 of"));
  }

  SECTION("a file that cannot be created takes every byte, then is an error naming it") {
    const fs::path blocked = path.string() + "-blocked";
    fs::create_directories(blocked);  // a directory where the file should be
    LogSpool unwritable(blocked, log.header, EventCounts{log.tasks.size(), 0, 0, 0}, 10);
    unwritable.append(bytes.data(), log.tasks.size() * sizeof(TaskEvent));
    CHECK_THROWS_WITH(unwritable.close(),
                      Catch::Contains("-blocked") && Catch::Contains("cannot be created"));
    fs::remove_all(blocked);
  }

  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("a binary log reads back as written, and a damaged one is refused by name", "[profile]") {
  std::vector<std::pair<double, double>> tasks{{0.0, 0.5}, {0.5, 0.25}};
  RankLog log = make_log(2, 3, 0, 0, tasks);
  log.messages.push_back({1000, multirank::detail::MessageDirection::received, 0, 3, 64});
  log.queue.push_back({2000, 5, 1});
  log.spans.push_back({10, 20, 10, 99, 0, 0, 1, 0});
  std::ostringstream out;
  multirank::detail::write_binary_log(log, out);
  const std::string bytes =
      out.str() + multirank::detail::format_phase_line({"MPI_Finalize", 5, 9});

  SECTION("the events, the header and a phase appended later") {
    const RankLog back = multirank::detail::parse_binary_log(bytes, "rank-2.binlog");
    CHECK(back.tasks.size() == 2);
    CHECK(back.messages.size() == 1);
    CHECK(back.queue.size() == 1);
    CHECK(back.spans.size() == 1);
    CHECK(back.header.rank == 2);
    REQUIRE(!back.header.phases.empty());
    CHECK(back.header.phases.back().name == "MPI_Finalize");
    log.header.phases.push_back({"MPI_Finalize", 5, 9});
    CHECK(multirank::detail::format_rank_log(back) == multirank::detail::format_rank_log(log));
  }

  SECTION("cut short") {
    CHECK_THROWS_WITH(multirank::detail::parse_binary_log(bytes.substr(0, 200), "rank-2.binlog"),
                      Catch::Contains("rank-2.binlog") && Catch::Contains("cut short"));
  }

  SECTION("written with another event layout") {
    std::string other = bytes;
    const std::string size = "," + std::to_string(sizeof(TaskEvent)) + "]";
    other.replace(other.find(size), size.size(), ",12]");
    CHECK_THROWS_WITH(multirank::detail::parse_binary_log(other, "rank-2.binlog"),
                      Catch::Contains("rank-2.binlog") && Catch::Contains("12 bytes each") &&
                          Catch::Contains("--jsonl"));
  }

  SECTION("not a binary log at all") {
    CHECK_THROWS_WITH(
        multirank::detail::parse_binary_log("{\"rank\":0}\n", "rank-0.binlog"),
        Catch::Contains("rank-0.binlog") && Catch::Contains("not a multirank binary"));
  }
}

TEST_CASE("profiling settings come from MULTIRANK_PROFILE* variables", "[profile][settings]") {
  SECTION("off unless MULTIRANK_PROFILE names a directory") {
    unsetenv("MULTIRANK_PROFILE");
    CHECK(multirank::RuntimeOptions::from_env().profile_dir.empty());
    setenv("MULTIRANK_PROFILE", "some/dir", 1);
    setenv("MULTIRANK_PROFILE_MAX_EVENTS", "5000", 1);
    const auto options = multirank::RuntimeOptions::from_env();
    CHECK(options.profile_dir == "some/dir");
    CHECK(options.profile_max_events == 5000);
    unsetenv("MULTIRANK_PROFILE");
    unsetenv("MULTIRANK_PROFILE_MAX_EVENTS");
  }

  SECTION("a malformed event limit names the variable") {
    setenv("MULTIRANK_PROFILE_MAX_EVENTS", "lots", 1);
    CHECK_THROWS_WITH(multirank::RuntimeOptions::from_env(),
                      Catch::Contains("MULTIRANK_PROFILE_MAX_EVENTS='lots'"));
    unsetenv("MULTIRANK_PROFILE_MAX_EVENTS");
  }

  SECTION("the gather's buffer and the reports' budget come from their variables, in bounds") {
    setenv("MULTIRANK_PROFILE_GATHER_BUFFER_BYTES", "4096", 1);
    setenv("MULTIRANK_PROFILE_REPORT_EVENTS", "77", 1);
    auto options = multirank::RuntimeOptions::from_env();
    CHECK(options.profile_gather_buffer_bytes == 4096);
    CHECK(options.profile_report_events == 77);
    options.profile_gather_buffer_bytes = std::size_t{2} << 30;
    CHECK_THROWS_WITH(options.validate(), Catch::Contains("profile_gather_buffer_bytes") &&
                                              Catch::Contains("at most 1 GiB"));
    setenv("MULTIRANK_PROFILE_GATHER_BUFFER_BYTES", "10", 1);
    CHECK_THROWS_WITH(multirank::RuntimeOptions::from_env(),
                      Catch::Contains("MULTIRANK_PROFILE_GATHER_BUFFER_BYTES='10'"));
    unsetenv("MULTIRANK_PROFILE_GATHER_BUFFER_BYTES");
    unsetenv("MULTIRANK_PROFILE_REPORT_EVENTS");
  }

  SECTION("the tests' clock offset is read per rank, and a malformed one is refused") {
    using multirank::detail::test_clock_offset_ns;
    CHECK(test_clock_offset_ns(nullptr, 1) == 0);
    CHECK(test_clock_offset_ns("1:5000,3:-7", 1) == 5000);
    CHECK(test_clock_offset_ns("1:5000,3:-7", 3) == -7);
    CHECK(test_clock_offset_ns("1:5000,3:-7", 2) == 0);
    CHECK_THROWS_AS(test_clock_offset_ns("1=5000", 1), multirank::ConfigError);
    CHECK_THROWS_AS(test_clock_offset_ns("1:5x", 1), multirank::ConfigError);
  }
}
