// Files on disk without half-written states: an output appears at its final name only by a
// rename of a fully written temporary in the same directory. Hence "a file at the final name is
// complete", which is what --resume relies on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace grayscale {

/// The whole file; std::system_error naming the path and the reason if it cannot be read.
std::vector<std::uint8_t> read_file(const std::filesystem::path& path);

/// Writes `bytes` to a temporary `.<name>.<random>.grayscale-partial` beside `path` (creating
/// the directories), then renames it to `path`. On any failure the temporary is removed and a
/// std::system_error naming the path is thrown.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

/// Creates and removes a temporary in `directory`: the one test of "may I write here" that
/// permission bits, ACLs, read-only mounts and root squashing all answer truthfully.
/// std::system_error naming the directory and the reason if it fails.
void check_writable_directory(const std::filesystem::path& directory);

/// Whether `path` holds a finished output (a non-empty regular file: only the rename puts one
/// there; the size test also covers a file left empty by a power cut before its data hit disk).
bool is_complete_output(const std::filesystem::path& path);

/// Removes temporaries left under `root` by a killed run; returns how many.
std::size_t remove_stale_partials(const std::filesystem::path& root);

}  // namespace grayscale
