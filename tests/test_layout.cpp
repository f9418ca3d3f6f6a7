// The layouts' map from ranks to files (io/layout.hpp): names that sort in stream order, rank
// blocks that cover every file once, extents that tile the stream.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "io/layout.hpp"

namespace {

using dgen::io::Layout;
using dgen::io::LayoutKind;

Layout dataset(std::uint64_t files, std::uint64_t per_dir, std::uint64_t size = 4096) {
  Layout l;
  l.kind = LayoutKind::kDataset;
  l.path = "/data/set";
  l.files = files;
  l.file_size = size;
  l.files_per_dir = per_dir;
  return l;
}

TEST(Layout, FilePerRankUsesIorsEightDigitNames) {
  Layout l;
  l.kind = LayoutKind::kFilePerRank;
  l.path = "/scratch/out";
  l.size_per_rank = 1000;
  EXPECT_EQ(dgen::io::file_path(l, 0), "/scratch/out.00000000");
  EXPECT_EQ(dgen::io::file_path(l, 12345678), "/scratch/out.12345678");
  const auto e = dgen::io::rank_extents(l, 3, 4);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].file, 3u);
  EXPECT_EQ(e[0].file_offset, 0u);
  EXPECT_EQ(e[0].stream_offset, 3000u);
}

TEST(Layout, DatasetNamesSortInStreamOrder) {
  for (std::uint64_t per_dir : {1u, 7u, 10u, 1000u}) {
    const Layout l = dataset(1001, per_dir);
    std::vector<std::string> names;
    std::set<std::string> dirs;
    for (std::uint64_t k = 0; k < l.files; ++k) {
      names.push_back(dgen::io::file_path(l, k));
      dirs.insert(names.back().substr(0, names.back().rfind('/')));
    }
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end())) << per_dir;
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
    const auto listed = dgen::io::dataset_directories(l);
    EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), dirs) << per_dir;
    EXPECT_EQ(listed.size(), (1001 + per_dir - 1) / per_dir);
  }
  EXPECT_EQ(dgen::io::file_path(dataset(10, 3), 9), "/data/set/d3/f9");
  EXPECT_EQ(dgen::io::file_path(dataset(1000, 1000), 7), "/data/set/d0/f007");
}

TEST(Layout, RanksTakeContiguousBlocksOfWholeFiles) {
  for (int ranks : {1, 2, 3, 7, 16}) {
    const Layout l = dataset(10, 4, 5000);
    std::uint64_t next_file = 0, next_byte = 0;
    for (int r = 0; r < ranks; ++r) {
      const auto [first, last] = dgen::io::rank_files(l, r, ranks);
      EXPECT_EQ(first, next_file) << ranks;
      EXPECT_LE(last - first, (10 + ranks - 1) / ranks);
      EXPECT_GE(last - first, 10 / ranks);
      next_file = last;
      for (const auto& e : dgen::io::rank_extents(l, r, ranks)) {
        EXPECT_EQ(e.stream_offset, next_byte);
        EXPECT_EQ(e.file_offset, 0u);
        EXPECT_EQ(e.length, 5000u);
        next_byte += e.length;
      }
    }
    EXPECT_EQ(next_file, 10u);
    EXPECT_EQ(next_byte, 50000u);
  }
}

TEST(Layout, StreamLengthShowsOverflow) {
  const Layout l = dataset(1ULL << 40, 1000, 1ULL << 30);
  EXPECT_GT(dgen::io::stream_length(l, 1), static_cast<unsigned __int128>(UINT64_MAX));
}

}  // namespace
