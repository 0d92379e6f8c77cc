// libpng writer for 8-bit gray + alpha into memory, with the settings OpenCV's own PNG encoder uses
// by default (SUB filter, level 1, RLE), so gray and gray+alpha outputs cost about the same to
// write.
#include "png_gray_alpha.hpp"

#include <png.h>

#include <csetjmp>
#include <string>

#include "gray_conversion.hpp"

namespace grayscale {
namespace {

void append_to_vector(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

void flush_nothing(png_structp) {}

[[noreturn]] void throw_png_error(png_structp png, png_const_charp message) {
  // libpng wants this handler not to return; longjmp back to the encoder's frame, which then
  // throws as a C++ exception (no C++ unwinding across libpng's C frames).
  auto* reason = static_cast<std::string*>(png_get_error_ptr(png));
  *reason = message;
  png_longjmp(png, 1);
}

}  // namespace

std::vector<std::uint8_t> encode_png_gray_alpha(const cv::Mat& gray_alpha) {
  CV_Assert(gray_alpha.type() == CV_8UC2);
  std::vector<std::uint8_t> out;
  std::string reason;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, &reason, throw_png_error, nullptr);
  if (png == nullptr) throw ConversionError("PNG encoder: out of memory");
  png_infop info = png_create_info_struct(png);
  volatile bool failed = false;  // volatile: set on the longjmp path
  if (info == nullptr) {
    failed = true;
    reason = "out of memory";
  } else if (setjmp(png_jmpbuf(png)) != 0) {
    failed = true;
  } else {
    png_set_write_fn(png, &out, append_to_vector, flush_nothing);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    png_set_compression_level(png, 1);     // Z_BEST_SPEED
    png_set_compression_strategy(png, 3);  // Z_RLE
    png_set_IHDR(png, info, static_cast<png_uint_32>(gray_alpha.cols),
                 static_cast<png_uint_32>(gray_alpha.rows), 8, PNG_COLOR_TYPE_GRAY_ALPHA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int row = 0; row < gray_alpha.rows; ++row) {
      png_write_row(png, const_cast<png_bytep>(gray_alpha.ptr<png_byte>(row)));
    }
    png_write_end(png, info);
  }
  png_destroy_write_struct(&png, info != nullptr ? &info : nullptr);
  if (failed) throw ConversionError("PNG encoder: " + reason);
  return out;
}

}  // namespace grayscale
