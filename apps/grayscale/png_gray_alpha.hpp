// PNG encoding of gray + alpha (colour type 4) through libpng, because OpenCV's PNG encoder
// writes only 1, 3 or 4 channels and a 4-channel copy would quadruple the file for no gain.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace grayscale {

/// `gray_alpha` is CV_8UC2 (gray, alpha). Throws ConversionError if libpng fails.
std::vector<std::uint8_t> encode_png_gray_alpha(const cv::Mat& gray_alpha);

}  // namespace grayscale
