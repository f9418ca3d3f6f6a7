// The metadata phases' calls on one dataset file (mdtest's file stat and file removal), and the
// dataset directories a run made, removed at the end of --phases delete: only those, and only
// when empty, so that a directory that stood before the run stays with its mode, and one that
// holds a file that is not the dataset's stays too; over the engine's namespace. The passes
// (mpi/storage_pass.cpp) spread the files over threads, time them and agree on errors. No MPI.
#pragma once

#include <string>
#include <vector>

#include "io/namespace.hpp"

namespace dgen::storage {

/// --phases stat of one file. Throws io::IoError "stat of PATH failed: ERROR" with the errno.
void stat_file(const io::Namespace& names, const std::string& path);

/// --phases delete of one file. Throws io::IoError "unlink of PATH failed: ERROR" with the
/// errno.
void remove_file(const io::Namespace& names, const std::string& path);

/// Removes the directories a run made (`made`: parents first), deepest first, those that are
/// empty; the others stay. Never throws.
void remove_made_directories(const io::Namespace& names,
                             const std::vector<std::string>& made) noexcept;

}  // namespace dgen::storage
