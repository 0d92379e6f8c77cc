// JPEG through libjpeg(-turbo) itself, for the common case: a gray, YCbCr or RGB JPEG decoded
// straight to luma, and 8-bit gray encoded as JPEG, so that most jobs never load OpenCV's image
// codecs (opencv_codecs.hpp says why that matters). The settings are the ones OpenCV uses, so the
// outputs are byte-identical to what cv::imdecode/cv::imencode gave.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <span>
#include <vector>

namespace grayscale {

/// Decodes `input` to 8-bit luma (libjpeg skips the chroma planes' inverse DCT and the colour
/// conversion). Returns an empty Mat for a JPEG in CMYK or YCCK, which libjpeg cannot turn into
/// gray (OpenCV's codecs take those); throws ConversionError for data libjpeg cannot decode.
cv::Mat decode_jpeg_luma(std::span<const std::uint8_t> input);

/// Encodes an 8-bit, one-channel image as a baseline JPEG of `quality` (1..100).
std::vector<std::uint8_t> encode_jpeg_gray(const cv::Mat& gray, int quality);

}  // namespace grayscale
