// Directory walk with an explicit stack. std::filesystem's recursive iterator follows a symlink
// loop until the path is too long and then throws; here each directory is entered once, keyed by
// device and inode, so loops and links to already-seen directories are skipped silently.
// POSIX calls rather than std::filesystem: each entry is looked up relative to its open
// directory (fstatat) instead of walking its whole path again, and names are joined as strings
// instead of paths split into components. Listing is on the critical path of a run of many small
// images: no rank has work until it is done.
#include "image_tree.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <set>
#include <string_view>
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

/// The name's extension as std::filesystem::path::extension() gives it: from the last dot, none
/// for a name whose only dot is its first character.
std::string extension_of(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? std::string() : std::string(name.substr(dot));
}

/// An open directory, closed when done with.
class OpenDirectory {
 public:
  explicit OpenDirectory(const fs::path& path) : dir_(::opendir(path.c_str())) {}
  ~OpenDirectory() {
    if (dir_ != nullptr) ::closedir(dir_);
  }
  OpenDirectory(const OpenDirectory&) = delete;
  OpenDirectory& operator=(const OpenDirectory&) = delete;

  DIR* get() const noexcept { return dir_; }

 private:
  DIR* dir_;
};

std::string error_text(int number) {
  return std::error_code(number, std::system_category()).message();
}

}  // namespace

ImageTree list_images(const fs::path& root, const fs::path& excluded,
                      const std::function<void(std::size_t)>& found) {
  // Often enough for a display redrawn ten times a second, rare enough to cost nothing.
  constexpr std::size_t found_every = 256;
  ImageTree tree;
  std::set<FileId> entered;
  if (auto id = id_of(excluded)) entered.insert(*id);  // never walk into the outputs
  std::vector<std::string> pending{std::string()};     // directories, relative to root
  if (auto id = id_of(root)) entered.insert(*id);
  while (!pending.empty()) {
    const std::string relative_dir = std::move(pending.back());
    pending.pop_back();
    const OpenDirectory dir(root / relative_dir);
    if (dir.get() == nullptr) {
      tree.unreadable.emplace_back(relative_dir, error_text(errno));
      continue;
    }
    const std::string prefix = relative_dir.empty() ? std::string() : relative_dir + "/";
    for (;;) {
      errno = 0;
      const dirent* entry = ::readdir(dir.get());
      if (entry == nullptr) {
        if (errno != 0) tree.unreadable.emplace_back(relative_dir, error_text(errno));
        break;
      }
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      // A plain file that is not an image needs no stat; anything else one, following links,
      // for its type, its size and a directory's identity.
      const bool image_name = is_image_extension(extension_of(name));
      if (entry->d_type == DT_REG && !image_name) continue;
      struct stat info {};
      if (::fstatat(::dirfd(dir.get()), entry->d_name, &info, 0) != 0) continue;  // dangling link
      if (S_ISDIR(info.st_mode)) {
        if (entered.insert(FileId{info.st_dev, info.st_ino}).second)
          pending.push_back(prefix + entry->d_name);
      } else if (S_ISREG(info.st_mode) && image_name) {
        tree.images.push_back({prefix + entry->d_name, static_cast<std::uint64_t>(info.st_size)});
        if (found && tree.images.size() % found_every == 0) found(tree.images.size());
      }
    }
  }
  // Largest first: the longest tasks start early, so no big file is left for the end.
  std::ranges::sort(tree.images, [](const ImageFile& a, const ImageFile& b) {
    return a.size != b.size ? a.size > b.size : a.relative < b.relative;
  });
  return tree;
}

}  // namespace grayscale
