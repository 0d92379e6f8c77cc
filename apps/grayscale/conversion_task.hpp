// The tasks every rank runs: one image in, its grayscale version out, or a batch of small images
// in one task, each with an outcome of its own. In the shared-filesystem mode the worker reads and
// writes the files itself; in the shipping mode the driver sends the input bytes and writes the
// returned output bytes; in the automatic mode the worker first checks that it sees the driver's
// files and otherwise hands the images back to be shipped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "gray_conversion.hpp"

namespace grayscale {

enum class IoMode : std::uint8_t { automatic, shared, ship };

struct ConversionRequest {
  std::uint64_t index = 0;       // into the driver's list of images
  IoMode mode = IoMode::shared;  // shared, ship, or automatic (probe first)
  std::string input_path;        // as the driver sees it
  std::uint64_t input_size = 0;  // as the driver saw it; a mismatch means another filesystem
  std::string output_path;       // final name, as the driver sees it
  std::string read_error;        // ship mode: why the driver could not read the input
  std::vector<std::uint8_t> input_bytes;  // ship mode: the file's content
  int quality = 95;
  std::uint64_t max_pixels = 0;

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& index& mode& input_path& input_size& output_path& read_error& input_bytes& quality&
        max_pixels;
  }
};

enum class ConversionStatus : std::uint8_t { converted, failed, not_visible };

struct ConversionOutcome {
  std::uint64_t index = 0;
  ConversionStatus status = ConversionStatus::failed;
  std::string reason;  // failed: why
  std::uint64_t pixels = 0;
  std::uint64_t output_size = 0;
  std::vector<std::uint8_t> output_bytes;  // ship mode only: the driver writes them

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& index& status& reason& pixels& output_size& output_bytes;
  }
};

/// Images converted in one task (task_batches.hpp says how they are grouped).
struct ConversionBatch {
  std::vector<ConversionRequest> requests;
  std::string probe_path;  // automatic mode: the token file the driver wrote
  std::string probe_token;

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& requests& probe_path& probe_token;
  }
};

/// One image, read and written here unless its mode is ship (automatic counts as shared: the
/// caller checked that this rank sees the files). Never throws for a bad image: the reason comes
/// back in the outcome.
ConversionOutcome convert_image(ConversionRequest request);

/// The registered task: each request of the batch through convert_image, in order, one outcome
/// each. In automatic mode the files are checked once for the batch: where the worker does not
/// see them, every outcome is not_visible.
std::vector<ConversionOutcome> convert_images(ConversionBatch batch);

}  // namespace grayscale
