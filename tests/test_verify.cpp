// The verifier's pieces on real corruptions of real streams: every lane decodes to where it
// belongs, and each kind of wrong range is named for what it holds.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "dgen/generator.hpp"
#include "verify/compare.hpp"
#include "verify/decode.hpp"

namespace {

using dgen::verify::LaneDecoder;
using dgen::verify::Mismatch;
using dgen::verify::MismatchLog;

std::vector<std::byte> bytes(const dgen::DataSpec& spec, std::uint64_t offset, std::size_t n) {
  std::vector<std::byte> out(n);
  dgen::Generator(spec).generate(offset, out);
  return out;
}

dgen::DataSpec spec(double d, double c, dgen::CompressFill fill = dgen::CompressFill::kPattern) {
  dgen::DataSpec s;
  s.seed = 12345;
  s.dedup_ratio = d;
  s.compress_ratio = c;
  s.compress_fill = fill;
  return s;
}

constexpr std::size_t kLength = 4 << 20;

// Compares `got` with the stream in 1 MiB calls, as the read path does.
MismatchLog check(const dgen::DataSpec& s, const std::vector<std::byte>& got) {
  const auto want = bytes(s, 0, got.size());
  const LaneDecoder decoder(s, got.size());
  MismatchLog log(16);
  for (std::size_t at = 0; at < got.size(); at += 1 << 20) {
    const std::size_t n = std::min<std::size_t>(1 << 20, got.size() - at);
    log.compare(got.data() + at, want.data() + at, n, at, 0, at, decoder);
  }
  return log;
}

TEST(Verify, EveryLaneOfAnIncompressibleStreamDecodesToItsOffset) {
  const auto s = spec(1, 1);
  const LaneDecoder decoder(s, kLength);
  const auto data = bytes(s, 0, kLength);
  for (std::size_t at = 0; at < kLength; at += 16) {
    const auto origin = decoder.decode(data.data() + at);
    ASSERT_TRUE(origin.has_value()) << at;
    ASSERT_EQ(*origin, at);
  }
}

TEST(Verify, AtRatioTwoExactlyTheRandomLanesDecode) {
  const auto s = spec(1, 2);
  const dgen::Generator gen(s);
  const LaneDecoder decoder(s, kLength);
  const auto data = bytes(s, 0, kLength);
  const std::size_t fill = gen.block_size() - gen.random_bytes_per_block();
  for (std::size_t at = 0; at < kLength; at += 16) {
    const bool random = at % gen.block_size() >= fill;
    const auto origin = decoder.decode(data.data() + at);
    ASSERT_EQ(origin.has_value(), random) << at;
    if (random) ASSERT_EQ(*origin, at);
  }
}

TEST(Verify, AnIntactStreamHasNoMismatch) {
  const auto s = spec(2, 3);
  const auto log = check(s, bytes(s, 0, kLength));
  EXPECT_EQ(log.wrong_bytes(), 0u);
  EXPECT_TRUE(log.first().empty());
}

TEST(Verify, AFlippedByteIsForeignWithBothValues) {
  const auto s = spec(1, 2);
  for (std::size_t at : {std::size_t{0}, kLength / 2 + 7, kLength - 1}) {
    auto got = bytes(s, 0, kLength);
    const auto was = static_cast<unsigned char>(got[at]);
    got[at] = std::byte(was ^ 0x5a);
    const auto log = check(s, got);
    ASSERT_EQ(log.first().size(), 1u) << at;
    const Mismatch& m = log.first()[0];
    EXPECT_EQ(m.offset, at);
    EXPECT_EQ(m.length, 1u);
    EXPECT_EQ(m.holds, "foreign");
    EXPECT_EQ(m.expected, was);
    EXPECT_EQ(m.found, was ^ 0x5a);
    EXPECT_EQ(log.wrong_bytes(), 1u);
    EXPECT_EQ(log.wrong_blocks(), 1u);
  }
}

// A misdirected write: the 4 KiB block at `to` holds the stream's block from `from`.
// `slack`: how far into the block the first wrong byte may be (a block shifted within itself
// has equal fill bytes where the shifted fill meets fill).
void expect_misdirected(const dgen::DataSpec& s, std::size_t to, std::size_t from,
                        std::uint64_t named, std::uint64_t slack = 64) {
  auto got = bytes(s, 0, kLength);
  std::memmove(got.data() + to, got.data() + from, 4096);  // the ranges may overlap
  const auto log = check(s, got);
  ASSERT_EQ(log.first().size(), 1u);
  const Mismatch& m = log.first()[0];
  EXPECT_EQ(m.holds, "stream");
  ASSERT_TRUE(m.stream_offset.has_value());
  // The first wrong byte may follow a byte that happens to be equal: the offsets move together.
  EXPECT_EQ(*m.stream_offset - named, m.offset - to);
  EXPECT_LT(m.offset - to, slack);
  EXPECT_LE(m.offset + m.length, to + 4096);
}

TEST(Verify, AMisdirectedBlockIsNamedWithItsTrueOffset) {
  for (double c : {1.0, 2.0, 4.0}) {
    SCOPED_TRACE(c);
    expect_misdirected(spec(1, c), 1 << 20, 3 << 20, 3 << 20);
    expect_misdirected(spec(1, c), 3 << 20, 8192, 8192);
  }
}

TEST(Verify, AShiftedBlockIsNamedAtAnyByteShift) {
  for (std::size_t shift : {512u, 3u, 4095u}) {
    SCOPED_TRACE(shift);
    expect_misdirected(spec(1, 2), 1 << 20, (1 << 20) + shift, (1 << 20) + shift, 4096);
    expect_misdirected(spec(1, 1), 1 << 20, (1 << 20) + shift, (1 << 20) + shift);
  }
}

// With D = 2 a unit may be a duplicate: its bytes are named by the first unit that carries them.
TEST(Verify, ADuplicatesBytesAreNamedByTheirSource) {
  const auto s = spec(2, 1);
  const dgen::Generator gen(s);
  const auto data = bytes(s, 0, kLength);
  // Find a duplicate unit: its bytes equal an earlier unit's.
  std::size_t dup = 0, source = 0;
  for (std::size_t u = 300; u < kLength / 4096 && dup == 0; ++u) {
    for (std::size_t v = 0; v < u; ++v) {
      if (std::memcmp(data.data() + u * 4096, data.data() + v * 4096, 4096) == 0) {
        dup = u;
        source = v;
        break;
      }
    }
  }
  ASSERT_NE(dup, 0u);
  expect_misdirected(s, 100 * 4096, dup * 4096, source * 4096);
}

// A duplicate unit's right lanes decode to their source, elsewhere: they must not make a
// flipped byte in the unit look like a misdirected block.
TEST(Verify, AFlippedByteInADuplicateUnitIsForeign) {
  const auto s = spec(2, 1);
  auto got = bytes(s, 0, kLength);
  const auto want = got;
  std::size_t dup = 0;
  for (std::size_t u = 300; u < kLength / 4096 && dup == 0; ++u) {
    for (std::size_t v = 0; v < u && dup == 0; ++v) {
      if (std::memcmp(want.data() + u * 4096, want.data() + v * 4096, 4096) == 0) dup = u;
    }
  }
  ASSERT_NE(dup, 0u);
  got[dup * 4096 + 1000] ^= std::byte{0x80};
  const auto log = check(s, got);
  ASSERT_EQ(log.first().size(), 1u);
  EXPECT_EQ(log.first()[0].holds, "foreign");
  EXPECT_EQ(log.first()[0].offset, dup * 4096 + 1000);
}

TEST(Verify, AZeroedRangeIsOneMismatchThatHoldsZeros) {
  for (auto fill : {dgen::CompressFill::kZero, dgen::CompressFill::kPattern}) {
    const auto s = spec(1, 2, fill);
    auto got = bytes(s, 0, kLength);
    std::memset(got.data() + (1 << 20) - 4096, 0, 65536);  // across a 1 MiB call boundary
    const auto log = check(s, got);
    ASSERT_EQ(log.first().size(), 1u);
    const Mismatch& m = log.first()[0];
    EXPECT_EQ(m.holds, "zeros");
    EXPECT_GE(m.offset, (1u << 20) - 4096);
    EXPECT_LE(m.offset + m.length, (1u << 20) - 4096 + 65536);
    EXPECT_GT(m.length, 60000u);
    EXPECT_EQ(log.wrong_blocks(), 16u);
  }
}

TEST(Verify, ABlockOfAnotherSeedIsForeign) {
  const auto s = spec(1, 1);
  auto other = s;
  other.seed = 999;
  auto got = bytes(s, 0, kLength);
  const auto theirs = bytes(other, 0, 8192);
  std::memcpy(got.data() + 40960, theirs.data(), 4096);
  const auto log = check(s, got);
  ASSERT_EQ(log.first().size(), 1u);
  EXPECT_EQ(log.first()[0].holds, "foreign");
  EXPECT_EQ(log.first()[0].offset, 40960u);
}

TEST(Verify, MergingAcrossLogsKeepsStreamOrderAndJoinsNeighbours) {
  std::vector<Mismatch> all(4);
  all[0].offset = 9000, all[0].length = 10;
  all[1].offset = 100, all[1].length = 10;
  all[2].offset = 2000, all[2].length = 10;  // within 4 KiB of the one at 100: joined
  all[3].offset = 50000, all[3].length = 10;
  for (auto& m : all) m.describe();
  const auto merged = dgen::verify::merge_mismatches(all, 2);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].offset, 100u);
  EXPECT_EQ(merged[0].length, 1910u);
  EXPECT_EQ(merged[1].offset, 9000u);
}

// A missing or truncated file's range names that file: ranges of two files, even adjacent in the
// stream, stay apart (a dataset's missing files are each named); the same file's contiguous
// ranges (a strided file's segments, read by several ranks) join, and no other kind joins them.
TEST(Verify, MissingRangesOfDifferentFilesAreNeverMerged) {
  auto lacking = [](const char* holds, std::uint64_t file, std::uint64_t offset,
                    std::uint64_t file_offset, std::uint64_t length) {
    Mismatch m;
    m.holds = holds;
    m.file = file;
    m.offset = offset;
    m.file_offset = file_offset;
    m.length = length;
    return m;
  };
  Mismatch flipped;
  flipped.holds = "foreign";
  flipped.file = 3;
  flipped.offset = 900;
  flipped.file_offset = 0;
  flipped.length = 1;
  const auto merged = dgen::verify::merge_mismatches(
      {lacking("missing", 1, 300, 0, 300), lacking("missing", 2, 600, 0, 300), flipped,
       lacking("truncated", 5, 2000, 500, 100), lacking("truncated", 5, 2100, 600, 100)},
      16);
  ASSERT_EQ(merged.size(), 4u);
  EXPECT_EQ(merged[0].file, 1u);
  EXPECT_EQ(merged[0].length, 300u);
  EXPECT_EQ(merged[0].holds, "missing");
  EXPECT_EQ(merged[1].file, 2u);
  EXPECT_EQ(merged[1].holds, "missing");
  EXPECT_EQ(merged[2].holds, "foreign");
  EXPECT_EQ(merged[3].file, 5u);
  EXPECT_EQ(merged[3].length, 200u) << "the same file's contiguous ranges join";
  EXPECT_EQ(merged[3].holds, "truncated");
}

}  // namespace
