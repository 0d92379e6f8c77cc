// OpenCV's image codecs (PNG, TIFF, BMP, WebP, and the JPEGs libjpeg cannot turn gray), loaded
// the first time an image needs them: they live in a plugin of their own
// (libgrayscale-opencv-codecs.so, beside the other libraries of the build) because linking
// imgcodecs (which brings GDAL, GDCM and over a hundred more libraries) cost every process most of
// its start-up CPU, for images most jobs never meet (apps/bench/startup_results.md).
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <span>
#include <string>
#include <vector>

namespace grayscale {

/// cv::imdecode through the plugin: an empty Mat when OpenCV cannot decode the data; throws
/// ConversionError ("corrupt <format> data (OpenCV's reason)") for an exception, or when the
/// plugin cannot be loaded.
cv::Mat opencv_decode(std::span<const std::uint8_t> input, int flags, const std::string& format);

/// cv::imencode through the plugin; throws ConversionError when OpenCV cannot encode the image.
std::vector<std::uint8_t> opencv_encode(const std::string& extension, const cv::Mat& image,
                                        const std::vector<int>& params);

}  // namespace grayscale
