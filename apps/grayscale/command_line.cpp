// CLI11 definitions of grayscale's options. Checks that need the filesystem (does INPUT_DIR
// exist) are made on the driver only, in the job, because workers may not see it.
#include "command_line.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "gray_conversion.hpp"
#include "number_checks.hpp"

namespace grayscale {

ParsedCommandLine parse_command_line(int argc, char** argv, bool speaks) {
  CommandLine options;
  CLI::App app{
      "Convert every image under INPUT_DIR to grayscale (ITU-R 601-2 luma, as PIL's "
      "convert('L')), written at the same relative path under OUTPUT_DIR.\n"
      "Run as: mpirun -np N grayscale INPUT_DIR OUTPUT_DIR [options]",
      "grayscale"};
  app.add_option("INPUT_DIR", options.input_dir, "Tree of images (" + image_extensions_text() + ")")
      ->required();
  app.add_option("OUTPUT_DIR", options.output_dir, "Where the outputs go (created if missing)")
      ->required();
  app.add_option("-q,--quality", options.quality, "JPEG and WebP output quality")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--prefix", options.prefix,
                 "Prepended to each output file name (the article: grayscale_)");
  app.add_option("--max-pixels", options.max_pixels,
                 "Refuse images whose header claims more pixels")
      ->check(multirank::apps::positive_number())
      ->capture_default_str();
  // Parsed as its name and mapped after: CLI11's CheckedTransformer prints the enum's uint8_t
  // values as raw bytes (a NUL) in the help and in its error message, which the NUL cut short.
  const std::map<std::string, IoMode> io_modes{
      {"auto", IoMode::automatic}, {"shared", IoMode::shared}, {"ship", IoMode::ship}};
  std::vector<std::string> io_names;
  for (const auto& entry : io_modes) io_names.push_back(entry.first);
  std::string io_mode = "auto";
  app.add_option("--io", io_mode,
                 "shared: workers read and write the files; ship: the driver sends input bytes and "
                 "writes outputs; auto: shared where a worker sees both directories, else ship")
      ->transform(CLI::IsMember(io_names, CLI::ignore_case))
      ->capture_default_str();
  app.add_flag("--resume", options.resume,
               "Skip images whose output already exists (outputs are complete by construction)");
  app.add_option("--profile", options.profile_dir,
                 "Write per-rank timing logs and a report into this directory");
  app.add_option(
         "--progress-interval", options.progress_interval_s,
         "Seconds between progress lines when stderr is not a terminal (0: a line per file)")
      ->check(multirank::apps::non_negative_number())
      ->capture_default_str();
  app.add_flag("--quiet", options.quiet, "No progress display");
  app.set_version_flag("--version", std::string("grayscale (multirank) ") + MULTIRANK_VERSION);
  app.footer(
      "Outputs keep each input's relative path, name and format; each appears only by renaming a\n"
      "complete temporary, so an interrupted run leaves no partial file (--resume goes on).\n"
      "EXIF orientation is applied; alpha is kept where the format stores it; 16-bit becomes 8.\n"
      "Failures are listed in OUTPUT_DIR/grayscale-failures.tsv (path, tab, reason).\n"
      "\n"
      "Exit status:\n"
      "  0    every image converted\n"
      "  1    some images failed (the others are converted), or the run stopped on an error\n"
      "  2    usage error, found before any work (bad option, INPUT_DIR missing, OUTPUT_DIR\n"
      "       equal to INPUT_DIR or a file, a malformed MULTIRANK_* setting)\n"
      "  130, 143  interrupted by SIGINT or SIGTERM (images being converted finish first)\n"
      "\n"
      "Environment: the runtime's MULTIRANK_* settings (MULTIRANK_GRACE_S, MULTIRANK_LOG_LEVEL, "
      "...).\n"
      "\n"
      "Examples:\n"
      "  launch/mpirun.sh -n 4 grayscale photos/ gray/\n"
      "  mpirun --bind-to none -np 8 grayscale photos/ gray/ --quality 90 --resume\n"
      "  mpirun --bind-to none -np 2 grayscale photos/ gray/ --io ship --profile prof/");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    if (speaks) std::cout << app.help();
    return {std::nullopt, 0};
  } catch (const CLI::CallForVersion& version) {
    if (speaks) std::cout << version.what() << "\n";
    return {std::nullopt, 0};
  } catch (const CLI::ParseError& e) {
    if (speaks) std::cerr << "grayscale: " << e.what() << "\nRun with --help for usage.\n";
    return {std::nullopt, 2};
  }
  options.io = io_modes.at(io_mode);
  return {options, 0};
}

}  // namespace grayscale
