// The report is rewritten whole at the end of each run: after --resume it lists what is still
// failing, not the history.
#include "failure_report.hpp"

#include <cstdint>

#include "output_files.hpp"

namespace grayscale {

namespace {
void append_escaped(std::string& out, const std::string& text) {
  for (const char c : text) {
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
}
}  // namespace

void write_failure_report(const std::filesystem::path& output_dir,
                          const std::vector<Failure>& failures) {
  const auto path = output_dir / failure_report_name;
  if (failures.empty()) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    return;
  }
  std::string text;
  for (const auto& failure : failures) {
    append_escaped(text, failure.relative.string());
    text += '\t';
    append_escaped(text, failure.reason);
    text += '\n';
  }
  write_file_atomically(path,
                        std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace grayscale
