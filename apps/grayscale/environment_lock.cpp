// The environment made safe to read while another thread changes it. glibc's setenv may move
// the environ array (realloc) under a getenv walking it on another thread; the driver's head
// start converts while MPI_Init adds dozens of variables, and libjpeg reads JPEGMEM at every
// codec it creates (seen in CI: rank 0 killed by SIGSEGV in getenv called from libjpeg, in one
// run of about a hundred). Defined in the executable, these come first in symbol lookup, so every
// library's calls land here; each holds a process-wide readers-writer lock around glibc's own.
// The lock is the one piece of global state this needs: the environment is itself process-wide.
#include <dlfcn.h>
#include <pthread.h>

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

/// glibc's definition of `name`, the one these hide.
template <class Function>
Function glibc(const char* name) noexcept {
  return reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

char* getenv(const char* name) noexcept {
  static const auto next = glibc<char* (*)(const char*)>("getenv");
  const ReadingEnvironment lock;
  return next(name);
}

char* secure_getenv(const char* name) noexcept {
  static const auto next = glibc<char* (*)(const char*)>("secure_getenv");
  const ReadingEnvironment lock;
  return next(name);
}

int setenv(const char* name, const char* value, int overwrite) noexcept {
  static const auto next = glibc<int (*)(const char*, const char*, int)>("setenv");
  const ChangingEnvironment lock;
  return next(name, value, overwrite);
}

int unsetenv(const char* name) noexcept {
  static const auto next = glibc<int (*)(const char*)>("unsetenv");
  const ChangingEnvironment lock;
  return next(name);
}

int putenv(char* assignment) noexcept {
  static const auto next = glibc<int (*)(char*)>("putenv");
  const ChangingEnvironment lock;
  return next(assignment);
}

int clearenv() noexcept {
  static const auto next = glibc<int (*)()>("clearenv");
  const ChangingEnvironment lock;
  return next();
}

}  // extern "C"
