// The token is random per run, so a stale probe file from an earlier run, or a different disk
// mounted at the same path on another node, is not mistaken for the driver's directory.
#include "io_probe.hpp"

#include <cstdint>
#include <cstdio>
#include <random>
#include <string_view>

#include "output_files.hpp"

namespace grayscale {

namespace {
constexpr std::string_view probe_prefix = ".grayscale-io-probe-";
}  // namespace

IoProbe::IoProbe(const std::filesystem::path& output_dir) {
  std::random_device entropy;
  char hex[33];
  std::snprintf(hex, sizeof hex, "%08x%08x%08x%08x", entropy(), entropy(), entropy(), entropy());
  token_ = hex;
  path_ = output_dir / (std::string(probe_prefix) + token_.substr(0, 8));
  write_file_atomically(
      path_, std::span(reinterpret_cast<const std::uint8_t*>(token_.data()), token_.size()));
}

IoProbe::~IoProbe() {
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

void IoProbe::remove_stale(const std::filesystem::path& output_dir) {
  std::error_code error;
  for (std::filesystem::directory_iterator it(output_dir, error), end; !error && it != end;
       it.increment(error)) {
    if (it->path().filename().string().starts_with(probe_prefix))
      std::filesystem::remove(it->path(), error);
  }
}

}  // namespace grayscale
