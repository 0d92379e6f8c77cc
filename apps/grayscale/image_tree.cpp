// Directory walk with an explicit stack. std::filesystem's recursive iterator follows a symlink
// loop until the path is too long and then throws; here each directory is entered once, keyed by
// device and inode, so loops and links to already-seen directories are skipped silently.
#include "image_tree.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "gray_conversion.hpp"

namespace grayscale {
namespace fs = std::filesystem;

namespace {
using FileId = std::pair<dev_t, ino_t>;

std::optional<FileId> id_of(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return FileId{info.st_dev, info.st_ino};
}
}  // namespace

ImageTree list_images(const fs::path& root, const fs::path& excluded,
                      const std::function<void(std::size_t)>& found) {
  // Often enough for a display redrawn ten times a second, rare enough to cost nothing.
  constexpr std::size_t found_every = 256;
  ImageTree tree;
  std::set<FileId> entered;
  if (auto id = id_of(excluded)) entered.insert(*id);  // never walk into the outputs
  std::vector<fs::path> pending{fs::path()};
  if (auto id = id_of(root)) entered.insert(*id);
  while (!pending.empty()) {
    const fs::path relative_dir = std::move(pending.back());
    pending.pop_back();
    std::error_code error;
    fs::directory_iterator it(root / relative_dir, error);
    if (error) {
      tree.unreadable.emplace_back(relative_dir, error.message());
      continue;
    }
    for (; it != fs::directory_iterator(); it.increment(error)) {
      const fs::directory_entry& entry = *it;
      // One stat per entry, following links, gives the type, the size and a directory's identity.
      struct stat info {};
      if (::stat(entry.path().c_str(), &info) != 0) continue;  // dangling link: not an image file
      const fs::path relative = relative_dir / entry.path().filename();
      if (S_ISDIR(info.st_mode)) {
        if (entered.insert(FileId{info.st_dev, info.st_ino}).second) pending.push_back(relative);
      } else if (S_ISREG(info.st_mode) && is_image_extension(entry.path().extension().string())) {
        tree.images.push_back({relative.string(), static_cast<std::uint64_t>(info.st_size)});
        if (found && tree.images.size() % found_every == 0) found(tree.images.size());
      }
    }
    if (error) tree.unreadable.emplace_back(relative_dir, error.message());
  }
  // Largest first: the longest tasks start early, so no big file is left for the end.
  std::ranges::sort(tree.images, [](const ImageFile& a, const ImageFile& b) {
    return a.size != b.size ? a.size > b.size : a.relative < b.relative;
  });
  return tree;
}

}  // namespace grayscale
