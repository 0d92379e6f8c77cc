// grayscale-serial INPUT_DIR OUTPUT_DIR [--quality Q] [--prefix P]: the same read, decode,
// convert, encode and write as grayscale, in one process and one loop with no runtime. The
// benchmark's per-core reference: grayscale on N cores should approach N times its rate.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <opencv2/core.hpp>

#include "gray_conversion.hpp"
#include "image_tree.hpp"
#include "output_files.hpp"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  fs::path input_dir, output_dir;
  grayscale::ConversionSettings settings;
  std::string prefix;
  CLI::App app{"Single-process grayscale loop (benchmark reference)", "grayscale-serial"};
  app.add_option("INPUT_DIR", input_dir)->required()->check(CLI::ExistingDirectory);
  app.add_option("OUTPUT_DIR", output_dir)->required();
  app.add_option("-q,--quality", settings.quality)
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--prefix", prefix);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "grayscale-serial: " << e.what() << "\n";
    return 2;
  }
  cv::setNumThreads(1);
  const auto start = std::chrono::steady_clock::now();
  fs::create_directories(output_dir);
  const fs::path input = fs::canonical(input_dir);
  const fs::path output = fs::canonical(output_dir);
  std::size_t converted = 0, failed = 0;
  std::uint64_t pixels = 0;
  for (const auto& image : grayscale::list_images(input, output).images) {
    const fs::path relative(image.relative);
    const fs::path target =
        output / relative.parent_path() / (prefix + relative.filename().string());
    try {
      const auto gray = grayscale::convert_to_gray(grayscale::read_file(input / image.relative),
                                                   target.extension().string(), settings);
      grayscale::write_file_atomically(target, gray.encoded);
      pixels += gray.pixels;
      ++converted;
    } catch (const std::exception& e) {
      std::cerr << "grayscale-serial: failed: " << image.relative << ": " << e.what() << "\n";
      ++failed;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("grayscale-serial: %zu converted, %zu failed; %.2f s, %.1f images/s, %.1f MP/s\n",
              converted, failed, seconds, static_cast<double>(converted) / seconds,
              static_cast<double>(pixels) / 1e6 / seconds);
  return failed == 0 ? 0 : 1;
}
