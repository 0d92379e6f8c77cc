// What an image file's first bytes say: its format, the dimensions its header claims and, for
// JPEG, whether the data runs to its end marker. Read before decoding so a decompression bomb is
// refused without allocating it, and a truncated JPEG (which libjpeg would pad with gray) fails.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace grayscale {

enum class ImageFormat { jpeg, png, tiff, bmp, webp, unknown };

/// Lower-case name of a format, for messages ("JPEG", "PNG", ...).
std::string format_name(ImageFormat format);

/// The format the content is in, from its magic bytes (never from the file name).
ImageFormat sniff_format(std::span<const std::uint8_t> bytes);

struct Dimensions {
  std::uint64_t width = 0;
  std::uint64_t height = 0;
  std::uint64_t pixels() const { return width * height; }
};

struct ImageHeader {
  ImageFormat format = ImageFormat::unknown;
  /// Absent where the header does not say (an unusual TIFF layout): the decoder's own limit
  /// applies then.
  std::optional<Dimensions> dimensions;
  /// False when the data stops before the format's end (JPEG: no end-of-image marker).
  bool complete = true;
};

/// Parses the header (and, for JPEG, walks the marker segments to the end-of-image marker).
/// Never decodes pixels.
ImageHeader read_image_header(std::span<const std::uint8_t> bytes);

}  // namespace grayscale
