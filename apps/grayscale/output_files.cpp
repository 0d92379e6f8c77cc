// POSIX open/write/rename rather than iostreams: errno gives the user the real reason (disk full,
// permission), and O_EXCL makes the temporary name exclusive even between ranks.
#include "output_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <string>
#include <system_error>
#include <utility>

namespace grayscale {
namespace fs = std::filesystem;

namespace {
constexpr const char* partial_suffix = ".grayscale-partial";

[[noreturn]] void throw_errno(const std::string& what, const fs::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  /// Closes now, so a delayed write error (NFS, quota) is seen; true on success.
  bool close() {
    const int fd = std::exchange(fd_, -1);
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

fs::path temporary_beside(const fs::path& path) {
  // Seeded from the system's entropy once per thread: setting up a std::random_device (it parses
  // a token and probes the CPU) for every file was a visible share of a thumbnail's cost. The
  // names stay unpredictable and distinct between ranks.
  thread_local std::mt19937_64 engine = [] {
    std::random_device entropy;
    return std::mt19937_64((std::uint64_t{entropy()} << 32) | entropy());
  }();
  const std::uint64_t tag = engine();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(tag));
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on a chain of string +.
  std::string name = ".";
  name += path.filename().string();
  name += '.';
  name += hex;
  name += partial_suffix;
  return path.parent_path() / name;
}
}  // namespace

std::vector<std::uint8_t> read_file(const fs::path& path) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) throw_errno("cannot open", path);
  std::vector<std::uint8_t> bytes;
  struct stat info {};
  // fstat, not a second look-up of the path.
  const bool sized = ::fstat(file.get(), &info) == 0 && S_ISREG(info.st_mode);
  bytes.resize(sized ? static_cast<std::size_t>(info.st_size) + 1
                     : 1 << 16);  // +1 sees growth without a second call
  std::size_t used = 0;
  for (;;) {
    if (used == bytes.size()) bytes.resize(bytes.size() * 2);
    const ssize_t got = ::read(file.get(), bytes.data() + used, bytes.size() - used);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read", path);
    }
    if (got == 0) break;
    used += static_cast<std::size_t>(got);
  }
  bytes.resize(used);
  return bytes;
}

void write_file_atomically(const fs::path& path, std::span<const std::uint8_t> bytes) {
  const fs::path temporary = temporary_beside(path);
  constexpr int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
  int fd = ::open(temporary.c_str(), flags, 0644);
  if (fd < 0 && errno == ENOENT) {
    // The directories are made when the first file into them finds them missing, rather than
    // looked up again for every file.
    std::error_code error;
    fs::create_directories(path.parent_path(), error);
    if (error)
      throw std::system_error(error, "cannot create directory " + path.parent_path().string());
    fd = ::open(temporary.c_str(), flags, 0644);
  }
  FileDescriptor file(fd);
  if (file.get() < 0) throw_errno("cannot create", temporary);
  auto fail = [&](const char* what) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    errno = saved;
    throw_errno(what, path);
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t put = ::write(file.get(), bytes.data() + done, bytes.size() - done);
    if (put < 0) {
      if (errno == EINTR) continue;
      fail("cannot write");
    }
    done += static_cast<std::size_t>(put);
  }
  if (!file.close()) fail("cannot write");
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail("cannot rename into");
}

void check_writable_directory(const fs::path& directory) {
  const fs::path temporary = temporary_beside(directory / "write-test");
  FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (file.get() < 0) throw_errno("cannot create files in", directory);
  ::unlink(temporary.c_str());
}

bool is_complete_output(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error) && fs::file_size(path, error) > 0 && !error;
}

std::size_t remove_stale_partials(const fs::path& root) {
  std::size_t removed = 0;
  std::error_code error;
  for (fs::recursive_directory_iterator
           it(root, fs::directory_options::skip_permission_denied, error),
       end;
       !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.size() > std::char_traits<char>::length(partial_suffix) && name.front() == '.' &&
        name.ends_with(partial_suffix) && it->is_regular_file(error)) {
      if (fs::remove(it->path(), error)) ++removed;
    }
  }
  return removed;
}

}  // namespace grayscale
