// A --unique-dir dataset's file names depend on the rank count that WROTE it (each rank's block
// of files under its own PATH/rNNNNNNNN): before it is read, that count is found from the rank
// directories present (the highest number plus one). No MPI: rank 0 looks, the job agrees.
#pragma once

#include <string>

#include "io/namespace.hpp"

namespace dgen::storage {

/// Sets `writers` to the rank count (looked up over `names`) that wrote the --unique-dir dataset at
/// `path` and returns an empty string; returns the problem when `path` holds no rank directory
/// (written without
/// --unique-dir) or cannot be listed. A `path` that is no directory is left alone (`writers`
/// unchanged, no problem): the input checks name it.
std::string unique_dir_writers(const io::Namespace& names, const std::string& path, int& writers);

}  // namespace dgen::storage
