// --io auto: a token file the driver writes into OUTPUT_DIR for the run. A worker that reads the
// same token there shares the driver's filesystem; any other worker gets its images shipped.
#pragma once

#include <filesystem>
#include <string>

namespace grayscale {

class IoProbe {
 public:
  /// Writes `.grayscale-io-probe-<random>` with a random token into `output_dir`.
  explicit IoProbe(const std::filesystem::path& output_dir);
  /// Removes the token file.
  ~IoProbe();
  IoProbe(const IoProbe&) = delete;
  IoProbe& operator=(const IoProbe&) = delete;

  /// Removes probe files left in `output_dir` by killed runs (one run per OUTPUT_DIR at a time).
  static void remove_stale(const std::filesystem::path& output_dir);

  const std::filesystem::path& path() const { return path_; }
  const std::string& token() const { return token_; }

 private:
  std::filesystem::path path_;
  std::string token_;
};

}  // namespace grayscale
