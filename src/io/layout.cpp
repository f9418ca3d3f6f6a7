#include "io/layout.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>

namespace dgen::io {

namespace {

int digits(std::uint64_t v) {
  int d = 1;
  while (v >= 10) {
    v /= 10;
    ++d;
  }
  return d;
}

std::string padded(std::uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(v));
  return buf;
}

std::uint64_t directory_count(const Layout& l) {
  return l.files == 0 ? 0 : (l.files - 1) / l.files_per_dir + 1;
}

// Unique directories: subdirectories in the largest rank's block (every rank's names as wide).
std::uint64_t rank_directory_count(const Layout& l) {
  const int ranks = std::max(l.ranks, 1);
  const std::uint64_t most = l.files / static_cast<std::uint64_t>(ranks) +
                             (l.files % static_cast<std::uint64_t>(ranks) ? 1 : 0);
  return most == 0 ? 1 : (most - 1) / l.files_per_dir + 1;
}

}  // namespace

const char* to_string(LayoutKind kind) {
  switch (kind) {
    case LayoutKind::kSharedFile:
      return "shared-file";
    case LayoutKind::kFilePerRank:
      return "file-per-rank";
    case LayoutKind::kDataset:
      return "dataset";
  }
  return "?";
}

bool is_strided(const Layout& layout) {
  if (layout.segments == 0) throw std::invalid_argument("a strided layout needs 1 segment or more");
  const bool strided = layout.segments > 1 || layout.block > 0;
  if (strided && layout.kind != LayoutKind::kSharedFile) {
    throw std::invalid_argument(std::string("segments and block (the strided layout) apply to a "
                                            "shared file only, not to ") +
                                to_string(layout.kind));
  }
  return strided;
}

std::uint64_t strided_block(const Layout& layout) {
  return layout.block > 0 ? layout.block : layout.size_per_rank;
}

std::uint64_t file_count(const Layout& layout, int ranks) {
  switch (layout.kind) {
    case LayoutKind::kSharedFile:
      return 1;
    case LayoutKind::kFilePerRank:
      return static_cast<std::uint64_t>(ranks);
    case LayoutKind::kDataset:
      return layout.files;
  }
  return 0;
}

std::string file_path(const Layout& layout, std::uint64_t file) {
  switch (layout.kind) {
    case LayoutKind::kSharedFile:
      return layout.path;
    case LayoutKind::kFilePerRank:
      return layout.path + "." + padded(file, 8);  // IOR -F's naming
    case LayoutKind::kDataset:
      break;
  }
  if (layout.unique_dirs) {
    // The owner of file k: the last rank whose block starts at or before k.
    const int ranks = std::max(layout.ranks, 1);
    auto start = [&](int r) { return rank_files(layout, r, ranks).first; };
    int r = static_cast<int>(static_cast<unsigned __int128>(file) * ranks / layout.files);
    while (r + 1 < ranks && start(r + 1) <= file) ++r;
    while (r > 0 && start(r) > file) --r;
    const std::uint64_t local = file - start(r);
    return layout.path + "/r" + padded(static_cast<std::uint64_t>(r), 8) + "/d" +
           padded(local / layout.files_per_dir, digits(rank_directory_count(layout) - 1)) + "/f" +
           padded(file, digits(layout.files - 1));
  }
  const std::uint64_t dirs = directory_count(layout);
  return layout.path + "/d" + padded(file / layout.files_per_dir, digits(dirs - 1)) + "/f" +
         padded(file, digits(layout.files - 1));
}

std::uint64_t file_length(const Layout& layout, std::uint64_t file, int ranks) {
  const bool strided = is_strided(layout);
  switch (layout.kind) {
    case LayoutKind::kSharedFile:
      if (strided)
        return layout.segments * strided_block(layout) * static_cast<std::uint64_t>(ranks);
      return layout.size_per_rank * static_cast<std::uint64_t>(ranks);
    case LayoutKind::kFilePerRank:
      return layout.size_per_rank;
    case LayoutKind::kDataset:
      return file < layout.files ? layout.file_size : 0;
  }
  return 0;
}

std::vector<std::string> dataset_directories(const Layout& layout) {
  std::vector<std::string> dirs;
  if (layout.kind != LayoutKind::kDataset) return dirs;
  if (layout.unique_dirs) {
    // Each rank's directory, then its subdirectories (parents before children, for mkdir).
    const int ranks = std::max(layout.ranks, 1);
    const int width = digits(rank_directory_count(layout) - 1);
    for (int r = 0; r < ranks; ++r) {
      const std::string mine = layout.path + "/r" + padded(static_cast<std::uint64_t>(r), 8);
      dirs.push_back(mine);
      const auto [first, last] = rank_files(layout, r, ranks);
      const std::uint64_t n = last == first ? 0 : (last - first - 1) / layout.files_per_dir + 1;
      for (std::uint64_t d = 0; d < n; ++d) dirs.push_back(mine + "/d" + padded(d, width));
    }
    return dirs;
  }
  const std::uint64_t n = directory_count(layout);
  const int width = digits(n == 0 ? 0 : n - 1);
  for (std::uint64_t d = 0; d < n; ++d) dirs.push_back(layout.path + "/d" + padded(d, width));
  return dirs;
}

std::pair<std::uint64_t, std::uint64_t> rank_files(const Layout& layout, int rank, int ranks) {
  const auto r = static_cast<unsigned __int128>(rank);
  const auto n = static_cast<unsigned __int128>(ranks);
  switch (layout.kind) {
    case LayoutKind::kSharedFile:
      return {0, 1};
    case LayoutKind::kFilePerRank:
      return {static_cast<std::uint64_t>(rank), static_cast<std::uint64_t>(rank) + 1};
    case LayoutKind::kDataset:
      break;
  }
  return {static_cast<std::uint64_t>(r * layout.files / n),
          static_cast<std::uint64_t>((r + 1) * layout.files / n)};
}

ExtentList::ExtentList(std::vector<Extent> list) : list_(std::move(list)) {}

ExtentList ExtentList::regular(std::uint64_t count, const Extent& first, std::uint64_t file_step,
                               std::uint64_t offset_step, std::uint64_t stream_step) {
  ExtentList l;
  l.regular_ = true;
  l.count_ = count;
  l.first_ = first;
  l.file_step_ = file_step;
  l.offset_step_ = offset_step;
  l.stream_step_ = stream_step;
  return l;
}

Extent ExtentList::operator[](std::uint64_t i) const {
  if (!regular_) return list_[static_cast<std::size_t>(i)];
  return {first_.file + i * file_step_, first_.file_offset + i * offset_step_,
          first_.stream_offset + i * stream_step_, first_.length};
}

Extent ExtentList::at(std::uint64_t i) const {
  if (i >= size()) {
    throw std::out_of_range("extent " + std::to_string(i) + " of " + std::to_string(size()));
  }
  return (*this)[i];
}

ExtentList::operator std::vector<Extent>() const {
  if (!regular_) return list_;
  std::vector<Extent> out;
  out.reserve(static_cast<std::size_t>(count_));
  for (std::uint64_t i = 0; i < count_; ++i) out.push_back((*this)[i]);
  return out;
}

ExtentList rank_extents(const Layout& layout, int rank, int ranks) {
  const auto r = static_cast<std::uint64_t>(rank);
  if (is_strided(layout)) {
    // IOR's segmented layout: segment i holds every rank's block, in rank order.
    const std::uint64_t block = strided_block(layout);
    const auto n = static_cast<std::uint64_t>(ranks);
    return ExtentList::regular(layout.segments, {0, r * block, r * block, block}, 0, n * block,
                               n * block);
  }
  switch (layout.kind) {
    case LayoutKind::kSharedFile:
      return ExtentList::regular(
          1, {0, r * layout.size_per_rank, r * layout.size_per_rank, layout.size_per_rank}, 0, 0,
          0);
    case LayoutKind::kFilePerRank:
      return ExtentList::regular(1, {r, 0, r * layout.size_per_rank, layout.size_per_rank}, 0, 0,
                                 0);
    case LayoutKind::kDataset:
      break;
  }
  const auto [first, last] = rank_files(layout, rank, ranks);
  return ExtentList::regular(last - first, {first, 0, first * layout.file_size, layout.file_size},
                             1, 0, layout.file_size);
}

std::uint64_t rank_bytes(const Layout& layout, int rank, int ranks) {
  // Strided without the extents: a rank may have many segments.
  if (is_strided(layout)) return layout.segments * strided_block(layout);
  const ExtentList extents = rank_extents(layout, rank, ranks);  // regular: one length
  return extents.empty() ? 0 : extents.size() * extents[0].length;
}

unsigned __int128 stream_length(const Layout& layout, int ranks) {
  if (is_strided(layout)) {
    return static_cast<unsigned __int128>(layout.segments) * strided_block(layout) *
           static_cast<unsigned>(ranks);
  }
  if (layout.kind == LayoutKind::kDataset)
    return static_cast<unsigned __int128>(layout.files) * layout.file_size;
  return static_cast<unsigned __int128>(layout.size_per_rank) * static_cast<unsigned>(ranks);
}

}  // namespace dgen::io
