// multirank-soak: a long run through ONE Pool — tiny tasks (map with chunks and imap_unordered)
// and generated images through the grayscale conversion, in rounds. Proves that every result comes
// back exactly once and that no rank's peak memory (VmHWM) keeps growing; exits 1 otherwise.
// Prints every rank's VmHWM after the first round (start), half-way (middle) and at the end.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gray_conversion.hpp"
#include "multirank/multirank.hpp"
#include "number_checks.hpp"

namespace {

// A tiny task's answer is its id times an odd constant: multiplying by an odd number is a bijection
// modulo 2^64, so the driver recovers the id, and a corrupted answer shows up as a wrong id.
constexpr std::uint64_t tag_factor = 0x9E3779B97F4A7C15ull;
constexpr std::uint64_t inverse_of_odd(std::uint64_t a) {
  std::uint64_t x = a;  // right in the low 3 bits; each Newton step doubles that (3 -> 96)
  for (int step = 0; step < 5; ++step) x *= 2 - a * x;
  return x;
}
constexpr std::uint64_t tag_inverse = inverse_of_odd(tag_factor);
static_assert(tag_factor * tag_inverse == 1);

std::uint64_t tag(std::uint64_t id) { return id * tag_factor; }
MULTIRANK_TASK(tag);

// Images repeat every `image_patterns` ids, so equal inputs must give byte-identical outputs: a
// result mixed up with another image's fails that check even when its id is right.
constexpr std::uint64_t image_patterns = 251;
using ImageInput = std::tuple<std::uint64_t, std::vector<std::uint8_t>>;
using ImageOutput = std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>;  // id, bytes, FNV-1a

std::vector<std::uint8_t> make_png(std::uint64_t id) {
  const int pattern = static_cast<int>(id % image_patterns);
  cv::Mat image(48, 64, CV_8UC3);
  for (int y = 0; y < image.rows; ++y)
    for (int x = 0; x < image.cols; ++x)
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<std::uint8_t>(x * 3 + pattern),
                                            static_cast<std::uint8_t>(y * 5 + pattern * 7),
                                            static_cast<std::uint8_t>(x + y + pattern * 13));
  std::vector<std::uint8_t> png;
  if (!cv::imencode(".png", image, png))
    throw std::runtime_error("could not encode soak image " + std::to_string(id));
  return png;
}

std::uint64_t fnv1a(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (std::uint8_t byte : bytes) hash = (hash ^ byte) * 0x100000001b3ull;
  return hash;
}

ImageOutput convert_image(ImageInput input) {
  const auto gray =
      grayscale::convert_to_gray(std::get<1>(input), ".png", grayscale::ConversionSettings{});
  return {std::get<0>(input), gray.encoded.size(), fnv1a(gray.encoded)};
}
MULTIRANK_TASK(convert_image);

struct Memory {
  std::int64_t peak_kib = 0;      // VmHWM
  std::int64_t resident_kib = 0;  // VmRSS
};

Memory own_memory() {
  std::ifstream status("/proc/self/status");
  Memory memory;
  std::string line;
  while (std::getline(status, line)) {  // "VmHWM:\t  123456 kB"
    if (line.starts_with("VmHWM:")) memory.peak_kib = std::stoll(line.substr(6));
    if (line.starts_with("VmRSS:")) memory.resident_kib = std::stoll(line.substr(6));
  }
  if (memory.peak_kib == 0) throw std::runtime_error("no VmHWM in /proc/self/status");
  return memory;
}

// The probe sleeps so that a rank holding one cannot also take the next: the probes spread out.
std::tuple<int, std::int64_t, std::int64_t> rank_memory(int) {
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const Memory memory = own_memory();
  return {multirank::Runtime::current().rank(), memory.peak_kib, memory.resident_kib};
}
MULTIRANK_TASK(rank_memory);

/// Every rank's memory: the driver's read here, each worker rank's by probes through the pool,
/// repeated until every rank has answered at least once.
std::map<int, Memory> memory_of_every_rank(multirank::Pool& pool, int ranks, int slots) {
  std::map<int, Memory> memory{{0, own_memory()}};
  for (int attempt = 0; attempt < 50 && static_cast<int>(memory.size()) < ranks; ++attempt)
    for (const auto& [rank, peak, resident] :
         pool.imap_unordered(rank_memory, std::views::iota(0, 2 * slots)))
      memory[rank] = Memory{peak, resident};
  if (static_cast<int>(memory.size()) < ranks)
    throw std::runtime_error("memory probes reached only " + std::to_string(memory.size()) +
                             " of " + std::to_string(ranks) + " ranks");
  return memory;
}

/// Which ids came back: counts the lost, the duplicated and the unknown.
class ResultLedger {
 public:
  explicit ResultLedger(std::uint64_t ids) : seen_(ids, false) {}
  void record(std::uint64_t id) {
    if (id >= seen_.size()) {
      ++unknown_;
    } else if (seen_[id]) {
      ++duplicated_;
    } else {
      seen_[id] = true;
      ++received_;
    }
  }
  std::uint64_t lost() const { return seen_.size() - received_; }
  std::uint64_t duplicated() const { return duplicated_; }
  std::uint64_t unknown() const { return unknown_; }
  bool complete() const { return lost() == 0 && duplicated_ == 0 && unknown_ == 0; }

 private:
  std::vector<bool> seen_;
  std::uint64_t received_ = 0;
  std::uint64_t duplicated_ = 0;
  std::uint64_t unknown_ = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);  // worker ranks serve here
  CLI::App cli{
      "multirank-soak: tiny tasks and images through one long-lived Pool, checked for lost "
      "or duplicated results and for memory growth"};
  std::uint64_t tasks = 10'000'000;
  std::uint64_t images = 10'000;
  int rounds = 10;
  std::size_t chunksize = 1000;
  double max_growth_mib = 16;
  cli.add_option("--tasks", tasks, "tiny tasks in all (half map, half imap_unordered)")
      ->check(multirank::apps::positive_number());
  cli.add_option("--images", images, "images in all")->check(multirank::apps::positive_number());
  cli.add_option("--rounds", rounds,
                 "rounds the work is split into; memory is compared from round 1 on")
      ->check(CLI::Range(2, 1000));
  cli.add_option("--chunksize", chunksize, "tiny tasks per chunk")
      ->check(multirank::apps::positive_number());
  cli.add_option("--max-growth-mib", max_growth_mib,
                 "allowed VmHWM growth of any rank, start to end")
      ->check(multirank::apps::non_negative_number());
  CLI11_PARSE(cli, argc, argv);

  multirank::Pool pool;  // the one pool that serves the whole run
  const int slots = runtime.worker_slots();
  std::printf(
      "soak: %d ranks, %d worker slots; %llu tiny tasks (chunksize %zu) and %llu images in %d "
      "rounds\n",
      runtime.size(), slots, static_cast<unsigned long long>(tasks), chunksize,
      static_cast<unsigned long long>(images), rounds);

  ResultLedger tiny_ledger(tasks);
  ResultLedger image_ledger(images);
  std::vector<std::uint64_t> pattern_checksum(image_patterns, 0);
  std::uint64_t mismatched_images = 0;
  std::map<std::string, std::map<int, Memory>> checkpoints;
  double map_seconds = 0, unordered_seconds = 0, image_seconds = 0;
  std::uint64_t map_tasks = 0, unordered_tasks = 0;

  std::uint64_t next_task = 0, next_image = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::uint64_t task_end = tasks * (round + 1) / rounds;
    const std::uint64_t middle = next_task + (task_end - next_task) / 2;
    auto start = std::chrono::steady_clock::now();
    const auto ordered =
        pool.map(tag, std::views::iota(next_task, middle), {.chunksize = chunksize});
    for (std::uint64_t answer : ordered) tiny_ledger.record(answer * tag_inverse);
    map_seconds += seconds_since(start);
    map_tasks += middle - next_task;

    start = std::chrono::steady_clock::now();
    for (std::uint64_t answer :
         pool.imap_unordered(tag, std::views::iota(middle, task_end), {.chunksize = chunksize}))
      tiny_ledger.record(answer * tag_inverse);
    unordered_seconds += seconds_since(start);
    unordered_tasks += task_end - middle;
    next_task = task_end;

    const std::uint64_t image_end = images * (round + 1) / rounds;
    auto inputs =
        std::views::iota(next_image, image_end) | std::views::transform([](std::uint64_t id) {
          return ImageInput{id, make_png(id)};
        });
    start = std::chrono::steady_clock::now();
    for (const auto& [id, size, checksum] : pool.imap_unordered(convert_image, inputs)) {
      image_ledger.record(id);
      auto& expected = pattern_checksum[id % image_patterns];
      if (size == 0 || (expected != 0 && expected != checksum)) ++mismatched_images;
      if (expected == 0) expected = checksum;
    }
    image_seconds += seconds_since(start);
    next_image = image_end;

    if (round == 0) checkpoints["start"] = memory_of_every_rank(pool, runtime.size(), slots);
    if (round == rounds / 2)
      checkpoints["middle"] = memory_of_every_rank(pool, runtime.size(), slots);
  }
  checkpoints["end"] = memory_of_every_rank(pool, runtime.size(), slots);

  std::printf("tiny tasks: map %.0f tasks/s, imap_unordered %.0f tasks/s; images: %.0f images/s\n",
              map_tasks / map_seconds, unordered_tasks / unordered_seconds, images / image_seconds);
  std::printf(
      "results: tiny tasks %llu lost, %llu duplicated, %llu unknown; images %llu lost, %llu "
      "duplicated, %llu unknown, %llu with a wrong output\n",
      static_cast<unsigned long long>(tiny_ledger.lost()),
      static_cast<unsigned long long>(tiny_ledger.duplicated()),
      static_cast<unsigned long long>(tiny_ledger.unknown()),
      static_cast<unsigned long long>(image_ledger.lost()),
      static_cast<unsigned long long>(image_ledger.duplicated()),
      static_cast<unsigned long long>(image_ledger.unknown()),
      static_cast<unsigned long long>(mismatched_images));

  bool steady = true;
  std::printf("peak RSS (VmHWM, KiB)    start   middle      end   growth   (VmRSS at end)\n");
  for (const auto& [rank, start] : checkpoints["start"]) {
    const auto middle = checkpoints["middle"].at(rank).peak_kib;
    const auto end = checkpoints["end"].at(rank).peak_kib;
    const double growth_mib = (end - start.peak_kib) / 1024.0;
    const bool within = growth_mib <= max_growth_mib;
    steady = steady && within;
    std::printf("rank %d%-12s %8lld %8lld %8lld %6.1f MiB   (%lld)%s\n", rank,
                rank == 0 ? " (driver)" : "", static_cast<long long>(start.peak_kib),
                static_cast<long long>(middle), static_cast<long long>(end), growth_mib,
                static_cast<long long>(checkpoints["end"].at(rank).resident_kib),
                within ? "" : "  over the bound");
  }
  const bool correct = tiny_ledger.complete() && image_ledger.complete() && mismatched_images == 0;
  std::printf("soak %s: %s; memory %s (bound %.1f MiB per rank)\n",
              correct && steady ? "passed" : "FAILED",
              correct ? "every result exactly once" : "results lost, duplicated or wrong",
              steady ? "steady" : "grew", max_growth_mib);
  return correct && steady ? 0 : 1;
}
