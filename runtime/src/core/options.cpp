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

/// A whole number of at least `min_value` `unit`s; the error says what the variable wants.
std::uint64_t positive_integer(const char* name, const char* text, std::uint64_t min_value,
                               const char* unit = "") {
  std::string_view view(text);
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (error != std::errc() || end != view.data() + view.size() || value < min_value) {
    throw ConfigError(std::string(name) + "='" + text +
                      "' is not an integer >= " + std::to_string(min_value) +
                      (*unit != '\0' ? std::string(" (") + unit + ")" : ""));
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
    options.spin_window =
        std::chrono::microseconds(positive_integer("MULTIRANK_SPIN_US", v, 0, "microseconds"));
  if (const char* v = variable("MULTIRANK_MAX_NAP_US"))
    options.max_nap =
        std::chrono::microseconds(positive_integer("MULTIRANK_MAX_NAP_US", v, 1, "microseconds"));
  if (const char* v = variable("MULTIRANK_WINDOW_US"))
    options.window_target =
        std::chrono::microseconds(positive_integer("MULTIRANK_WINDOW_US", v, 1, "microseconds"));
  if (const char* v = variable("MULTIRANK_MAX_WINDOW"))
    options.max_window_items =
        static_cast<std::uint32_t>(positive_integer("MULTIRANK_MAX_WINDOW", v, 2, "tasks"));
  if (const char* v = variable("MULTIRANK_MAX_MESSAGE_BYTES"))
    options.max_message_bytes = positive_integer("MULTIRANK_MAX_MESSAGE_BYTES", v, 256, "bytes");
  if (const char* v = variable("MULTIRANK_DRIVER_WORKS")) {
    const std::string_view text(v);
    if (text == "auto") {
      options.driver_works = DriverWorks::automatic;
    } else {
      options.driver_works = flag("MULTIRANK_DRIVER_WORKS", v, "auto, 1 or 0") ? DriverWorks::always
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
  if (const char* v = variable("MULTIRANK_DISPATCH_TREE")) {
    const std::string_view text(v);
    if (text == "on" || text == "1") {
      options.dispatch_tree = true;
    } else if (text == "off" || text == "0") {
      options.dispatch_tree = false;
    } else {
      throw ConfigError(std::string("MULTIRANK_DISPATCH_TREE='") + v + "' must be on or off");
    }
  }
  if (const char* v = variable("MULTIRANK_TREE_NODE_RANKS")) {
    options.tree_node_ranks = static_cast<std::uint32_t>(
        positive_integer("MULTIRANK_TREE_NODE_RANKS", v, 0, "ranks per pseudo-node; 0: nodes"));
    if (options.tree_node_ranks == 1) {
      throw ConfigError(
          "MULTIRANK_TREE_NODE_RANKS='1': a pseudo-node needs at least 2 ranks (0: the real "
          "nodes)");
    }
  }
  if (const char* v = variable("MULTIRANK_WORKER_TIMEOUT_S"))
    options.worker_timeout = std::chrono::seconds(
        positive_integer("MULTIRANK_WORKER_TIMEOUT_S", v, 0, "seconds; 0: never"));
  if (const char* v = variable("MULTIRANK_RETRIES"))
    options.retries = static_cast<int>(
        positive_integer("MULTIRANK_RETRIES", v, 0, "runs again after a lost rank"));
  if (const char* v = variable("MULTIRANK_WATCHDOG_S"))
    options.watchdog =
        std::chrono::seconds(positive_integer("MULTIRANK_WATCHDOG_S", v, 0, "seconds; 0: off"));
  if (const char* v = variable("MULTIRANK_GRACE_S"))
    options.grace = std::chrono::seconds(positive_integer("MULTIRANK_GRACE_S", v, 0, "seconds"));
  if (const char* v = variable("MULTIRANK_TASK_TIMEOUT_S"))
    options.task_timeout = std::chrono::seconds(
        positive_integer("MULTIRANK_TASK_TIMEOUT_S", v, 0, "seconds; 0: no limit"));
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
    options.profile_max_events =
        positive_integer("MULTIRANK_PROFILE_MAX_EVENTS", v, 1, "events per rank");
  if (const char* v = variable("MULTIRANK_PROFILE_GATHER_BUFFER_BYTES"))
    options.profile_gather_buffer_bytes =
        positive_integer("MULTIRANK_PROFILE_GATHER_BUFFER_BYTES", v, 64, "bytes, at most 1 GiB");
  if (const char* v = variable("MULTIRANK_PROFILE_REPORT_EVENTS"))
    options.profile_report_events =
        positive_integer("MULTIRANK_PROFILE_REPORT_EVENTS", v, 1, "events per kind");
  if (options.max_message_bytes > static_cast<std::size_t>(INT32_MAX)) {
    throw ConfigError("MULTIRANK_MAX_MESSAGE_BYTES='" + std::to_string(options.max_message_bytes) +
                      "' must fit an MPI count: at most 2147483647 bytes");
  }
  return options;
}

void RuntimeOptions::validate() const {
  auto at_least = [](const char* field, long long value, long long least, const char* unit) {
    if (value < least) {
      throw ConfigError(std::string("RuntimeOptions::") + field + " = " + std::to_string(value) +
                        " " + unit + ": it must be at least " + std::to_string(least));
    }
  };
  at_least("spin_window", spin_window.count(), 0, "us");
  at_least("max_nap", max_nap.count(), 1, "us");
  at_least("window_target", window_target.count(), 1, "us");
  at_least("max_window_items", max_window_items, 2, "tasks");
  at_least("max_message_bytes", static_cast<long long>(max_message_bytes), 256, "bytes");
  at_least("worker_timeout", worker_timeout.count(), 0, "s");
  at_least("retries", retries, 0, "runs");
  at_least("watchdog", watchdog.count(), 0, "s");
  at_least("grace", grace.count(), 0, "s");
  at_least("task_timeout", task_timeout.count(), 0, "s");
  if (tree_node_ranks == 1) {
    throw ConfigError(
        "RuntimeOptions::tree_node_ranks = 1: a pseudo-node needs at least 2 ranks (0: the real "
        "nodes)");
  }
  at_least("profile_max_events", static_cast<long long>(profile_max_events), 1, "events");
  at_least("profile_gather_buffer_bytes", static_cast<long long>(profile_gather_buffer_bytes), 64,
           "bytes");
  at_least("profile_report_events", static_cast<long long>(profile_report_events), 1, "events");
  if (profile_gather_buffer_bytes > (std::size_t{1} << 30)) {
    throw ConfigError("RuntimeOptions::profile_gather_buffer_bytes = " +
                      std::to_string(profile_gather_buffer_bytes) +
                      " bytes: it must be at most 1 GiB (1073741824)");
  }
  if (max_message_bytes > static_cast<std::size_t>(INT32_MAX)) {
    throw ConfigError("RuntimeOptions::max_message_bytes = " + std::to_string(max_message_bytes) +
                      " bytes: it must fit an MPI count, at most 2147483647");
  }
  bool known_level = false;
  for (std::string_view level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    known_level |= log_level == level;
  }
  if (!known_level) {
    throw ConfigError("RuntimeOptions::log_level = '" + log_level +
                      "': it must be one of trace, debug, info, warn, error, critical, off");
  }
}

}  // namespace multirank
