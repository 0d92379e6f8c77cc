// tasks.csv: one row per task record, in start order, like GNU parallel's --joblog. Times are
// seconds since the run started, on rank 0's clock.
#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>

#include "multirank/detail/fixed_decimal.hpp"
#include "multirank/detail/profile_reports.hpp"

namespace multirank::detail {

namespace {

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

void write_tasks_csv(const ProfileRun& run, std::ostream& out) {
  struct Row {
    const TaskEvent* task;
    const RankTimeline* lane;
  };
  std::vector<Row> rows;
  std::size_t count = 0;
  for (const auto& lane : run.ranks) count += lane.tasks.size();
  rows.reserve(count);
  for (const auto& lane : run.ranks) {
    for (const auto& task : lane.tasks) rows.push_back({&task, &lane});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.task->start_ns < b.task->start_ns; });
  std::map<std::uint64_t, std::string> names;
  for (const auto& [id, name] : run.functions) names[id] = csv_field(name);
  std::vector<std::string> hosts;
  for (const auto& node : run.nodes) hosts.push_back(csv_field(node));

  fmt::memory_buffer buffer;
  fmt::format_to(std::back_inserter(buffer),
                 "task_id,function,rank,host,start_s,duration_s,serialise_s,items,bytes_in,bytes_out,status\n");
  for (const auto& row : rows) {
    const TaskEvent& t = *row.task;
    auto name = names.find(t.function_id);
    const std::string_view function = name == names.end() ? std::string_view("(unknown task)") : name->second;
    fmt::format_to(fmt::appender(buffer), FMT_COMPILE("{},{},{},{},{},{},{},{},{},{},"), t.task_id, function,
                   row.lane->header.rank, hosts[static_cast<std::size_t>(row.lane->node)], seconds_text(t.start_ns),
                   seconds_text(t.end_ns - t.start_ns), seconds_text(t.serialise_ns), t.items, t.bytes_in,
                   t.bytes_out);
    if (t.failed_items == 0) {
      buffer.append(std::string_view("ok\n"));
    } else {
      fmt::format_to(fmt::appender(buffer), FMT_COMPILE("failed {}/{}\n"), t.failed_items, t.items);
    }
    if (buffer.size() > (1 << 20)) {
      out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      buffer.clear();
    }
  }
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
}

}  // namespace multirank::detail
