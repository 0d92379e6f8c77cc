// The conversion itself: encoded image bytes in, encoded grayscale bytes out, in the format the
// output name asks for. The same function serves the shared-filesystem and the shipping modes,
// which is why both give byte-identical outputs.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace grayscale {

struct ConversionSettings {
  int quality = 95;                                   // JPEG and WebP output quality, 1..100
  std::uint64_t max_pixels = std::uint64_t{1} << 30;  // refuse headers claiming more
};

/// Why one image could not be converted; the message is the reason shown to the user
/// ("not an image", "truncated JPEG data", "too large: ...").
class ConversionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct GrayImage {
  std::vector<std::uint8_t> encoded;
  std::uint64_t pixels = 0;
};

/// Runs one stage of a conversion ("decode", "convert" to gray, "encode"): `stage()`, with
/// whatever the caller wraps around it (grayscale's ranks time each in a profile span).
using StageRunner = std::function<void(const char* name, const std::function<void()>& stage)>;

/// Decodes `input` (any supported format, recognised by content), converts it to 8-bit gray with
/// ITU-R 601-2 luma (alpha kept where the output format can hold it), applies the EXIF
/// orientation, and encodes it for an output file with extension `output_extension` (".jpg").
/// Throws ConversionError with the reason.
GrayImage convert_to_gray(const std::vector<std::uint8_t>& input,
                          const std::string& output_extension, const ConversionSettings& settings,
                          const StageRunner& run_stage = {});

/// Whether grayscale takes a file with this extension (".JPG", ".png", ...) as an image.
bool is_image_extension(const std::string& extension);
/// Those extensions, for messages: ".jpg .jpeg ... .webp, any letter case".
std::string image_extensions_text();

}  // namespace grayscale
