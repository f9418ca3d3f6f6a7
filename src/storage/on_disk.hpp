// What stands on disk at the end of a run or before one, for the run's sentences and checks:
// a file's length now, the dataset files that stand whole, whether a name is visible, the
// directory a probe file goes in; asked of the engine's namespace (io/namespace.hpp). No MPI:
// the callers gather and agree.
#pragma once

#include <cstdint>
#include <string>

#include "io/layout.hpp"
#include "io/namespace.hpp"

namespace dgen::io {
class Backend;
}  // namespace dgen::io

namespace dgen::storage {

/// What stands at `path` (links followed); a stat that fails for another reason than a missing
/// name is kMissing too, its errno in Entry::error: the callers only ask whether it is there.
io::Entry stat_or_missing(const io::Namespace& names, const std::string& path);

/// The length of the file at `path` now; 0 when it is not there.
std::uint64_t length_on_disk(const io::Namespace& names, const std::string& path);

/// How many of the dataset files of `extents` stand whole under their final names (the stream
/// bytes `backend` finds in them: io::Backend::stream_bytes), counted after a failure or a
/// stop; asked of backend.names().
std::uint64_t whole_files_on_disk(io::Backend& backend, const io::Layout& layout,
                                  const io::ExtentList& extents);

/// The OS error of a stat of `path` (links followed); 0 when something stands there.
int stat_error(const io::Namespace& names, const std::string& path);

/// The directory that holds `path`, made absolute (a probe file for --direct goes there).
std::string parent_of(const std::string& path);

/// `path` itself when it is a directory, else the directory that holds it.
std::string directory_at(const io::Namespace& names, const std::string& path);

}  // namespace dgen::storage
