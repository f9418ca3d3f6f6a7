#include "storage/on_disk.hpp"

#include <filesystem>

#include "io/backend.hpp"
#include "io/errors.hpp"

namespace dgen::storage {

io::Entry stat_or_missing(const io::Namespace& names, const std::string& path) {
  try {
    return names.stat(path);
  } catch (const io::IoError& x) {
    io::Entry e;
    e.error = x.error();
    return e;
  }
}

std::uint64_t length_on_disk(const io::Namespace& names, const std::string& path) {
  const io::Entry e = stat_or_missing(names, path);
  return e.exists() ? e.size : 0;
}

std::uint64_t whole_files_on_disk(io::Backend& backend, const io::Layout& layout,
                                  const io::ExtentList& extents) {
  std::uint64_t n = 0;
  for (const io::Extent& e : extents) {
    const std::string path = io::file_path(layout, e.file);
    const io::Entry f = stat_or_missing(backend.names(), path);
    if (!f.exists()) continue;
    try {
      if (backend.stream_bytes(path, f.size) == e.length) ++n;
    } catch (const io::IoError&) {
      // Not a whole file of the engine's (a container cut short).
    }
  }
  return n;
}

int stat_error(const io::Namespace& names, const std::string& path) {
  const io::Entry e = stat_or_missing(names, path);
  return e.exists() ? 0 : e.error;
}

std::string parent_of(const std::string& path) {
  // A name only: no call on the file system but the working directory's.
  return std::filesystem::absolute(path).parent_path().string();
}

std::string directory_at(const io::Namespace& names, const std::string& path) {
  return stat_or_missing(names, path).kind == io::Entry::Kind::kDirectory ? path : parent_of(path);
}

}  // namespace dgen::storage
