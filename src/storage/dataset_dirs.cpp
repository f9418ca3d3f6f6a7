#include "storage/dataset_dirs.hpp"

#include <algorithm>
#include <cstring>

#include "io/errors.hpp"
#include "storage/metadata.hpp"
#include "storage/names.hpp"

namespace dgen::storage {

namespace {

// Makes `dir` and notes it in `made` when this call made it; the OS error of a failure.
int make_one(const io::Namespace& names, const std::string& dir, std::vector<std::string>& made) {
  try {
    if (names.mkdir(dir, 0755)) made.push_back(dir);
    return 0;
  } catch (const io::IoError& x) {
    return x.error();
  }
}

}  // namespace

DatasetDirectories::~DatasetDirectories() {
  if (!complete_) remove_empty();
}

std::string DatasetDirectories::make(const io::Layout& layout,
                                     const std::function<bool()>& stopped) {
  if (const int e = make_one(names_, layout.path, made_); e != 0)
    return "--output " + layout.path + ": cannot create it: " + std::strerror(e);
  for (const std::string& d : io::dataset_directories(layout)) {
    if (stopped()) break;  // a stop is acted on at once
    if (const int e = make_one(names_, d, made_); e != 0)
      return "--output " + layout.path + ": cannot create " + d + ": " + std::strerror(e);
  }
  return "";
}

std::string DatasetDirectories::lock(const std::string& path) {
  // In place the files are written under their final names: one writer at a time.
  std::string err;
  lock_ = io::WriteLock::take("--output", path, err);
  return err;
}

void DatasetDirectories::remove_empty() noexcept {
  remove_made_directories(names_, made_);
  made_.clear();
}

std::string dataset_target_problem(const io::Namespace& names, const std::string& path) {
  const io::Target t = io::inspect_target(path);
  if (!t.kernel_fs.empty()) {
    return "--output " + path + ": is on " + t.kernel_fs +
           ", a kernel interface, not storage: dgen_mpi never writes there";
  }
  if (t.kind != io::TargetKind::kMissing && t.kind != io::TargetKind::kDirectory)
    return "--output " + path + ": is not a directory (--files writes a dataset there)";
  if (const std::string why = parent_directory_problem(path, names); !why.empty())
    return "--output " + path + ": " + why;
  return "";
}

std::uint64_t dataset_space_needed(const io::Layout& layout, int ranks, int threads,
                                   bool time_bounded) {
  unsigned __int128 need = io::stream_length(layout, ranks);
  if (time_bounded) {
    need = std::min<unsigned __int128>(need, static_cast<unsigned __int128>(layout.file_size) *
                                                 static_cast<unsigned>(threads) *
                                                 static_cast<unsigned>(ranks));
  }
  return need > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(need);
}

}  // namespace dgen::storage
