// The names a run gives what it writes and the checks of the place they go, over an engine's
// namespace (io/namespace.hpp): temporary names beside a target, whether its directory exists,
// whether the file system holds the bytes, the sync of a directory after a publish. No MPI.
#pragma once

#include <cstdint>
#include <string>

#include "io/namespace.hpp"

namespace dgen::storage {

/// A name for a temporary file beside `path`, unique across runs (64 random bits):
/// PATH.dgen-partial-<16 hex digits>, or, where that would pass NAME_MAX (255 bytes), the
/// directory's .dgen-partial-<16 hex digits> (the user's name is never cut).
std::string temporary_name(const std::string& path);

/// Why files cannot be made beside `path` ("its directory /x does not exist (No such file or
/// directory)", "/x is not a directory (Not a directory)"), empty when they can be tried.
std::string parent_directory_problem(const std::string& path,
                                     const io::Namespace& names = io::posix_namespace());

/// Why `bytes` cannot be written under directory `dir` for --output `path` ("... to write but
/// ... is free on ..."), empty when they fit, when `reusable` bytes there are overwritten, or
/// when the file system gives no capacity (ramfs).
std::string space_problem(const std::string& path, const std::string& dir, std::uint64_t bytes,
                          std::uint64_t reusable = 0,
                          const io::Namespace& names = io::posix_namespace());

/// After a rename, the directory entry reaches storage only when the directory is fsynced.
/// Returns the error text, empty on success.
std::string fsync_directory_of(const std::string& path,
                               const io::Namespace& names = io::posix_namespace());

}  // namespace dgen::storage
