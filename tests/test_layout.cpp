// The layouts' map from ranks to files (io/layout.hpp): names that sort in stream order, rank
// blocks that cover every file once, extents that tile the stream.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>

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

TEST(Layout, StridedSharedFileInterleavesRankBlocksLikeIorSegments) {
  // IOR -s 3 -b 1000 with 4 ranks: segment i holds the blocks of ranks 0..3 in order.
  Layout l;
  l.kind = LayoutKind::kSharedFile;
  l.path = "/scratch/f";
  l.segments = 3;
  l.block = 1000;
  EXPECT_TRUE(dgen::io::is_strided(l));
  for (int r = 0; r < 4; ++r) {
    const auto e = dgen::io::rank_extents(l, r, 4);
    ASSERT_EQ(e.size(), 3u);
    for (std::uint64_t i = 0; i < 3; ++i) {
      EXPECT_EQ(e[i].file, 0u);
      EXPECT_EQ(e[i].stream_offset, (i * 4 + static_cast<std::uint64_t>(r)) * 1000);
      EXPECT_EQ(e[i].file_offset, e[i].stream_offset);
      EXPECT_EQ(e[i].length, 1000u);
    }
    EXPECT_EQ(dgen::io::rank_bytes(l, r, 4), 3000u);
  }
  EXPECT_TRUE(dgen::io::stream_length(l, 4) == 12000);
  EXPECT_EQ(dgen::io::file_length(l, 0, 4), 12000u);
  EXPECT_EQ(dgen::io::file_count(l, 4), 1u);
  // One segment of one block is the plain shared file with that size per rank.
  l.segments = 1;
  l.block = 500;
  Layout plain;
  plain.size_per_rank = 500;
  EXPECT_EQ(dgen::io::rank_extents(l, 2, 3)[0].stream_offset,
            dgen::io::rank_extents(plain, 2, 3)[0].stream_offset);
  EXPECT_EQ(dgen::io::file_length(l, 0, 3), dgen::io::file_length(plain, 0, 3));
  // Without a block, a segment holds each rank's size_per_rank.
  l.segments = 2;
  l.block = 0;
  l.size_per_rank = 10;
  EXPECT_EQ(dgen::io::rank_extents(l, 1, 2)[1].stream_offset, 30u);
  EXPECT_EQ(dgen::io::rank_bytes(l, 1, 2), 20u);
}

TEST(Layout, StridedIsForASharedFileOnly) {
  Layout plain;
  plain.size_per_rank = 10;
  EXPECT_FALSE(dgen::io::is_strided(plain));
  for (LayoutKind kind : {LayoutKind::kFilePerRank, LayoutKind::kDataset}) {
    Layout l = dataset(10, 4);
    l.kind = kind;
    l.size_per_rank = 10;
    EXPECT_FALSE(dgen::io::is_strided(l));
    l.segments = 2;
    EXPECT_THROW(dgen::io::rank_extents(l, 0, 2), std::invalid_argument);
    EXPECT_THROW(dgen::io::stream_length(l, 2), std::invalid_argument);
    EXPECT_THROW(dgen::io::file_length(l, 0, 2), std::invalid_argument);
    l.segments = 1;
    l.block = 4096;
    EXPECT_THROW(dgen::io::rank_bytes(l, 0, 2), std::invalid_argument);
  }
  plain.segments = 0;
  EXPECT_THROW(dgen::io::rank_extents(plain, 0, 1), std::invalid_argument);
}

TEST(Layout, StreamLengthShowsOverflow) {
  const Layout l = dataset(1ULL << 40, 1000, 1ULL << 30);
  EXPECT_GT(dgen::io::stream_length(l, 1), static_cast<unsigned __int128>(UINT64_MAX));
}

}  // namespace
