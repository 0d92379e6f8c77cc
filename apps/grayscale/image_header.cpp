// Header parsing for the formats grayscale reads. Each reader looks at fixed offsets only (JPEG
// walks its segment lengths), so the cost is independent of the image size.
#include "image_header.hpp"

#include <cstring>

namespace grayscale {
namespace {

using Bytes = std::span<const std::uint8_t>;

std::uint32_t be16(Bytes b, std::size_t at) { return (std::uint32_t{b[at]} << 8) | b[at + 1]; }
std::uint32_t le16(Bytes b, std::size_t at) { return (std::uint32_t{b[at + 1]} << 8) | b[at]; }
std::uint32_t be32(Bytes b, std::size_t at) { return (be16(b, at) << 16) | be16(b, at + 2); }
std::uint32_t le32(Bytes b, std::size_t at) { return (le16(b, at + 2) << 16) | le16(b, at); }
std::uint32_t le24(Bytes b, std::size_t at) {
  return std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8) | (std::uint32_t{b[at + 2]} << 16);
}

bool starts_with(Bytes b, const char* magic, std::size_t at = 0) {
  const std::size_t n = std::strlen(magic);
  return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
}

// Classic TIFF structure (a TIFF file, or the EXIF block of the other formats): calls
// `entry(tag, value)` for each entry of the first image file directory whose value fits in the
// entry (SHORT and LONG), the only kind the header needs. BigTIFF (43) is left to the decoder.
template <typename OnEntry>
void for_each_first_ifd_entry(Bytes b, OnEntry entry) {
  if (b.size() < 8 || !(b[0] == 'I' || b[0] == 'M') || b[1] != b[0]) return;
  const bool little = b[0] == 'I';
  auto u16 = [&](std::size_t at) { return little ? le16(b, at) : be16(b, at); };
  auto u32 = [&](std::size_t at) { return little ? le32(b, at) : be32(b, at); };
  if (u16(2) != 42) return;
  const std::size_t ifd = u32(4);
  if (ifd + 2 > b.size()) return;
  const std::size_t entries = u16(ifd);
  for (std::size_t i = 0; i < entries; ++i) {
    const std::size_t at = ifd + 2 + 12 * i;
    if (at + 12 > b.size()) return;
    const std::uint32_t type = u16(at + 2);
    if (type == 3) entry(u16(at), std::uint64_t{u16(at + 8)});
    if (type == 4) entry(u16(at), std::uint64_t{u32(at + 8)});
  }
}

// Orientation from an EXIF block: "Exif\0\0" (which JPEG always has, and some PNG and WebP
// writers keep) then a TIFF structure; tag 274.
int exif_orientation(Bytes exif) {
  if (starts_with(exif, "Exif")) exif = exif.size() >= 6 ? exif.subspan(6) : Bytes{};
  int orientation = 1;
  for_each_first_ifd_entry(exif, [&](std::uint32_t tag, std::uint64_t value) {
    if (tag == 274 && value >= 1 && value <= 8) orientation = static_cast<int>(value);
  });
  return orientation;
}

bool is_start_of_frame(std::uint8_t marker) {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Walks the segments; after each start-of-scan, skips entropy-coded data, where 0xFF is always
// followed by a stuffed 0x00 or a restart marker, so the next real marker ends the scan.
ImageHeader read_jpeg(Bytes b) {
  ImageHeader header{ImageFormat::jpeg, std::nullopt, false};
  std::size_t at = 2;
  while (at < b.size()) {
    if (b[at] != 0xFF) return header;             // lost sync: corrupt
    while (at < b.size() && b[at] == 0xFF) ++at;  // fill bytes
    if (at >= b.size()) return header;
    const std::uint8_t marker = b[at++];
    if (marker == 0xD9) {
      header.complete = true;
      return header;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
    if (at + 2 > b.size()) return header;
    const std::size_t length = be16(b, at);
    if (length < 2 || at + length > b.size()) return header;
    if (is_start_of_frame(marker) && !header.dimensions && length >= 7) {
      header.dimensions = Dimensions{be16(b, at + 5), be16(b, at + 3)};
    }
    if (marker == 0xE1 && header.orientation == 1 && starts_with(b, "Exif", at + 2)) {
      header.orientation = exif_orientation(b.subspan(at + 2, length - 2));
    }
    at += length;
    if (marker == 0xDA) {
      for (;;) {
        const void* found = std::memchr(b.data() + at, 0xFF, b.size() - at);
        if (found == nullptr) return header;
        at = static_cast<const std::uint8_t*>(found) - b.data();
        if (at + 1 >= b.size()) return header;
        const std::uint8_t next = b[at + 1];
        if (next == 0x00 || (next >= 0xD0 && next <= 0xD7) || next == 0xFF) {
          at += next == 0xFF ? 1 : 2;
          continue;
        }
        break;
      }
    }
  }
  return header;
}

// Chunks after the signature: length, type, data, CRC; eXIf may come before or after the image
// data (the specification asks for before, some writers put it after).
ImageHeader read_png(Bytes b) {
  ImageHeader header{ImageFormat::png, std::nullopt, true};
  if (b.size() >= 24 && starts_with(b, "IHDR", 12)) {
    header.dimensions = Dimensions{be32(b, 16), be32(b, 20)};
  }
  for (std::size_t at = 8; at + 8 <= b.size();) {
    const std::size_t length = be32(b, at);
    if (length > b.size() - at - 8) break;
    if (starts_with(b, "eXIf", at + 4)) {
      header.orientation = exif_orientation(b.subspan(at + 8, length));
      break;
    }
    if (starts_with(b, "IEND", at + 4)) break;
    at += 12 + length;
  }
  return header;
}

ImageHeader read_bmp(Bytes b) {
  ImageHeader header{ImageFormat::bmp, std::nullopt, true};
  if (b.size() < 26) return header;
  const std::uint32_t info_size = le32(b, 14);
  if (info_size == 12) {
    header.dimensions = Dimensions{le16(b, 18), le16(b, 20)};
  } else {
    const auto height = static_cast<std::int32_t>(le32(b, 22));  // negative: stored top-down
    header.dimensions = Dimensions{
        le32(b, 18), static_cast<std::uint64_t>(height < 0 ? -std::int64_t{height} : height)};
  }
  return header;
}

ImageHeader read_webp(Bytes b) {
  ImageHeader header{ImageFormat::webp, std::nullopt, true};
  if (starts_with(b, "VP8 ", 12) && b.size() >= 30) {
    header.dimensions = Dimensions{le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF};
  } else if (starts_with(b, "VP8L", 12) && b.size() >= 25) {
    const std::uint32_t bits = le32(b, 21);
    header.dimensions = Dimensions{1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)};
  } else if (starts_with(b, "VP8X", 12) && b.size() >= 30) {
    header.dimensions = Dimensions{1 + std::uint64_t{le24(b, 24)}, 1 + std::uint64_t{le24(b, 27)}};
    // The extended format's chunks (type, little-endian size, data padded to even), EXIF among
    // them when flag bit 3 says so.
    if ((b[20] & 0x08) != 0) {
      for (std::size_t at = 12; at + 8 <= b.size();) {
        const std::size_t size = le32(b, at + 4);
        if (size > b.size() - at - 8) break;
        if (starts_with(b, "EXIF", at)) {
          header.orientation = exif_orientation(b.subspan(at + 8, size));
          break;
        }
        at += 8 + size + (size & 1);
      }
    }
  }
  return header;
}

// Classic TIFF, first image file directory: tags 256 (width), 257 (height), 274 (orientation).
ImageHeader read_tiff(Bytes b) {
  ImageHeader header{ImageFormat::tiff, std::nullopt, true};
  std::optional<std::uint64_t> width, height;
  for_each_first_ifd_entry(b, [&](std::uint32_t tag, std::uint64_t value) {
    if (tag == 256) width = value;
    if (tag == 257) height = value;
    if (tag == 274 && value >= 1 && value <= 8) header.orientation = static_cast<int>(value);
  });
  if (width && height) header.dimensions = Dimensions{*width, *height};
  return header;
}

}  // namespace

std::string format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::jpeg:
      return "JPEG";
    case ImageFormat::png:
      return "PNG";
    case ImageFormat::tiff:
      return "TIFF";
    case ImageFormat::bmp:
      return "BMP";
    case ImageFormat::webp:
      return "WebP";
    case ImageFormat::unknown:
      break;
  }
  return "unknown";
}

ImageFormat sniff_format(std::span<const std::uint8_t> b) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ImageFormat::jpeg;
  if (starts_with(b, "\x89PNG\r\n\x1a\n")) return ImageFormat::png;
  if (b.size() >= 4 && ((b[0] == 'I' && b[1] == 'I' && (b[2] == 42 || b[2] == 43) && b[3] == 0) ||
                        (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && (b[3] == 42 || b[3] == 43)))) {
    return ImageFormat::tiff;
  }
  if (starts_with(b, "BM") && b.size() >= 26) return ImageFormat::bmp;
  if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) return ImageFormat::webp;
  return ImageFormat::unknown;
}

ImageHeader read_image_header(std::span<const std::uint8_t> bytes) {
  switch (sniff_format(bytes)) {
    case ImageFormat::jpeg:
      return read_jpeg(bytes);
    case ImageFormat::png:
      return read_png(bytes);
    case ImageFormat::tiff:
      return read_tiff(bytes);
    case ImageFormat::bmp:
      return read_bmp(bytes);
    case ImageFormat::webp:
      return read_webp(bytes);
    case ImageFormat::unknown:
      break;
  }
  return ImageHeader{};
}

}  // namespace grayscale
