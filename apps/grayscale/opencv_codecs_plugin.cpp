// The plugin's two entry points, with C names for dlsym. They take and fill C++ objects (the
// plugin and the program are built together, against the same opencv_core), and never let an
// exception out: OpenCV's reason goes back as text.
#include <cstddef>
#include <cstdint>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

extern "C" {

/// 1: *out holds the image, or is empty where OpenCV could not decode; 0: *error says why.
[[gnu::visibility("default")]] int grayscale_opencv_decode(const std::uint8_t* data,
                                                           std::size_t size, int flags,
                                                           cv::Mat* out,
                                                           std::string* error) noexcept {
  try {
    const cv::Mat encoded(1, static_cast<int>(size), CV_8UC1, const_cast<std::uint8_t*>(data));
    *out = cv::imdecode(encoded, flags);
    return 1;
  } catch (const cv::Exception& e) {
    *error = e.err;
  } catch (const std::exception& e) {
    *error = e.what();
  }
  return 0;
}

/// 1: written into *out; 0: OpenCV declined (no writer for the extension, say), *error empty,
/// or threw, *error says why.
[[gnu::visibility("default")]] int grayscale_opencv_encode(const char* extension,
                                                           const cv::Mat* image, const int* params,
                                                           std::size_t param_count,
                                                           std::vector<std::uint8_t>* out,
                                                           std::string* error) noexcept {
  try {
    const std::vector<int> settings(params, params + param_count);
    return cv::imencode(extension, *image, *out, settings) ? 1 : 0;
  } catch (const cv::Exception& e) {
    *error = e.err;
  } catch (const std::exception& e) {
    *error = e.what();
  }
  return 0;
}

}  // extern "C"
