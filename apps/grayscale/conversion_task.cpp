// The task bodies and the registration. Shared and shipped images go through the same
// convert_to_gray call, so the mode never changes an output byte.
#include "conversion_task.hpp"

#include <filesystem>
#include <system_error>

#include "multirank/profile.hpp"
#include "multirank/task.hpp"
#include "output_files.hpp"

namespace grayscale {
namespace fs = std::filesystem;

namespace {
ConversionOutcome failure(std::uint64_t index, std::string reason) {
  ConversionOutcome outcome;
  outcome.index = index;
  outcome.status = ConversionStatus::failed;
  outcome.reason = std::move(reason);
  return outcome;
}

// Whether this rank sees the driver's output directory (the token file with the token in it)
// and the input as the driver saw it. Checked per task, not cached, because it costs one small
// read and holds no state across tasks; a batch's images lie in the same tree, so its first
// input stands for the others.
bool sees_driver_files(const ConversionBatch& batch) {
  const ConversionRequest& request = batch.requests.front();
  try {
    const auto token = read_file(batch.probe_path);
    if (std::string(token.begin(), token.end()) != batch.probe_token) return false;
  } catch (const std::system_error&) {
    return false;
  }
  std::error_code error;
  return fs::file_size(request.input_path, error) == request.input_size && !error;
}
// Each stage of an image in the profile as a span of its own (nothing when it is off).
void run_in_span(const char* name, const std::function<void()>& stage) {
  const multirank::profile::Span span(name);
  stage();
}
}  // namespace

ConversionOutcome convert_image(ConversionRequest request) {
  if (!request.read_error.empty()) return failure(request.index, request.read_error);
  const ConversionSettings settings{request.quality, request.max_pixels};
  const fs::path output(request.output_path);
  try {
    if (request.mode != IoMode::ship) {
      multirank::profile::Span span("read");
      request.input_bytes = read_file(request.input_path);
      span.add("bytes", request.input_bytes.size());
    }
    GrayImage gray =
        convert_to_gray(request.input_bytes, output.extension().string(), settings, run_in_span);
    ConversionOutcome outcome;
    outcome.index = request.index;
    outcome.status = ConversionStatus::converted;
    outcome.pixels = gray.pixels;
    outcome.output_size = gray.encoded.size();
    if (request.mode == IoMode::ship) {
      outcome.output_bytes = std::move(gray.encoded);
    } else {
      multirank::profile::Span span("write");
      write_file_atomically(output, gray.encoded);
      span.add("bytes", gray.encoded.size());
    }
    return outcome;
  } catch (const ConversionError& e) {
    return failure(request.index, e.what());
  } catch (const std::system_error& e) {
    return failure(request.index, e.what());
  } catch (const std::exception& e) {
    return failure(request.index, std::string("unexpected error: ") + e.what());
  }
}

std::vector<ConversionOutcome> convert_images(ConversionBatch batch) {
  std::vector<ConversionOutcome> outcomes;
  outcomes.reserve(batch.requests.size());
  const bool automatic =
      !batch.requests.empty() && batch.requests.front().mode == IoMode::automatic;
  if (automatic && !sees_driver_files(batch)) {
    for (const ConversionRequest& request : batch.requests) {
      ConversionOutcome& outcome = outcomes.emplace_back();
      outcome.index = request.index;
      outcome.status = ConversionStatus::not_visible;
    }
    return outcomes;
  }
  for (ConversionRequest& request : batch.requests)
    outcomes.push_back(convert_image(std::move(request)));
  return outcomes;
}

// Inside the namespace: the macro builds a variable name from the function's name.
MULTIRANK_TASK(convert_images);

}  // namespace grayscale
