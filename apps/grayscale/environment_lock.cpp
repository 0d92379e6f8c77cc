// The environment made safe to read while another thread changes it. glibc's setenv may move
// the environ array (realloc) under a getenv walking it on another thread; the driver's head
// start converts while MPI_Init adds dozens of variables, and libjpeg reads JPEGMEM at every
// codec it creates (seen in CI: rank 0 killed by SIGSEGV in getenv called from libjpeg, in one
// run of about a hundred). Defined in the executable, these come first in symbol lookup, so every
// library's calls land here; each holds a process-wide readers-writer lock around glibc's own.
// The lock is the one piece of global state this needs: the environment is itself process-wide.
#include <dlfcn.h>
#include <pthread.h>

#include <atomic>
#include <cstdlib>

namespace {

// Writers first: glibc's default lets a steady stream of readers keep a writer out for ever.
pthread_rwlock_t environment_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

/// Holds environment_lock, for reading (pthread_rwlock_rdlock) or changing (..._wrlock), while
/// in scope.
template <int (*take)(pthread_rwlock_t*)>
class HeldEnvironment {
 public:
  HeldEnvironment() noexcept { take(&environment_lock); }
  ~HeldEnvironment() { pthread_rwlock_unlock(&environment_lock); }
  HeldEnvironment(const HeldEnvironment&) = delete;
  HeldEnvironment& operator=(const HeldEnvironment&) = delete;
};
using ReadingEnvironment = HeldEnvironment<pthread_rwlock_rdlock>;
using ChangingEnvironment = HeldEnvironment<pthread_rwlock_wrlock>;

/// glibc's definition of `name`, the one these hide, looked up with dlsym without holding any
/// lock of ours. A function-local static would hold its initialisation guard around dlsym, which
/// takes the dynamic loader's lock, while dlopen holds that lock around a library's constructor
/// that reads the environment: the two deadlocked (grayscale's head start loading the OpenCV
/// plugin, whose libnettle calls secure_getenv, while MPI_Init's hwloc, through libudev, made the
/// first secure_getenv call on the main thread). Constant-initialised, so it also serves calls
/// from other libraries' constructors before this executable's own initialisation.
template <class Function>
class GlibcFunction {
 public:
  explicit constexpr GlibcFunction(const char* name) noexcept : name_(name) {}

  Function get() noexcept {
    Function function = resolved_.load(std::memory_order_acquire);
    if (function == nullptr) {  // racing threads look up the same address
      function = reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name_));
      resolved_.store(function, std::memory_order_release);
    }
    return function;
  }

 private:
  const char* name_;
  std::atomic<Function> resolved_{nullptr};
};

constinit GlibcFunction<char* (*)(const char*)> glibc_getenv{"getenv"};
constinit GlibcFunction<char* (*)(const char*)> glibc_secure_getenv{"secure_getenv"};
constinit GlibcFunction<int (*)(const char*, const char*, int)> glibc_setenv{"setenv"};
constinit GlibcFunction<int (*)(const char*)> glibc_unsetenv{"unsetenv"};
constinit GlibcFunction<int (*)(char*)> glibc_putenv{"putenv"};
constinit GlibcFunction<int (*)()> glibc_clearenv{"clearenv"};

// All looked up while the process starts, before main and before any thread of ours, so that
// later calls never take the loader's lock at all.
[[maybe_unused]] const bool looked_up_at_start =
    (glibc_getenv.get(), glibc_secure_getenv.get(), glibc_setenv.get(), glibc_unsetenv.get(),
     glibc_putenv.get(), glibc_clearenv.get(), true);

}  // namespace

extern "C" {

char* getenv(const char* name) noexcept {
  const auto next = glibc_getenv.get();  // before the lock, as everywhere: no dlsym under it
  const ReadingEnvironment lock;
  return next(name);
}

char* secure_getenv(const char* name) noexcept {
  const auto next = glibc_secure_getenv.get();
  const ReadingEnvironment lock;
  return next(name);
}

int setenv(const char* name, const char* value, int overwrite) noexcept {
  const auto next = glibc_setenv.get();
  const ChangingEnvironment lock;
  return next(name, value, overwrite);
}

int unsetenv(const char* name) noexcept {
  const auto next = glibc_unsetenv.get();
  const ChangingEnvironment lock;
  return next(name);
}

int putenv(char* assignment) noexcept {
  const auto next = glibc_putenv.get();
  const ChangingEnvironment lock;
  return next(assignment);
}

int clearenv() noexcept {
  const auto next = glibc_clearenv.get();
  const ChangingEnvironment lock;
  return next();
}

}  // extern "C"
