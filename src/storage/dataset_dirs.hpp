// A dataset's directories (--files): the --output directory and its subdirectories, made
// before the files (parents first) and removed again only when this run made them and the run
// did not complete (rmdir removes only empty ones: completed files keep theirs); with
// --in-place a write lock on the dataset's directory for the run, so that no second writer
// works in it; and the bytes the file system must hold for it. No MPI: rank 0 makes them, the
// job agrees (mpi/storage_checks.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "io/layout.hpp"
#include "io/namespace.hpp"
#include "io/target.hpp"

namespace dgen::storage {

/// The dataset's directories a run made, held for the run.
class DatasetDirectories {
 public:
  explicit DatasetDirectories(const io::Namespace& names) : names_(names) {}
  ~DatasetDirectories();  ///< unless kept, those made are removed again where empty
  DatasetDirectories(const DatasetDirectories&) = delete;
  DatasetDirectories& operator=(const DatasetDirectories&) = delete;

  /// Makes the directories of `layout` that do not stand (`stopped`: a stop signal ends it at
  /// once). Returns the problem ("--output PATH: cannot create ..."), empty when all stand.
  std::string make(const io::Layout& layout, const std::function<bool()>& stopped);
  /// --in-place: takes the write lock on directory `path`; returns the problem, empty on success.
  std::string lock(const std::string& path);
  void keep() { complete_ = true; }  ///< the run completed: every directory stays
  /// The directories this run made (parents first); those that stood before are not in it.
  const std::vector<std::string>& made() const { return made_; }
  /// The namespace they are made in.
  const io::Namespace& names() const { return names_; }
  /// Removes the directories made, deepest first, those that are empty. Never throws.
  void remove_empty() noexcept;

 private:
  const io::Namespace& names_;
  std::vector<std::string> made_;
  bool complete_ = false;
  std::optional<io::WriteLock> lock_;
};

/// Why `path` cannot hold a dataset (rank 0's check before a dataset write): it is on a kernel
/// interface file system, is something else than a directory, or its parent does not exist.
/// Empty when the dataset may go there.
std::string dataset_target_problem(const io::Namespace& names, const std::string& path);

/// The bytes a dataset write needs free: the whole dataset of `ranks` ranks, or with a time
/// limit (--duration) what a minimal run needs (a file per thread of every rank).
std::uint64_t dataset_space_needed(const io::Layout& layout, int ranks, int threads,
                                   bool time_bounded);

}  // namespace dgen::storage
