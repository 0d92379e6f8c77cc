// Loads the plugin once per process (a function-local static: a rank converts on several
// threads) and calls through it. It is looked for in the lib/ directory beside the executable's
// bin/ (the build's layout), then by name, where the loader's search path finds it.
#include "opencv_codecs.hpp"

#include <dlfcn.h>

#include <climits>
#include <filesystem>

#include "gray_conversion.hpp"

namespace grayscale {
namespace {

constexpr const char* plugin_name = "libgrayscale-opencv-codecs.so";

using DecodeFunction = int (*)(const std::uint8_t*, std::size_t, int, cv::Mat*, std::string*);
using EncodeFunction = int (*)(const char*, const cv::Mat*, const int*, std::size_t,
                               std::vector<std::uint8_t>*, std::string*);

struct Plugin {
  DecodeFunction decode = nullptr;
  EncodeFunction encode = nullptr;
  std::string problem;  // why it could not be loaded
};

Plugin load_plugin() {
  Plugin loaded;
  std::error_code error;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
  std::string tried;
  void* handle = nullptr;
  if (!error) {
    const auto beside = executable.parent_path().parent_path() / "lib" / plugin_name;
    handle = ::dlopen(beside.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) tried = std::string(::dlerror()) + "; ";
  }
  if (handle == nullptr) handle = ::dlopen(plugin_name, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    loaded.problem = "cannot load OpenCV's image codecs: " + tried + ::dlerror();
    return loaded;
  }
  loaded.decode = reinterpret_cast<DecodeFunction>(::dlsym(handle, "grayscale_opencv_decode"));
  loaded.encode = reinterpret_cast<EncodeFunction>(::dlsym(handle, "grayscale_opencv_encode"));
  if (loaded.decode == nullptr || loaded.encode == nullptr) {
    loaded.problem = std::string("cannot load OpenCV's image codecs: ") + plugin_name +
                     " lacks its entry points (a plugin of another build?)";
  }
  return loaded;
}

const Plugin& plugin() {
  // Loaded by the first thread to need it, the others wait; never changed afterwards.
  static const Plugin loaded = load_plugin();
  if (!loaded.problem.empty()) throw ConversionError(loaded.problem);
  return loaded;
}

}  // namespace

cv::Mat opencv_decode(std::span<const std::uint8_t> input, int flags, const std::string& format) {
  // OpenCV takes the bytes as one row of an int-sized Mat.
  if (input.size() > static_cast<std::size_t>(INT_MAX)) {
    throw ConversionError("too large: " + std::to_string(input.size()) +
                          " bytes, over the 2 GiB OpenCV's decoders take");
  }
  cv::Mat image;
  std::string reason;
  if (plugin().decode(input.data(), input.size(), flags, &image, &reason) == 0) {
    throw ConversionError("corrupt " + format + " data (" + reason + ")");
  }
  return image;
}

std::vector<std::uint8_t> opencv_encode(const std::string& extension, const cv::Mat& image,
                                        const std::vector<int>& params) {
  std::vector<std::uint8_t> out;
  std::string reason;
  if (plugin().encode(extension.c_str(), &image, params.data(), params.size(), &out, &reason) ==
      0) {
    throw ConversionError("cannot encode as " + extension + (reason.empty() ? "" : ": " + reason));
  }
  return out;
}

}  // namespace grayscale
