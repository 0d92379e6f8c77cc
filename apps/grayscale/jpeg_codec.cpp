// libjpeg reports a fatal error through error_exit, which must not return: it longjmps back to
// the function that called libjpeg, which then throws (no C++ unwinding through libjpeg's C
// frames). Each setjmp sits in a helper whose locals are all trivial, so the jump skips no
// destructor; the cv::Mat and the buffers live in the caller's frame.
#include "jpeg_codec.hpp"

#include <jpeglib.h>

#include <csetjmp>
#include <cstddef>  // jpeglib.h uses size_t and FILE without including their headers
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gray_conversion.hpp"

namespace grayscale {
namespace {

struct ErrorTrap {
  jpeg_error_mgr manager;  // first, so libjpeg's pointer to it is a pointer to the trap
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jump_back(j_common_ptr codec) {
  auto* trap = reinterpret_cast<ErrorTrap*>(codec->err);
  (*codec->err->format_message)(codec, trap->message);
  std::longjmp(trap->jump, 1);
}

// Warnings are data libjpeg recovered from (a bad Huffman code, extra bytes): the image still
// decodes, as with OpenCV, which ignores them too.
void ignore_message(j_common_ptr, int) {}

void install(ErrorTrap& trap, j_common_ptr codec) {
  codec->err = jpeg_std_error(&trap.manager);
  trap.manager.error_exit = jump_back;
  trap.manager.emit_message = ignore_message;
  trap.message[0] = '\0';
}

enum class Decoding { decoded, not_gray_convertible, failed };

Decoding decode_into(std::span<const std::uint8_t> input, cv::Mat& gray, ErrorTrap& trap) {
  jpeg_decompress_struct codec{};  // zeroed: destroying it is safe even if creating it failed
  install(trap, reinterpret_cast<j_common_ptr>(&codec));
  if (setjmp(trap.jump) != 0) {
    jpeg_destroy_decompress(&codec);
    return Decoding::failed;
  }
  jpeg_create_decompress(&codec);
  jpeg_mem_src(&codec, input.data(), static_cast<unsigned long>(input.size()));
  jpeg_read_header(&codec, TRUE);
  if (codec.jpeg_color_space == JCS_CMYK || codec.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&codec);
    return Decoding::not_gray_convertible;
  }
  codec.out_color_space = JCS_GRAYSCALE;
  jpeg_start_decompress(&codec);
  try {
    gray.create(static_cast<int>(codec.output_height), static_cast<int>(codec.output_width),
                CV_8UC1);
  } catch (...) {  // out of memory: OpenCV's exception, not libjpeg's longjmp
    jpeg_destroy_decompress(&codec);
    throw;
  }
  while (codec.output_scanline < codec.output_height) {
    JSAMPROW row = gray.ptr<JSAMPLE>(static_cast<int>(codec.output_scanline));
    jpeg_read_scanlines(&codec, &row, 1);
  }
  jpeg_finish_decompress(&codec);
  jpeg_destroy_decompress(&codec);
  return Decoding::decoded;
}

bool encode_into(const cv::Mat& gray, int quality, unsigned char*& buffer, unsigned long& size,
                 ErrorTrap& trap) {
  jpeg_compress_struct codec{};
  install(trap, reinterpret_cast<j_common_ptr>(&codec));
  if (setjmp(trap.jump) != 0) {
    jpeg_destroy_compress(&codec);
    return false;
  }
  jpeg_create_compress(&codec);
  jpeg_mem_dest(&codec, &buffer, &size);
  codec.image_width = static_cast<JDIMENSION>(gray.cols);
  codec.image_height = static_cast<JDIMENSION>(gray.rows);
  codec.input_components = 1;
  codec.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults(&codec);
  jpeg_set_quality(&codec, quality, TRUE);
  jpeg_start_compress(&codec, TRUE);
  while (codec.next_scanline < codec.image_height) {
    // libjpeg's API takes rows as non-const; it only reads them.
    JSAMPROW row = const_cast<JSAMPLE*>(gray.ptr<JSAMPLE>(static_cast<int>(codec.next_scanline)));
    jpeg_write_scanlines(&codec, &row, 1);
  }
  jpeg_finish_compress(&codec);
  jpeg_destroy_compress(&codec);
  return true;
}

}  // namespace

cv::Mat decode_jpeg_luma(std::span<const std::uint8_t> input) {
  cv::Mat gray;
  ErrorTrap trap;
  switch (decode_into(input, gray, trap)) {
    case Decoding::decoded:
      return gray;
    case Decoding::not_gray_convertible:
      return {};
    case Decoding::failed:
      break;
  }
  throw ConversionError(std::string("corrupt JPEG data (") + trap.message + ")");
}

std::vector<std::uint8_t> encode_jpeg_gray(const cv::Mat& gray, int quality) {
  CV_Assert(gray.type() == CV_8UC1);
  unsigned char* buffer = nullptr;  // grown by libjpeg with malloc
  unsigned long size = 0;
  ErrorTrap trap;
  const bool encoded = encode_into(gray, quality, buffer, size, trap);
  std::vector<std::uint8_t> out;
  if (encoded) out.assign(buffer, buffer + size);
  std::free(buffer);
  if (!encoded) throw ConversionError(std::string("cannot encode as JPEG: ") + trap.message);
  return out;
}

}  // namespace grayscale
