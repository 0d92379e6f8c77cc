// tasks.csv: one row per task record, in start order, like GNU parallel's --joblog. Times are
// seconds since the run started, on rank 0's clock.
#include <algorithm>
#include <map>
#include <string_view>

#include "core/fixed_decimal.hpp"
#include "core/text_sink.hpp"
#include "profile/profile_reports.hpp"

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
  // Each rank records its tasks as they end, on one thread, so a lane is already in start order
  // (checked: it is sorted here otherwise): the rows are merged, not sorted, ties going to the
  // lower rank, as a stable sort of all rows would order them.
  auto by_start = [](const Row& a, const Row& b) { return a.task->start_ns < b.task->start_ns; };
  std::vector<Row> rows;
  std::vector<std::size_t> runs{0};  // where each lane's rows begin, then the end
  for (const auto& lane : run.ranks) {
    for (const auto& task : lane.tasks) rows.push_back({&task, &lane});
    const auto first = rows.begin() + static_cast<std::ptrdiff_t>(runs.back());
    if (!std::is_sorted(first, rows.end(), by_start)) std::stable_sort(first, rows.end(), by_start);
    runs.push_back(rows.size());
  }
  // Neighbouring runs merged pairwise until one is left: log2(ranks) passes over the rows.
  while (runs.size() > 2) {
    std::vector<std::size_t> merged{0};
    for (std::size_t i = 2; i < runs.size(); i += 2) {
      std::inplace_merge(rows.begin() + static_cast<std::ptrdiff_t>(runs[i - 2]),
                         rows.begin() + static_cast<std::ptrdiff_t>(runs[i - 1]),
                         rows.begin() + static_cast<std::ptrdiff_t>(runs[i]), by_start);
      merged.push_back(runs[i]);
    }
    if (runs.size() % 2 == 0) merged.push_back(runs.back());  // an odd run out waits a pass
    runs = std::move(merged);
  }
  std::map<std::uint64_t, std::string> names;
  for (const auto& [id, name] : run.functions) names[id] = csv_field(name);
  std::vector<std::string> hosts;
  for (const auto& node : run.nodes) hosts.push_back(csv_field(node));

  TextSink sink(out);
  sink << "task_id,function,rank,host,start_s,duration_s,serialise_s,items,bytes_in,bytes_out,"
          "status\n";
  // Rows of one function follow each other in runs: its name is looked up once per run.
  std::uint64_t last_function = 0;
  std::string_view function = "(unknown task)";
  bool looked_up = false;
  for (const auto& row : rows) {
    const TaskEvent& t = *row.task;
    if (!looked_up || t.function_id != last_function) {
      auto name = names.find(t.function_id);
      function =
          name == names.end() ? std::string_view("(unknown task)") : std::string_view(name->second);
      last_function = t.function_id;
      looked_up = true;
    }
    sink << t.task_id << ',' << function << ',' << row.lane->header.rank << ','
         << hosts[static_cast<std::size_t>(row.lane->node)] << ',' << seconds_text(t.start_ns)
         << ',' << seconds_text(t.end_ns - t.start_ns) << ',' << seconds_text(t.serialise_ns) << ','
         << t.items << ',' << t.bytes_in << ',' << t.bytes_out << ',';
    if (t.failed_items == 0) {
      sink << "ok\n";
    } else {
      sink << "failed " << t.failed_items << '/' << t.items << '\n';
    }
  }
}

}  // namespace multirank::detail
