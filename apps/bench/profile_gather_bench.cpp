// multirank-profile-gather [--spans N] [--tasks-per-rank K]: a profiled job whose ranks' logs are
// large on purpose, to measure what gathering them costs rank 0. K tasks per worker rank each
// record N/K spans of nothing, so every rank's log holds about N span events and few messages.
// Rank 0 prints its peak resident memory (VmHWM) once the Runtime, and with it the writing of
// the profile, is over; the gathering's time is in the profile's phase table (summary.txt).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "multirank/multirank.hpp"
#include "number_checks.hpp"

namespace {

int record_spans(int count) {
  for (int i = 0; i < count; ++i) multirank::profile::Span span("tick");
  return count;
}
MULTIRANK_TASK(record_spans);

/// This process's peak resident memory in KiB, from /proc/self/status (0 where there is none).
long peak_resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int spans = 100'000;
  int tasks_per_rank = 10;
  int ranks = 1;
  {
    multirank::Runtime runtime(argc, argv);  // worker ranks serve here
    CLI::App cli{"multirank-profile-gather: a profiled job with large logs on every rank"};
    cli.add_option("--spans", spans, "span events per rank")
        ->check(multirank::apps::positive_number());
    cli.add_option("--tasks-per-rank", tasks_per_rank, "tasks the spans are spread over")
        ->check(multirank::apps::positive_number());
    CLI11_PARSE(cli, argc, argv);
    ranks = runtime.size();
    multirank::Executor executor;
    const std::vector<int> counts(static_cast<std::size_t>(tasks_per_rank * ranks),
                                  spans / tasks_per_rank);
    long long recorded = 0;
    for (int count : executor.map(record_spans, counts)) recorded += count;
    std::printf("ranks=%d spans_recorded=%lld\n", ranks, recorded);
  }
  std::printf("rank0_peak_rss_kib=%ld\n", peak_resident_kib());
  return 0;
}
