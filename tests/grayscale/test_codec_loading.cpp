// The conversion's two codec paths: JPEG goes through libjpeg itself and leaves OpenCV's image
// codecs unloaded (their start-up cost is why they are a plugin); the first other format loads
// them, and converts. The direct JPEG path gives the bytes OpenCV's own codec gives.
#include <link.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <opencv2/imgcodecs.hpp>  // flags only: the test links no codecs of its own
#include <string>
#include <vector>

#include "gray_conversion.hpp"
#include "jpeg_codec.hpp"
#include "opencv_codecs.hpp"

namespace {

bool imgcodecs_loaded() {
  bool found = false;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        if (info->dlpi_name != nullptr &&
            std::strstr(info->dlpi_name, "libopencv_imgcodecs") != nullptr) {
          *static_cast<bool*>(data) = true;
        }
        return 0;
      },
      &found);
  return found;
}

/// A 64x48 gradient with a little texture (a photograph-like image, not a test of JPEG noise).
cv::Mat test_pattern() {
  cv::Mat gray(48, 64, CV_8UC1);
  for (int y = 0; y < gray.rows; ++y) {
    for (int x = 0; x < gray.cols; ++x)
      gray.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(x * 3 + y * 2 + (x * y) % 5);
  }
  return gray;
}

const grayscale::ConversionSettings settings{75, std::uint64_t{1} << 30};

}  // namespace

// Catch2 runs the cases in the order written: the first one before anything loads the plugin.
TEST_CASE("a JPEG converts without loading OpenCV's codecs", "[grayscale][codecs]") {
  REQUIRE_FALSE(imgcodecs_loaded());
  const cv::Mat pattern = test_pattern();
  const std::vector<std::uint8_t> jpeg = grayscale::encode_jpeg_gray(pattern, 90);
  const auto gray = grayscale::convert_to_gray(jpeg, ".jpg", settings);
  CHECK(gray.pixels == 64 * 48);
  const cv::Mat decoded = grayscale::decode_jpeg_luma(gray.encoded);
  REQUIRE(decoded.size() == pattern.size());
  CHECK(cv::norm(decoded, pattern, cv::NORM_L1) / static_cast<double>(pattern.total()) < 3.0);
  CHECK_FALSE(imgcodecs_loaded());
}

TEST_CASE("another format loads them, and converts", "[grayscale][codecs]") {
  const std::vector<std::uint8_t> jpeg = grayscale::encode_jpeg_gray(test_pattern(), 90);
  const auto png = grayscale::convert_to_gray(jpeg, ".png", settings);
  CHECK(imgcodecs_loaded());
  const cv::Mat decoded = grayscale::opencv_decode(png.encoded, cv::IMREAD_UNCHANGED, "PNG");
  REQUIRE(decoded.type() == CV_8UC1);
  CHECK(cv::norm(decoded, grayscale::decode_jpeg_luma(jpeg), cv::NORM_INF) == 0);
}

TEST_CASE("the direct JPEG path gives the bytes and pixels OpenCV's codec gives",
          "[grayscale][codecs]") {
  const cv::Mat pattern = test_pattern();
  for (const int quality : {40, 75, 95}) {
    const auto by_opencv =
        grayscale::opencv_encode(".jpg", pattern, {cv::IMWRITE_JPEG_QUALITY, quality});
    const auto direct = grayscale::encode_jpeg_gray(pattern, quality);
    CHECK(by_opencv == direct);
    const cv::Mat opencv_decoded = grayscale::opencv_decode(direct, cv::IMREAD_GRAYSCALE, "JPEG");
    CHECK(cv::norm(opencv_decoded, grayscale::decode_jpeg_luma(direct), cv::NORM_INF) == 0);
  }
}

TEST_CASE("data libjpeg cannot decode fails with libjpeg's reason", "[grayscale][codecs]") {
  const auto jpeg = grayscale::encode_jpeg_gray(test_pattern(), 90);
  const std::vector<std::uint8_t> broken(jpeg.begin(), jpeg.begin() + 20);  // SOI, part of APP0
  CHECK_THROWS_WITH(grayscale::decode_jpeg_luma(broken), Catch::Contains("corrupt JPEG data ("));
}
