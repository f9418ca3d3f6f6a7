#include "storage/replacements.hpp"

#include <algorithm>
#include <cerrno>

#include "buffer/partition.hpp"
#include "io/errors.hpp"
#include "io/target.hpp"

namespace dgen::storage {

namespace {

// The first file of the directory after the one that holds `file` (in a dataset whose rank's
// files start at `rank_first`, which --unique-dir counts from).
std::uint64_t next_directory_start(const io::Layout& l, std::uint64_t file,
                                   std::uint64_t rank_first) {
  const std::uint64_t base = l.unique_dirs ? rank_first : 0;
  return base + ((file - base) / l.files_per_dir + 1) * l.files_per_dir;
}

// Whether `path` itself is a symbolic link (a failed lstat: no).
bool lstat_is_link(const io::Namespace& names, const std::string& path) {
  try {
    return names.lstat(path).kind == io::Entry::Kind::kSymlink;
  } catch (const io::IoError&) {
    return false;
  }
}

}  // namespace

bool empty_or_missing(const io::Namespace& names, const std::string& dir) {
  try {
    return names.list(dir).empty();
  } catch (const io::IoError& x) {
    return x.error() == ENOENT || x.error() == ENOTDIR;
  }
}

Refusal first_refusal(const io::Namespace& names, const io::Layout& layout,
                      const io::ExtentList& extents, int threads, int t, std::uint64_t seed,
                      const std::function<bool(const std::byte*, std::size_t, std::uint64_t,
                                               const io::Extent&)>& same_stream,
                      const std::function<bool()>& stopped) {
  const std::uint64_t rank_first = extents[0].file;
  const buffer::Part mine = buffer::part_of(extents.size(), threads, t, 1);
  std::string dir;  // the last directory looked at, and whether it held nothing
  bool dir_empty = false;
  for (std::uint64_t k = mine.begin; k < mine.end && !stopped(); ++k) {
    const io::Extent e = extents[k];
    const std::string path = io::file_path(layout, e.file);
    if (const std::string d = path.substr(0, path.rfind('/')); d != dir) {
      dir = d;
      dir_empty = empty_or_missing(names, d);
    }
    if (dir_empty && extents.uniform()) {
      // On to the next directory's first file (the rank's files are consecutive).
      k = std::max(k + 1, next_directory_start(layout, e.file, rank_first) - rank_first) - 1;
      continue;
    }
    if (dir_empty) continue;
    const io::Target target = io::inspect_target(path);
    std::string problem;
    if (target.kind == io::TargetKind::kMissing) continue;
    if (lstat_is_link(names, path)) {
      // The file's rename would replace the link, not the file it names.
      problem = "--output " + path +
                ": is a symbolic link where the dataset's file goes; it is left as it is "
                "(a link may name the dataset's directory, not its files)";
    } else if (target.kind != io::TargetKind::kRegular) {
      problem = "--output " + path + ": is " + io::describe(target.kind) +
                " where the dataset's file goes; it is left as it is";
    } else {
      problem = io::replace_problem("--output", path, seed,
                                    [&](const std::byte* p, std::size_t n, std::uint64_t offset) {
                                      return same_stream(p, n, offset, e);
                                    });
    }
    if (!problem.empty()) return {e.file, problem};  // this thread's first is enough
  }
  return {};
}

}  // namespace dgen::storage
