// Reading RuntimeOptions from MULTIRANK_* variables, with an error that names the variable.
#include "multirank/options.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>

#include "multirank/error.hpp"

namespace multirank {

namespace {

const char* variable(const char* name) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? value : nullptr;
}

std::uint64_t positive_integer(const char* name, const char* text, std::uint64_t min_value) {
  std::string_view view(text);
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (error != std::errc() || end != view.data() + view.size() || value < min_value) {
    throw ConfigError(std::string(name) + "='" + text + "' is not an integer >= " +
                      std::to_string(min_value));
  }
  return value;
}

bool flag(const char* name, const char* text, const char* allowed) {
  const std::string_view value(text);
  if (value == "1") return true;
  if (value == "0") return false;
  throw ConfigError(std::string(name) + "='" + text + "' must be " + allowed);
}

}  // namespace

RuntimeOptions RuntimeOptions::from_env() {
  RuntimeOptions options;
  if (const char* v = variable("MULTIRANK_SPIN_US"))
    options.spin_window = std::chrono::microseconds(positive_integer("MULTIRANK_SPIN_US", v, 0));
  if (const char* v = variable("MULTIRANK_MAX_NAP_US"))
    options.max_nap = std::chrono::microseconds(positive_integer("MULTIRANK_MAX_NAP_US", v, 1));
  if (const char* v = variable("MULTIRANK_WINDOW_US"))
    options.window_target = std::chrono::microseconds(positive_integer("MULTIRANK_WINDOW_US", v, 1));
  if (const char* v = variable("MULTIRANK_MAX_WINDOW"))
    options.max_window_items = static_cast<std::uint32_t>(positive_integer("MULTIRANK_MAX_WINDOW", v, 2));
  if (const char* v = variable("MULTIRANK_MAX_MESSAGE_BYTES"))
    options.max_message_bytes = positive_integer("MULTIRANK_MAX_MESSAGE_BYTES", v, 256);
  if (const char* v = variable("MULTIRANK_DRIVER_WORKS")) {
    const std::string_view text(v);
    if (text == "auto") {
      options.driver_works = DriverWorks::automatic;
    } else {
      options.driver_works = flag("MULTIRANK_DRIVER_WORKS", v, "auto, 1 or 0")
                                 ? DriverWorks::always
                                 : DriverWorks::never;
    }
  }
  if (const char* v = variable("MULTIRANK_SPIN_YIELD")) {
    if (std::string_view(v) == "auto") {
      options.spin_yield.reset();
    } else {
      options.spin_yield = flag("MULTIRANK_SPIN_YIELD", v, "auto, 1 or 0");
    }
  }
  if (const char* v = variable("MULTIRANK_WORKER_TIMEOUT_S"))
    options.worker_timeout = std::chrono::seconds(positive_integer("MULTIRANK_WORKER_TIMEOUT_S", v, 0));
  if (const char* v = variable("MULTIRANK_RETRIES"))
    options.retries = static_cast<int>(positive_integer("MULTIRANK_RETRIES", v, 0));
  if (const char* v = variable("MULTIRANK_WATCHDOG_S"))
    options.watchdog = std::chrono::seconds(positive_integer("MULTIRANK_WATCHDOG_S", v, 0));
  if (const char* v = variable("MULTIRANK_GRACE_S"))
    options.grace = std::chrono::seconds(positive_integer("MULTIRANK_GRACE_S", v, 0));
  if (const char* v = variable("MULTIRANK_TASK_TIMEOUT_S"))
    options.task_timeout = std::chrono::seconds(positive_integer("MULTIRANK_TASK_TIMEOUT_S", v, 0));
  if (const char* v = variable("MULTIRANK_TAG_OUTPUT")) {
    options.tag_output = flag("MULTIRANK_TAG_OUTPUT", v, "1 or 0");
  }
  if (const char* v = variable("MULTIRANK_LOG_LEVEL")) {
    std::string_view text(v);
    for (std::string_view level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
      if (text == level) options.log_level = v;
    }
    if (options.log_level != text) {
      throw ConfigError(std::string("MULTIRANK_LOG_LEVEL='") + v +
                        "' must be one of trace, debug, info, warn, error, critical, off");
    }
  }
  if (const char* v = variable("MULTIRANK_PROFILE")) options.profile_dir = v;
  if (const char* v = variable("MULTIRANK_PROFILE_MAX_EVENTS"))
    options.profile_max_events = positive_integer("MULTIRANK_PROFILE_MAX_EVENTS", v, 1);
  if (options.max_message_bytes > static_cast<std::size_t>(INT32_MAX)) {
    throw ConfigError("MULTIRANK_MAX_MESSAGE_BYTES must fit an MPI count (at most 2147483647)");
  }
  return options;
}

}  // namespace multirank
