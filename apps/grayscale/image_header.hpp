// What an image file's first bytes say: its format, the dimensions its header claims, its EXIF
// orientation and, for JPEG, whether the data runs to its end marker. Read before decoding so a
// decompression bomb is refused without allocating it, and a truncated JPEG (which libjpeg would
// pad with gray) fails.
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
  /// The EXIF orientation, 1 to 8 (1: stored as displayed), from JPEG's APP1 Exif segment,
  /// PNG's eXIf chunk, WebP's EXIF chunk or TIFF's own tag 274; 1 where there is none or it is
  /// not a valid value.
  int orientation = 1;
};

/// Parses the header (JPEG: walks the marker segments to the end-of-image marker; PNG and WebP:
/// walks the chunks for the EXIF one). Never decodes pixels.
ImageHeader read_image_header(std::span<const std::uint8_t> bytes);

}  // namespace grayscale
