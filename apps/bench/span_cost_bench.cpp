// multirank-span-cost [--spans N] [--runs R]: what one multirank::profile::Span costs, recording
// (a profiled run) and off (a run without profiling), on this thread, without MPI. Prints the
// median over R runs of N spans each, in nanoseconds per span.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "multirank/profile.hpp"
#include "recording/program_records.hpp"

namespace {

using multirank::detail::ProgramRecords;

// Time per span of `count` spans, half of them nested in the other half as a task's stages would
// be.
double nanoseconds_per_span(std::size_t count) {
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < count / 2; ++i) {
    multirank::profile::Span outer("outer");
    multirank::profile::Span inner("inner");
    inner.add("bytes", i);
  }
  const auto took = std::chrono::steady_clock::now() - start;
  return std::chrono::duration<double, std::nano>(took).count() /
         static_cast<double>(count / 2 * 2);
}

double median_of_runs(bool profiled, std::size_t spans, int runs) {
  std::vector<double> per_span;
  for (int run = 0; run < runs; ++run) {
    ProgramRecords::instance().decide(profiled, spans);
    per_span.push_back(nanoseconds_per_span(spans));
    std::vector<multirank::detail::TaskEvent> tasks;
    std::map<std::uint64_t, std::string> functions;
    std::vector<multirank::detail::SpanEvent> recorded;
    std::map<std::uint64_t, std::string> names;
    std::uint64_t dropped = 0;
    ProgramRecords::instance().take(tasks, functions, recorded, names, dropped);
    if (profiled && recorded.size() != spans / 2 * 2) {
      std::fprintf(stderr, "multirank-span-cost: %zu spans recorded of %zu\n", recorded.size(),
                   spans);
      std::exit(1);
    }
  }
  std::sort(per_span.begin(), per_span.end());
  return per_span[per_span.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t spans = 1'000'000;
  int runs = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    if (option == "--spans") {
      spans = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (option == "--runs") {
      runs = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: multirank-span-cost [--spans N] [--runs R]\n");
      return 2;
    }
  }
  if (spans < 2 || runs < 1) {
    std::fprintf(stderr, "multirank-span-cost: --spans must be at least 2 and --runs at least 1\n");
    return 2;
  }
  const double on = median_of_runs(true, spans, runs);
  const double off = median_of_runs(false, spans, runs);
  std::printf(
      "multirank::profile::Span, median of %d runs of %zu spans: %.1f ns per span recording, %.2f "
      "ns off\n",
      runs, spans, on, off);
  return 0;
}
