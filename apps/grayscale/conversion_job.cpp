// Scheduling is the runtime's: Pool::imap_unordered hands tasks to idle slots (the driver rank's
// worker thread included) with a window per worker, in the order given, which is largest first;
// a task is one image, or a batch of small ones (task_batches.hpp), whose outcomes are accounted
// one by one as a single image's would be. Results are consumed as they complete, so shipped
// output bytes are written and dropped at once instead of waiting for input order. Before that,
// while MPI starts, a HeadStart converts the first images on the driver. On SIGINT/SIGTERM the
// runtime fails what has not started (multirank::Interrupted): the run stops there, reports what
// it did, and exits 128 + signal; every output is written atomically, so --resume finishes the
// rest.
#include "conversion_job.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <numeric>
#include <optional>
#include <ranges>
#include <system_error>

#include "failure_report.hpp"
#include "gray_conversion.hpp"
#include "head_start.hpp"
#include "image_tree.hpp"
#include "io_probe.hpp"
#include "listing_display.hpp"
#include "multirank/pool.hpp"
#include "multirank/profile.hpp"
#include "multirank/runtime.hpp"
#include "output_files.hpp"
#include "progress_display.hpp"
#include "task_batches.hpp"

namespace grayscale {
namespace fs = std::filesystem;

namespace {

/// Where an image's output goes: its relative path under OUTPUT_DIR, `prefix` before its name.
/// Made when needed rather than kept for every image: a million images' paths would take the
/// driver hundreds of megabytes.
fs::path output_path(const fs::path& output_dir, const std::string& relative,
                     const std::string& prefix) {
  const fs::path path(relative);
  return output_dir / path.parent_path() / (prefix + path.filename().string());
}

struct Totals {
  std::size_t converted = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t pixels = 0;
};

// Input bytes read ahead per worker slot in ship mode: enough for the window of queued work to
// hold a few large photos (a 24 MP JPEG is about 8 MB) or a dozen ordinary ones.
constexpr std::size_t ship_read_ahead_per_worker = std::size_t{32} << 20;
constexpr std::size_t batches_ahead_per_worker = 128;

int usage_error(const std::string& message) {
  std::cerr << "grayscale: " << message << "\n";
  return 2;
}

/// OUTPUT_DIR named right but unusable (permissions, a full or read-only disk): a failure of the
/// run (exit status 1) rather than of its command line, found before any work.
int output_dir_failure(const std::string& message) {
  std::cerr << "grayscale: " << message << "\n";
  return 1;
}

}  // namespace

struct ConversionJob::Run {
  Run(const CommandLine& options, const fs::path& input, const fs::path& output,
      std::vector<ImageFile> items, std::uint64_t total_bytes, std::size_t skipped,
      std::size_t ranks)
      : options_(options),
        input_dir_(input),
        output_dir_(output),
        items_(std::move(items)),
        skipped_(skipped),
        progress_(items_.size(), total_bytes,
                  std::chrono::duration<double>(options.progress_interval_s), !options.quiet) {
    if (options.io == IoMode::automatic) probe_.emplace(output);
    // The driver always sees its own files: the head start reads and writes them in place.
    head_start_.emplace(items_.size() / std::max<std::size_t>(1, ranks),
                        [this](std::size_t index) { return request_for(index, IoMode::shared); });
  }

  /// Converts every item the head start did not take; in automatic mode those whose worker did
  /// not see the files go round again, shipped. Stops early when the job is interrupted.
  void run() {
    std::vector<std::size_t> rest(items_.size() - head_start_->stop());
    std::iota(rest.begin(), rest.end(), items_.size() - rest.size());
    multirank::Pool pool;
    std::vector<std::size_t> unseen;
    try {
      unseen = run_pass(pool, rest, options_.io);
    } catch (const multirank::Interrupted& e) {
      interrupted_by_ = e.signal();
    }
    take_head_start();  // when no result came back (nothing left for the ranks, or interrupted)
    if (interrupted_by_ == 0) {
      shipped_after_probe_ = unseen.size();
      try {
        if (!unseen.empty()) run_pass(pool, unseen, IoMode::ship);
      } catch (const multirank::Interrupted& e) {
        interrupted_by_ = e.signal();
      }
    }
    // The probe is removed now, while this process is sure to live on: once ranks were lost the
    // Runtime's MPI_Finalize may hang and end the process without running destructors.
    probe_.reset();
    progress_.finish();
  }

  void add_failure(fs::path relative, std::string reason) {
    progress_.print_line("grayscale: failed: " + relative.string() + ": " + reason);
    failures_.push_back({std::move(relative), std::move(reason)});
  }

  const Totals& totals() const { return totals_; }
  std::size_t skipped() const { return skipped_; }
  /// --io auto: images handed back by workers that did not see the files, then shipped.
  std::size_t shipped_after_probe() const { return shipped_after_probe_; }
  const std::vector<Failure>& failures() const { return failures_; }
  std::size_t images() const { return items_.size(); }
  /// The signal that interrupted the run (SIGINT, SIGTERM), or 0.
  int interrupted_by() const { return interrupted_by_; }

 private:
  ConversionRequest request_for(std::size_t index, IoMode mode) const {
    const ImageFile& item = items_[index];
    const fs::path input = input_dir_ / item.relative;
    ConversionRequest request;
    request.index = index;
    request.mode = mode;
    request.input_path = input.string();
    request.input_size = item.size;
    request.output_path = output_path(output_dir_, item.relative, options_.prefix).string();
    request.quality = options_.quality;
    request.max_pixels = options_.max_pixels;
    if (mode == IoMode::ship) {
      // Shipped: the driver reads the image into its request, and its own row of the profile
      // shows it: one `ship` span per image (the bytes that travel to a rank), the `read` in it.
      multirank::profile::Span ship("ship");
      try {
        multirank::profile::Span span("read");
        request.input_bytes = read_file(input);
        span.add("bytes", request.input_bytes.size());
      } catch (const std::system_error& e) {
        request.read_error = e.what();
      }
      ship.add("bytes", request.input_bytes.size());
    }
    return request;
  }

  /// What the head start converted is whole and counted, interrupted or not. Taken at the first
  /// result of the ranks, so the progress display counts it from then on and not only at the end:
  /// its last image is finished by then, or nearly (it started before the ranks' first one).
  void take_head_start() {
    if (head_start_taken_) return;
    head_start_taken_ = true;
    for (ConversionOutcome& outcome : head_start_->finish()) take_outcome(outcome, IoMode::shared);
  }

  std::vector<std::size_t> run_pass(multirank::Pool& pool, const std::vector<std::size_t>& indices,
                                    IoMode mode) {
    std::vector<std::size_t> unseen;
    const auto slots = static_cast<std::size_t>(multirank::Runtime::current().worker_slots());
    const std::vector<std::size_t> starts = batch_starts(sizes_of(indices), slots);
    // Lazy: in ship mode a file is read only when its batch is about to be sent.
    auto batches = std::views::iota(std::size_t{0}, starts.size()) |
                   std::views::transform([&](std::size_t batch_number) {
                     const std::size_t end = batch_number + 1 < starts.size()
                                                 ? starts[batch_number + 1]
                                                 : indices.size();
                     ConversionBatch batch;
                     if (mode == IoMode::automatic) {
                       batch.probe_path = probe_->path().string();
                       batch.probe_token = probe_->token();
                     }
                     batch.requests.reserve(end - starts[batch_number]);
                     for (std::size_t k = starts[batch_number]; k < end; ++k) {
                       batch.requests.push_back(request_for(indices[k], mode));
                     }
                     return batch;
                   });
    multirank::MapOptions map_options;
    // Batches pulled from the list ahead of the results: enough to keep every worker's window
    // full (a batch is a few milliseconds of work, often less at the end of the list), not the
    // stream's default of 8192, which for a million small images would hold most of them on
    // rank 0 as encoded requests.
    map_options.max_in_flight = batches_ahead_per_worker * slots;
    // A shipped request carries the file: the read-ahead is bounded in bytes, about a window of
    // work per worker, instead of the stream's default of 8192 requests (every input of 480
    // photos, 313 MB, was held on rank 0 at once; a large tree would not fit in memory).
    if (mode == IoMode::ship) {
      map_options.max_bytes_in_flight = ship_read_ahead_per_worker * slots;
    }
    for (auto&& outcomes : pool.imap_unordered(convert_images, batches, map_options)) {
      take_head_start();
      for (ConversionOutcome& outcome : outcomes) {
        if (outcome.status == ConversionStatus::not_visible) {
          unseen.push_back(outcome.index);
        } else {
          take_outcome(outcome, mode);
        }
      }
    }
    return unseen;
  }

  std::vector<std::uint64_t> sizes_of(const std::vector<std::size_t>& indices) const {
    std::vector<std::uint64_t> sizes(indices.size());
    std::ranges::transform(indices, sizes.begin(),
                           [this](std::size_t i) { return items_[i].size; });
    return sizes;
  }

  /// A converted or failed image, wherever it ran: shipped output is written here, then counted.
  void take_outcome(ConversionOutcome& outcome, IoMode mode) {
    const ImageFile& item = items_[outcome.index];
    if (outcome.status == ConversionStatus::converted && mode == IoMode::ship) {
      try {
        multirank::profile::Span span("write");
        write_file_atomically(output_path(output_dir_, item.relative, options_.prefix),
                              outcome.output_bytes);
        span.add("bytes", outcome.output_bytes.size());
      } catch (const std::system_error& e) {
        outcome.status = ConversionStatus::failed;
        outcome.reason = e.what();
      }
    }
    if (outcome.status == ConversionStatus::converted) {
      ++totals_.converted;
      totals_.bytes_in += item.size;
      totals_.bytes_out += outcome.output_size;
      totals_.pixels += outcome.pixels;
    } else {
      add_failure(item.relative, outcome.reason);
    }
    progress_.file_done(item.size);
  }

  const CommandLine& options_;
  fs::path input_dir_;
  fs::path output_dir_;
  std::vector<ImageFile> items_;  // largest first
  std::size_t skipped_;
  std::optional<IoProbe> probe_;
  ProgressDisplay progress_;
  Totals totals_;
  std::vector<Failure> failures_;
  std::size_t shipped_after_probe_ = 0;
  int interrupted_by_ = 0;
  bool head_start_taken_ = false;
  // Last: its thread uses the members above and is stopped first.
  std::optional<HeadStart> head_start_;
};

ConversionJob::ConversionJob(const CommandLine& options, std::size_t ranks)
    : start_(std::chrono::steady_clock::now()) {
  // Kept for run(): thrown before MPI starts, an error could not end the other ranks cleanly.
  try {
    prepare(options, ranks);
  } catch (...) {
    error_ = std::current_exception();
  }
}

void ConversionJob::prepare(const CommandLine& options, std::size_t ranks) {
  std::error_code error;
  if (!fs::is_directory(options.input_dir, error)) {
    early_status_ =
        usage_error("INPUT_DIR " + options.input_dir.string() + " is not a readable directory" +
                    (error ? " (" + error.message() + ")" : ""));
    return;
  }
  // OUTPUT_DIR problems are found here, before any work: one message instead of one failure per
  // image, and nothing in OUTPUT_DIR touched. Naming a file is a usage error; a directory that
  // cannot be created or written fails the run.
  if (fs::exists(options.output_dir, error) && !fs::is_directory(options.output_dir, error)) {
    early_status_ =
        usage_error("OUTPUT_DIR " + options.output_dir.string() + " exists and is not a directory");
    return;
  }
  fs::create_directories(options.output_dir, error);
  if (error) {
    early_status_ = output_dir_failure("cannot create OUTPUT_DIR " + options.output_dir.string() +
                                       ": " + error.message());
    return;
  }
  const fs::path input = fs::canonical(options.input_dir);
  const fs::path output = fs::canonical(options.output_dir);
  if (input == output) {
    early_status_ =
        usage_error("OUTPUT_DIR must differ from INPUT_DIR: outputs keep the input names");
    return;
  }
  try {
    check_writable_directory(output);
  } catch (const std::system_error& e) {
    early_status_ = output_dir_failure(std::string("OUTPUT_DIR is not writable: ") + e.what());
    return;
  }
  remove_stale_partials(output);
  IoProbe::remove_stale(output);

  ListingDisplay listing(options.input_dir.string(),
                         std::chrono::duration<double>(options.progress_interval_s),
                         !options.quiet);
  ImageTree tree =
      list_images(input, output, [&listing](std::size_t images) { listing.found(images); });
  listing.finish(tree.images.size());
  std::size_t skipped = 0;
  if (options.resume) {
    skipped = std::erase_if(tree.images, [&](const ImageFile& image) {
      return is_complete_output(output_path(output, image.relative, options.prefix));
    });
  }
  std::uint64_t total_bytes = 0;
  for (const ImageFile& image : tree.images) total_bytes += image.size;
  run_ = std::make_unique<Run>(options, input, output, std::move(tree.images), total_bytes, skipped,
                               ranks);
  for (auto& [directory, reason] : tree.unreadable) {
    run_->add_failure(directory, "unreadable directory: " + reason);
  }
  unreadable_directories_ = tree.unreadable.size();
  input_ = input;
  output_ = output;
}

ConversionJob::~ConversionJob() = default;

int ConversionJob::run() {
  if (error_) std::rethrow_exception(error_);
  if (early_status_ != 0) return early_status_;
  run_->run();
  // Temporaries of workers lost during the run (their tasks ran again elsewhere), of tasks cut
  // short by an interruption or left running past a task timeout: every task is over now, so any
  // left are stale. Otherwise each conversion removed its own: no walk over a tree of outputs.
  const multirank::Runtime& runtime = multirank::Runtime::current();
  if (runtime.lost_worker_ranks() > 0 || run_->interrupted_by() != 0 ||
      runtime.options().task_timeout.count() > 0) {
    remove_stale_partials(output_);
  }
  bool report_written = true;
  try {
    write_failure_report(output_, run_->failures());
  } catch (const std::system_error& e) {
    // A full disk must not hide the failures: they were printed, one line each, as they came.
    std::cerr << "grayscale: cannot write the failure report: " << e.what() << "\n";
    report_written = false;
  }

  if (run_->images() == 0 && run_->skipped() == 0 && run_->failures().empty()) {
    // Most likely the wrong directory: say so rather than only "0 converted".
    std::cerr << "grayscale: no images under " << input_.string() << " (" << image_extensions_text()
              << ")\n";
  }
  const Totals& totals = run_->totals();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::printf(
      "grayscale: %zu converted, %zu skipped, %zu failed; %.1f MB read, %.1f MB written; "
      "%.2f s, %.1f images/s, %.1f MP/s\n",
      totals.converted, run_->skipped(), run_->failures().size(),
      static_cast<double>(totals.bytes_in) / 1e6, static_cast<double>(totals.bytes_out) / 1e6,
      seconds, static_cast<double>(totals.converted) / seconds,
      static_cast<double>(totals.pixels) / 1e6 / seconds);
  if (run_->shipped_after_probe() > 0) {
    std::printf("grayscale: %zu images shipped: some workers do not see INPUT_DIR and OUTPUT_DIR\n",
                run_->shipped_after_probe());
  }
  if (!run_->failures().empty() && report_written) {
    std::printf("grayscale: failures listed in %s\n", (output_ / failure_report_name).c_str());
  }
  const int signal = run_->interrupted_by();
  if (signal != 0) {
    // Failures also list unreadable directories, which are not images.
    const std::size_t failed_images = run_->failures().size() - unreadable_directories_;
    const std::size_t left = run_->images() - totals.converted - failed_images;
    std::printf(
        "grayscale: interrupted by %s; %zu images not converted (or finished while the job "
        "stopped): rerun with --resume to convert the rest\n",
        signal == SIGINT    ? "SIGINT"
        : signal == SIGTERM ? "SIGTERM"
                            : "a signal",
        left);
  }
  std::fflush(stdout);
  if (signal != 0) return 128 + signal;
  return run_->failures().empty() ? 0 : 1;
}

}  // namespace grayscale
