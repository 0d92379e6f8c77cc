// Finding the images under INPUT_DIR: recursive, symlinks followed once (loops skipped), the
// output tree left out so outputs are never taken as inputs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace grayscale {

struct ImageFile {
  // A string, not a std::filesystem::path, which also keeps a list of its components: a million
  // listed images are held on the driver for the whole run.
  std::string relative;  // under INPUT_DIR
  std::uint64_t size = 0;
};

struct ImageTree {
  std::vector<ImageFile> images;  // largest first
  /// Directories that could not be read, with the reason; their images are missing from `images`.
  std::vector<std::pair<std::filesystem::path, std::string>> unreadable;
};

/// Every regular file (or link to one) under `root` whose extension is an image extension, in
/// any letter case, except under `excluded` (the output directory, if it lies inside `root`).
/// `found`, if given, is told the count so far every few hundred images, for a progress display.
ImageTree list_images(const std::filesystem::path& root, const std::filesystem::path& excluded,
                      const std::function<void(std::size_t)>& found = {});

}  // namespace grayscale
