// The MPI-free pieces of a rank's analysis (src/analyze/): what travels between ranks, how a
// share is cut into pieces, and how a thread reads them, on files made here.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "analyze/cursor.hpp"
#include "analyze/dataset.hpp"
#include "analyze/reader.hpp"
#include "analyze/wire.hpp"
#include "run_process.hpp"

namespace {

using namespace dgen::analyze;

TEST(AnalyzeWire, TheFileListTravelsWhole) {
  Inputs in;
  in.skipped = 3;
  in.same_file_skipped = 2;
  in.unreadable = 5;
  in.files = {{"a", 10, false, {}},
              {std::string("dir/b\nc\0d", 9),
               1ULL << 40,
               true,
               {{0, 4096}, {1ULL << 30, (1ULL << 30) + 8192}}},
              {"", 7, true, {}}};
  const Inputs out = unpack_inputs(pack_inputs(in));
  EXPECT_EQ(out.skipped, 3u);
  EXPECT_EQ(out.same_file_skipped, 2u);
  EXPECT_EQ(out.unreadable, 0u) << "the walk's unreadable paths stay on rank 0";
  EXPECT_EQ(out.bytes, 10 + (1ULL << 40) + 7);
  ASSERT_EQ(out.files.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out.files[i].path, in.files[i].path);
    EXPECT_EQ(out.files[i].size, in.files[i].size);
    EXPECT_EQ(out.files[i].sparse, in.files[i].sparse);
    ASSERT_EQ(out.files[i].data.size(), in.files[i].data.size());
    for (std::size_t k = 0; k < in.files[i].data.size(); ++k) {
      EXPECT_EQ(out.files[i].data[k].begin, in.files[i].data[k].begin);
      EXPECT_EQ(out.files[i].data[k].end, in.files[i].data[k].end);
    }
  }
}

TEST(AnalyzeWire, WideSumsAddExactlyOverRanks) {
  // Three ranks' sums past 2^64: each sent as two halves, added on rank 0 as integers.
  std::vector<std::uint64_t> every;
  for (int r = 0; r < 3; ++r) {
    const auto halves = halves_of({(WideSum{1} << 100) + static_cast<WideSum>(r), 5});
    every.insert(every.end(), halves.begin(), halves.end());
  }
  const auto sums = sum_halves(every, 2);
  ASSERT_EQ(sums.size(), 2u);
  EXPECT_TRUE(sums[0] == (WideSum{3} << 100) + 3);
  EXPECT_TRUE(sums[1] == 15);
}

TEST(AnalyzeWire, SumsReadBackInTheOrderWritten) {
  std::uint64_t next = 1;
  auto fill = [&](SampleSums& s) {
    s.blocks = next++;
    s.groups = next++;
    s.bytes = next++;
    for (auto& p : s.packed) p = next++;
    s.xx = (WideSum{next++} << 70);
    for (auto& y : s.yy) y = next++;
    for (auto& x : s.xy) x = next++;
    s.xx1 = next++;
    for (auto& y : s.yy1) y = next++;
    for (auto& x : s.xy1) x = (WideSum{next++} << 64);
  };
  LevelTally t;
  t.units = next++;
  t.bytes = next++;
  t.zero_units = next++;
  t.zero_bytes = next++;
  for (auto& p : t.zero_packed) p = next++;
  fill(t.sample);
  DistinctSums d;
  d.units = next++;
  d.bytes = next++;
  d.bytes_squared = WideSum{next++} << 100;
  fill(d.compressed);
  FlatSums flat;
  flat.add(t);
  flat.add(d);
  FlatReader read{flat.u.data(), flat.w.data()};
  const LevelTally t2 = read.tally();
  const DistinctSums d2 = read.distinct();
  EXPECT_EQ(read.u, flat.u.data() + flat.u.size()) << "every count read";
  EXPECT_EQ(read.w, flat.w.data() + flat.w.size()) << "every wide sum read";
  auto same = [](const SampleSums& a, const SampleSums& b) {
    return a.blocks == b.blocks && a.groups == b.groups && a.bytes == b.bytes &&
           a.packed == b.packed && a.xx == b.xx && a.yy == b.yy && a.xy == b.xy && a.xx1 == b.xx1 &&
           a.yy1 == b.yy1 && a.xy1 == b.xy1;
  };
  EXPECT_EQ(t2.units, t.units);
  EXPECT_EQ(t2.bytes, t.bytes);
  EXPECT_EQ(t2.zero_units, t.zero_units);
  EXPECT_EQ(t2.zero_bytes, t.zero_bytes);
  EXPECT_EQ(t2.zero_packed, t.zero_packed);
  EXPECT_TRUE(same(t2.sample, t.sample));
  EXPECT_EQ(d2.units, d.units);
  EXPECT_EQ(d2.bytes, d.bytes);
  EXPECT_TRUE(d2.bytes_squared == d.bytes_squared);
  EXPECT_TRUE(same(d2.compressed, d.compressed));
}

TEST(AnalyzeWire, UnreadableFilesTravelAndTheFirstAreNamedOncePerPath) {
  std::vector<Unreadable> list;
  list.push_back({"/d/f", "read at offset 8192", EIO, "Input/output error", 3, false, 8192});
  list.push_back({"/d/f", "read at offset 4096", EIO, "Input/output error", 3, false, 4096});
  list.push_back({"/d/g", "cannot open", EACCES, "Permission denied", 1, false, 0});
  list.push_back({"/d", "cannot read the directory", EACCES, "Permission denied", 1, true, 0});
  for (int i = 0; i < 12; ++i)
    list.push_back({"/e/" + std::to_string(i), "cannot open", ENOENT, "x", 10u + i, false, 0});
  std::vector<Unreadable> back;
  unpack_unreadable(pack_unreadable(list), back);
  ASSERT_EQ(back.size(), list.size());
  EXPECT_EQ(back[1].what, "read at offset 4096");
  EXPECT_EQ(back[3].in_walk, true);
  EXPECT_EQ(back[2].error, EACCES);
  keep_first(back);
  ASSERT_EQ(back.size(), kUnreadableNamed);
  EXPECT_EQ(back[0].path, "/d") << "a directory before the file listed after it";
  EXPECT_EQ(back[1].path, "/d/g");
  EXPECT_EQ(back[2].path, "/d/f");
  EXPECT_EQ(back[2].offset, 4096u) << "a file's first failing offset";
  EXPECT_EQ(back[3].path, "/e/0");
  EXPECT_EQ(back[9].path, "/e/6");
}

TEST(AnalyzeCursor, HolesAreOnePieceAndDataComesInAlignedPieces) {
  constexpr std::uint64_t A = 1 << 16;
  std::vector<InputFile> files{{"sparse", 8 * A, true, {{2 * A + 100, 3 * A}}},
                               {"full", 2 * A + 5, false, {}}};
  PieceCursor cursor({{0, 0, 8 * A}, {1, 0, 2 * A + 5}}, files, A);
  struct Want {
    std::size_t file;
    std::uint64_t offset, length;
    bool hole;
  };
  const std::vector<Want> want{{0, 0, 2 * A, true}, {0, 2 * A, A, false}, {0, 3 * A, 5 * A, true},
                               {1, 0, A, false},    {1, A, A, false},     {1, 2 * A, 5, false}};
  std::vector<Piece> got;
  while (!cursor.done()) {
    const auto round = cursor.take(A);  // a hole counts as one piece of A
    ASSERT_EQ(round.size(), 1u);
    got.push_back(round[0]);
  }
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].file, want[i].file) << i;
    EXPECT_EQ(got[i].offset, want[i].offset) << i;
    EXPECT_EQ(got[i].length, want[i].length) << i;
    EXPECT_EQ(got[i].hole, want[i].hole) << i;
  }
  PieceCursor all({{0, 0, 8 * A}, {1, 0, 2 * A + 5}}, files, A);
  EXPECT_EQ(all.take(3 * A).size(), 3u);
  EXPECT_EQ(all.take(100 * A).size(), 3u);
  EXPECT_TRUE(all.done());
}

class AnalyzeReader : public ::testing::Test {
 protected:
  static constexpr std::uint64_t A = 1 << 20;  // the default chunk, the pieces' alignment
  AnalyzeReader() : scratch("analyze-reader"), buffer(A) {
    settings.units = {4096};
    settings.sample = 0;
  }
  // All the pieces of `files`, read by one reader.
  void read_all(PieceReader& reader, const std::vector<InputFile>& files, Failures& failures,
                bool strict) {
    std::vector<FileExtent> share;
    for (std::size_t i = 0; i < files.size(); ++i) share.push_back({i, 0, files[i].size});
    PieceCursor cursor(share, files, A);
    const auto pieces = cursor.take(~0ULL);
    std::atomic<std::size_t> next{0};
    reader.read(
        pieces, next, failures, strict, [] { return false; },
        [&](std::uint64_t n) { progress += n; });
  }
  dgen::test::ScratchDir scratch;
  ScanSettings settings;
  std::vector<std::byte> buffer;
  std::uint64_t progress = 0;
};

TEST_F(AnalyzeReader, ReadsDataAndCountsHolesAsZeros) {
  // 4 MiB: zeros (a hole where the file system makes one) but for random bytes in the third MiB.
  const std::string path = scratch.dir + "/sparse";
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    std::vector<char> random(A);
    std::mt19937_64 rng(7);
    for (auto& c : random) c = static_cast<char>(rng() | 1);  // no zero unit among them
    ASSERT_EQ(ftruncate(fd, 4 * A), 0);
    ASSERT_EQ(pwrite(fd, random.data(), A, 2 * A), static_cast<ssize_t>(A));
    ::close(fd);
  }
  const std::vector<InputFile> files{{path, 4 * A, true, {{2 * A, 3 * A}}}};
  Failures failures(files.size(), {});
  PieceReader reader(files, settings, buffer.data(), [] { return false; });
  read_all(reader, files, failures, false);
  EXPECT_EQ(reader.bytes, 4 * A);
  EXPECT_EQ(progress, 4 * A);
  EXPECT_LE(reader.hole_bytes, 3 * A);
  EXPECT_EQ(reader.skipped_bytes, 0u);
  ASSERT_EQ(reader.levels.size(), 1u);
  EXPECT_EQ(reader.levels[0].units, 4 * A / 4096);
  EXPECT_EQ(reader.levels[0].zero_units, 3 * A / 4096);
  EXPECT_TRUE(failures.first().empty());
}

TEST_F(AnalyzeReader, AFileThatFailsIsSkippedAndNamedOrWithStrictThrown) {
  const std::string short_file = scratch.dir + "/short";
  std::ofstream(short_file) << std::string(A, 'x');
  const std::string missing = scratch.dir + "/missing";
  // Listed with 3 MiB, holding 1 MiB: the read of the second piece finds the end.
  const std::vector<InputFile> files{{short_file, 3 * A, false, {}}, {missing, 2 * A, false, {}}};
  Failures failures(files.size(), {});
  PieceReader reader(files, settings, buffer.data(), [] { return false; });
  read_all(reader, files, failures, false);
  EXPECT_EQ(reader.bytes, A);
  EXPECT_EQ(reader.skipped_bytes, 4 * A);
  EXPECT_EQ(progress, 5 * A);
  EXPECT_EQ(failures.flags(), (std::vector<unsigned char>{1, 1}));
  const auto first = failures.first();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].path, short_file);
  EXPECT_EQ(first[0].what, "read at offset " + std::to_string(A));
  EXPECT_EQ(first[0].error, 0);
  EXPECT_EQ(first[0].message,
            "the file ended early (it was listed with more bytes; did it change during the "
            "analysis?)");
  EXPECT_EQ(first[1].path, missing);
  EXPECT_EQ(first[1].what, "cannot open");
  EXPECT_EQ(first[1].error, ENOENT);
  EXPECT_EQ(first[1].message, std::strerror(ENOENT));

  const std::vector<InputFile> only_missing{files[1]};
  Failures strict_failures(only_missing.size(), {});
  PieceReader strict(only_missing, settings, buffer.data(), [] { return false; });
  try {
    read_all(strict, only_missing, strict_failures, true);
    ADD_FAILURE() << "--strict: a missing file ends the reading";
  } catch (const ReadFailure& f) {
    EXPECT_EQ(std::string(f.what()), "open " + missing + ": " + std::strerror(ENOENT));
    EXPECT_EQ(f.error(), ENOENT);
  }
}

}  // namespace
