// Decode, convert, orient, encode. JPEG is decoded straight to luma (libjpeg skips the chroma
// planes and the colour conversion), the other formats in their own channels and depth, then
// reduced to 8-bit gray with OpenCV's ITU-R 601-2 weights, as PIL's convert('L').
#include "gray_conversion.hpp"

#include <algorithm>
#include <cctype>
#include <opencv2/imgcodecs.hpp>  // the IMREAD_ and IMWRITE_ flags only: the codecs are a plugin
#include <opencv2/imgproc.hpp>

#include "image_header.hpp"
#include "jpeg_codec.hpp"
#include "opencv_codecs.hpp"
#include "png_gray_alpha.hpp"

namespace grayscale {
namespace {

constexpr const char* image_extensions[] = {".jpg",  ".jpeg", ".png", ".tif",
                                            ".tiff", ".bmp",  ".webp"};

std::string lower_case(std::string text) {
  std::ranges::transform(text, text.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Alpha survives only where the output format stores it; PNG gets a real gray+alpha image,
// WebP and TIFF (no 2-channel writer in OpenCV) a BGRA image whose three colours are the gray.
bool keeps_alpha(const std::string& extension) {
  return extension == ".png" || extension == ".webp" || extension == ".tif" || extension == ".tiff";
}

cv::Mat to_8bit(const cv::Mat& image) {
  if (image.depth() == CV_8U) return image;
  cv::Mat out;
  switch (image.depth()) {
    case CV_16U:
      image.convertTo(out, CV_8U, 1.0 / 257.0);
      break;
    case CV_32F:
      image.convertTo(out, CV_8U, 255.0);
      break;  // float TIFF is 0..1
    default:
      image.convertTo(out, CV_8U);
      break;
  }
  return out;
}

struct Decoded {
  cv::Mat gray;   // CV_8UC1
  cv::Mat alpha;  // CV_8UC1 or empty
};

// The EXIF orientation (1..8, as PIL's ImageOps.exif_transpose reads it) applied to the pixels,
// so the output, which carries no metadata, displays as the input did.
cv::Mat oriented(const cv::Mat& image, int orientation) {
  if (image.empty() || orientation == 1) return image;
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(image, out, 1);
      break;  // mirrored
    case 3:
      cv::rotate(image, out, cv::ROTATE_180);
      break;
    case 4:
      cv::flip(image, out, 0);
      break;  // upside down, mirrored
    case 5:
      cv::transpose(image, out);
      break;
    case 6:
      cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE);
      break;
    case 7:
      cv::transpose(image, out);
      cv::flip(out, out, -1);
      break;  // transverse
    case 8:
      cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      return image;
  }
  return out;
}

cv::Mat decode(const std::vector<std::uint8_t>& input, const ImageHeader& header) {
  // JPEG: libjpeg's luma path (jpeg_codec.cpp); CMYK, inverted Adobe CMYK included, goes to
  // OpenCV with IMREAD_GRAYSCALE, which converts it. The others: IMREAD_UNCHANGED, the one flag
  // that keeps alpha and 16-bit samples. OpenCV 4.6 applies a TIFF's orientation tag itself (8
  // and 16 bits, checked), and that of JPEG only without IMREAD_UNCHANGED, never PNG's or WebP's:
  // JPEG is told to ignore it, and the header's orientation is applied here to every format but
  // TIFF.
  const ImageFormat format = header.format;
  cv::Mat image;
  if (format == ImageFormat::jpeg) image = decode_jpeg_luma(input);
  if (image.empty()) {
    const int flags = format == ImageFormat::jpeg
                          ? (cv::IMREAD_GRAYSCALE | cv::IMREAD_IGNORE_ORIENTATION)
                          : cv::IMREAD_UNCHANGED;
    image = opencv_decode(input, flags, format_name(format));
  }
  if (image.empty()) throw ConversionError("truncated or corrupt " + format_name(format) + " data");
  return image;
}

/// The decoded pixels as 8-bit gray (and alpha), upright.
Decoded to_gray(cv::Mat image, const ImageHeader& header) {
  const ImageFormat format = header.format;
  image = to_8bit(image);
  Decoded decoded;
  switch (image.channels()) {
    case 1:
      decoded.gray = image;
      break;
    case 2:
      cv::extractChannel(image, decoded.gray, 0);
      cv::extractChannel(image, decoded.alpha, 1);
      break;
    case 3:
      cv::cvtColor(image, decoded.gray, cv::COLOR_BGR2GRAY);
      break;
    case 4:
      cv::cvtColor(image, decoded.gray, cv::COLOR_BGRA2GRAY);
      cv::extractChannel(image, decoded.alpha, 3);
      break;
    default:
      throw ConversionError(format_name(format) + " image with " +
                            std::to_string(image.channels()) + " channels is not supported");
  }
  const int orientation = format == ImageFormat::tiff ? 1 : header.orientation;
  decoded.gray = oriented(decoded.gray, orientation);
  decoded.alpha = oriented(decoded.alpha, orientation);
  return decoded;
}

std::vector<std::uint8_t> encode(const Decoded& decoded, const std::string& extension,
                                 const ConversionSettings& settings) {
  const bool with_alpha = !decoded.alpha.empty() && keeps_alpha(extension);
  if (with_alpha && extension == ".png") {
    cv::Mat gray_alpha;
    cv::merge(std::vector<cv::Mat>{decoded.gray, decoded.alpha}, gray_alpha);
    return encode_png_gray_alpha(gray_alpha);
  }
  cv::Mat image = decoded.gray;
  if (with_alpha) {
    cv::merge(std::vector<cv::Mat>{decoded.gray, decoded.gray, decoded.gray, decoded.alpha}, image);
  }
  if (extension == ".jpg" || extension == ".jpeg") return encode_jpeg_gray(image, settings.quality);
  std::vector<int> params;
  if (extension == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, settings.quality};
  return opencv_encode(extension, image, params);
}

}  // namespace

bool is_image_extension(const std::string& extension) {
  return std::ranges::find(image_extensions, lower_case(extension)) != std::end(image_extensions);
}

std::string image_extensions_text() {
  std::string text;
  for (const char* extension : image_extensions) {
    if (!text.empty()) text += ' ';
    text += extension;
  }
  return text + ", any letter case";
}

GrayImage convert_to_gray(const std::vector<std::uint8_t>& input,
                          const std::string& output_extension, const ConversionSettings& settings,
                          const StageRunner& run_stage) {
  if (input.empty()) throw ConversionError("empty file");
  const ImageHeader header = read_image_header(input);
  if (header.format == ImageFormat::unknown)
    throw ConversionError("not an image (unrecognised content)");
  if (header.dimensions && header.dimensions->pixels() > settings.max_pixels) {
    throw ConversionError("too large: header claims " + std::to_string(header.dimensions->width) +
                          "x" + std::to_string(header.dimensions->height) + " = " +
                          std::to_string(header.dimensions->pixels()) +
                          " pixels, over --max-pixels " + std::to_string(settings.max_pixels));
  }
  if (!header.complete) {
    throw ConversionError("truncated " + format_name(header.format) +
                          " data (no end-of-image marker)");
  }
  const std::string extension = lower_case(output_extension);
  auto run = [&run_stage](const char* name, const std::function<void()>& stage) {
    if (run_stage) {
      run_stage(name, stage);
    } else {
      stage();
    }
  };
  cv::Mat image;
  run("decode", [&] { image = decode(input, header); });
  Decoded decoded;
  run("convert", [&] { decoded = to_gray(std::move(image), header); });
  GrayImage result;
  result.pixels = static_cast<std::uint64_t>(decoded.gray.total());
  run("encode", [&] { result.encoded = encode(decoded, extension, settings); });
  return result;
}

}  // namespace grayscale
