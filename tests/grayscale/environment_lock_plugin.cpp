// Loaded by test_environment_lock: its constructor reads the environment while dlopen holds the
// dynamic loader's lock, as libnettle's does when grayscale's head start loads the OpenCV plugin.
#include <cstdlib>

// Defined in the test executable: says the constructor is running, then waits a while.
extern "C" void environment_lock_test_constructor_running();

namespace {
[[gnu::constructor]] void read_the_environment_while_loaded() {
  environment_lock_test_constructor_running();
  (void)secure_getenv("HOME");
}
}  // namespace
