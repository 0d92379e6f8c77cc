// Numeric checks for the apps' CLI11 options, with messages a person can read: CLI11 2.1's
// PositiveNumber and NonNegativeNumber are ranges up to DBL_MAX, and their message prints that
// bound in full ("Value 0 not in range 0.000000 to 179769...", 309 digits).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace multirank::apps {

/// Accepts a number above `minimum` (or equal to it, if `minimum_allowed`); otherwise the option
/// fails with "must be > 0, not -3" or "'x' is not a number".
inline CLI::Validator number_at_least(double minimum, bool minimum_allowed) {
  const std::string bound = (minimum_allowed ? ">= " : "> ") + CLI::detail::to_string(minimum);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number";
        if (value > minimum || (minimum_allowed && value == minimum)) return {};
        return "must be " + bound + ", not " + text;
      },
      "NUMBER " + bound);
}

inline CLI::Validator positive_number() { return number_at_least(0, false); }
inline CLI::Validator non_negative_number() { return number_at_least(0, true); }

}  // namespace multirank::apps
