// grayscale's grouping of images into tasks (task_batches.hpp): photographs alone, runs of small
// images together up to the target cost, the list's order kept, and a small set still spread
// over every worker slot; and the batch task (convert_images), whose images succeed or fail one
// by one.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "conversion_task.hpp"
#include "jpeg_codec.hpp"
#include "output_files.hpp"
#include "task_batches.hpp"

namespace {
using grayscale::batch_starts;
using grayscale::BatchTarget;

// Batch sizes (images per batch) from the starts batch_starts returns for `count` images.
std::vector<std::size_t> batch_lengths(const std::vector<std::size_t>& starts, std::size_t count) {
  std::vector<std::size_t> lengths;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    lengths.push_back((i + 1 < starts.size() ? starts[i + 1] : count) - starts[i]);
  }
  return lengths;
}
}  // namespace

TEST_CASE("images are grouped into tasks by size", "[grayscale][batches]") {
  const BatchTarget target{100'000, 1'000};

  SECTION("an image at or over the target is a task of its own") {
    const std::vector<std::uint64_t> sizes{500'000, 200'000, 99'000, 99'000};
    CHECK(batch_starts(sizes, 2, target) == std::vector<std::size_t>{0, 1, 2, 3});
  }

  SECTION("small images share a task up to the target cost, size plus the cost per image") {
    // 9 000 + 1 000 per image: 10 images make 100 000, the target.
    const std::vector<std::uint64_t> sizes(1'000, 9'000);
    const auto starts = batch_starts(sizes, 2, target);
    CHECK(batch_lengths(starts, sizes.size()) == std::vector<std::size_t>(100, 10));
  }

  SECTION("the batches cover the list in its order, each image once") {
    std::vector<std::uint64_t> sizes;  // largest first, from photographs down to thumbnails
    for (std::uint64_t size = 400'000; size >= 2'000; size = size * 9 / 10) sizes.push_back(size);
    sizes.insert(sizes.end(), 500, 1'500);
    const auto starts = batch_starts(sizes, 2, target);
    REQUIRE_FALSE(starts.empty());
    CHECK(starts.front() == 0);
    for (std::size_t i = 1; i < starts.size(); ++i) CHECK(starts[i - 1] < starts[i]);
    CHECK(starts.back() < sizes.size());
    // The cost of every batch of several images is within the target.
    const auto lengths = batch_lengths(starts, sizes.size());
    for (std::size_t i = 0; i < starts.size(); ++i) {
      std::uint64_t cost = 0;
      for (std::size_t k = starts[i]; k < starts[i] + lengths[i]; ++k) cost += sizes[k] + target.bytes_per_image;
      if (lengths[i] > 1) CHECK(cost <= target.bytes_per_task);
    }
    CHECK(lengths.back() > 1);
  }

  SECTION("a small set is spread: at most ceil(n / (4 x slots)) images per task") {
    const std::vector<std::uint64_t> sizes(40, 100);  // all 40 would fit one task by cost
    CHECK(batch_lengths(batch_starts(sizes, 2, target), sizes.size()) == std::vector<std::size_t>(8, 5));
    std::vector<std::size_t> four_slots(13, 3);  // ceil(40 / 16) = 3: 13 tasks of 3, then 1
    four_slots.push_back(1);
    CHECK(batch_lengths(batch_starts(sizes, 4, target), sizes.size()) == four_slots);
  }

  SECTION("no images, no batches") { CHECK(batch_starts({}, 2, target).empty()); }
}

namespace {
namespace fs = std::filesystem;
using grayscale::ConversionBatch;
using grayscale::ConversionRequest;
using grayscale::ConversionStatus;
using grayscale::IoMode;

/// A directory of its own under the system's temporary directory, removed at the end.
struct ScratchDirectory {
  fs::path path;
  ScratchDirectory() {
    std::random_device entropy;
    path = fs::temp_directory_path() / ("grayscale-batch-test-" + std::to_string(entropy()));
    fs::create_directories(path);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
};

std::vector<std::uint8_t> small_jpeg(int shade) {
  cv::Mat gray(24, 32, CV_8UC1);
  for (int y = 0; y < gray.rows; ++y) {
    for (int x = 0; x < gray.cols; ++x) gray.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(shade + x + y);
  }
  return grayscale::encode_jpeg_gray(gray, 90);
}

/// Three small images, the middle one cut short, as requests of one batch in `mode`.
ConversionBatch batch_with_a_broken_image(const ScratchDirectory& scratch, IoMode mode) {
  std::vector<std::vector<std::uint8_t>> contents{small_jpeg(10), small_jpeg(60), small_jpeg(110)};
  contents[1].resize(contents[1].size() / 2);
  ConversionBatch batch;
  const char* names[] = {"first.jpg", "broken.jpg", "last.jpg"};
  for (std::size_t i = 0; i < contents.size(); ++i) {
    const fs::path input = scratch.path / "in" / names[i];
    grayscale::write_file_atomically(input, contents[i]);
    ConversionRequest request;
    request.index = 10 + i;
    request.mode = mode;
    request.input_path = input.string();
    request.input_size = contents[i].size();
    request.output_path = (scratch.path / "out" / names[i]).string();
    request.quality = 75;
    request.max_pixels = std::uint64_t{1} << 30;
    if (mode == IoMode::ship) request.input_bytes = contents[i];
    batch.requests.push_back(std::move(request));
  }
  return batch;
}
}  // namespace

TEST_CASE("a batch task gives one outcome per image", "[grayscale][batches]") {
  const ScratchDirectory scratch;

  SECTION("a broken image fails alone, with its reason; the others of its batch are written") {
    const auto outcomes = grayscale::convert_images(batch_with_a_broken_image(scratch, IoMode::shared));
    REQUIRE(outcomes.size() == 3);
    CHECK(outcomes[0].index == 10);
    CHECK(outcomes[0].status == ConversionStatus::converted);
    CHECK(outcomes[1].index == 11);
    CHECK(outcomes[1].status == ConversionStatus::failed);
    CHECK_THAT(outcomes[1].reason, Catch::Contains("truncated"));
    CHECK(outcomes[2].index == 12);
    CHECK(outcomes[2].status == ConversionStatus::converted);
    CHECK(grayscale::is_complete_output(scratch.path / "out" / "first.jpg"));
    CHECK_FALSE(fs::exists(scratch.path / "out" / "broken.jpg"));
    CHECK(grayscale::is_complete_output(scratch.path / "out" / "last.jpg"));
    CHECK(outcomes[2].output_size == fs::file_size(scratch.path / "out" / "last.jpg"));
  }

  SECTION("shipped, the outputs come back in the outcomes and nothing is written") {
    const auto outcomes = grayscale::convert_images(batch_with_a_broken_image(scratch, IoMode::ship));
    REQUIRE(outcomes.size() == 3);
    CHECK(outcomes[0].status == ConversionStatus::converted);
    CHECK(outcomes[0].output_bytes.size() == outcomes[0].output_size);
    CHECK(outcomes[1].status == ConversionStatus::failed);
    CHECK(outcomes[2].status == ConversionStatus::converted);
    CHECK_FALSE(fs::exists(scratch.path / "out"));
  }

  SECTION("in automatic mode, a rank that does not see the driver's files hands every image back") {
    ConversionBatch batch = batch_with_a_broken_image(scratch, IoMode::automatic);
    batch.probe_path = (scratch.path / "no-such-probe").string();
    batch.probe_token = "token";
    const auto outcomes = grayscale::convert_images(std::move(batch));
    REQUIRE(outcomes.size() == 3);
    for (const auto& outcome : outcomes) CHECK(outcome.status == ConversionStatus::not_visible);
    CHECK_FALSE(fs::exists(scratch.path / "out"));
  }
}
