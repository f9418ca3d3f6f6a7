// Compression ratios measured with the real compressors the contract names: zstd level 3,
// lz4 (default, level 1) and zlib level 6.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "support.hpp"

namespace {

using dgen::test::bytes_of;

struct Compressor {
  const char* name;
  std::function<std::size_t(const std::byte*, std::size_t)> size;
};

const std::vector<Compressor>& compressors() {
  static const std::vector<Compressor> all = {
      {"zstd-3", [](const std::byte* p, std::size_t n) { return dgen::test::zstd_size(p, n); }},
      {"lz4", dgen::test::lz4_size},
      {"zlib-6", [](const std::byte* p, std::size_t n) { return dgen::test::zlib_size(p, n); }},
  };
  return all;
}

// Each unit compressed on its own; the ratio of the totals.
double per_unit_ratio(const Compressor& c, const std::vector<std::byte>& data, std::size_t unit) {
  std::size_t compressed = 0;
  for (std::size_t i = 0; i < data.size(); i += unit) compressed += c.size(&data[i], unit);
  return static_cast<double>(data.size()) / static_cast<double>(compressed);
}

TEST(Compressibility, EachUnitCompressesByTheRatioWithinTenPercent) {
  for (std::uint64_t unit : {4096ULL, 16384ULL, 65536ULL, 1ULL << 20}) {
    for (double c : {1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.5, 8.0}) {
      for (auto fill : {dgen::CompressFill::kPattern, dgen::CompressFill::kZero}) {
        dgen::DataSpec spec;
        spec.dedup_unit = unit;
        spec.compress_ratio = c;
        spec.compress_fill = fill;
        const auto data =
            bytes_of(dgen::Generator(spec), 0, std::max<std::size_t>(4 * unit, 2 << 20));
        for (const auto& comp : compressors()) {
          const double r = per_unit_ratio(comp, data, unit);
          EXPECT_NEAR(r / c, 1.0, 0.10) << comp.name << " unit=" << unit << " C=" << c
                                        << " fill=" << to_string(fill) << " measured " << r;
        }
      }
    }
  }
}

TEST(Compressibility, RatioOneIsIncompressible) {
  for (std::uint64_t unit : {512ULL, 4096ULL, 1ULL << 20}) {
    dgen::DataSpec spec;
    spec.dedup_unit = unit;
    const auto data = bytes_of(dgen::Generator(spec), 0, 4 << 20);
    for (const auto& comp : compressors()) {
      EXPECT_LE(per_unit_ratio(comp, data, std::max<std::size_t>(unit, 4096)), 1.01) << comp.name;
      EXPECT_LE(static_cast<double>(data.size()) / comp.size(data.data(), data.size()), 1.01)
          << comp.name << " whole stream";
    }
  }
}

TEST(Compressibility, WholeStreamWithoutDedupCompressesByTheRatio) {
  for (double c : {1.5, 2.0, 3.0, 5.0, 8.0}) {
    for (std::uint64_t unit : {4096ULL, 65536ULL}) {
      dgen::DataSpec spec;
      spec.dedup_unit = unit;
      spec.compress_ratio = c;
      const auto data = bytes_of(dgen::Generator(spec), 0, 32 << 20);
      for (const auto& comp : compressors()) {
        const double r = static_cast<double>(data.size()) / comp.size(data.data(), data.size());
        EXPECT_NEAR(r / c, 1.0, 0.10)
            << comp.name << " C=" << c << " unit=" << unit << " measured " << r;
      }
    }
  }
}

TEST(Compressibility, PatternFillIsNonZeroAndDiffersFromBlockToBlock) {
  dgen::DataSpec spec;
  spec.compress_ratio = 8;
  spec.dedup_unit = 65536;
  const dgen::Generator gen(spec);
  const auto data = bytes_of(gen, 0, 16 << 20);
  const std::size_t fill = gen.block_size() - gen.random_bytes_per_block();
  ASSERT_GT(fill, 3000u);
  std::vector<std::byte> zeros(fill);
  std::string previous;
  for (std::size_t block = 0; block < data.size(); block += 4096) {
    const std::string this_fill(reinterpret_cast<const char*>(&data[block]), fill);
    ASSERT_NE(0, std::memcmp(this_fill.data(), zeros.data(), fill)) << "zero fill at " << block;
    ASSERT_NE(this_fill, previous) << "same fill as the previous block at " << block;
    previous = this_fill;
  }
}

TEST(Compressibility, ZeroFillIsZeros) {
  dgen::DataSpec spec;
  spec.compress_ratio = 4;
  spec.compress_fill = dgen::CompressFill::kZero;
  const dgen::Generator gen(spec);
  const auto data = bytes_of(gen, 0, 1 << 20);
  const std::size_t fill = gen.block_size() - gen.random_bytes_per_block();
  for (std::size_t block = 0; block < data.size(); block += 4096) {
    for (std::size_t i = 0; i < fill; ++i) ASSERT_EQ(data[block + i], std::byte{0});
    const std::vector<std::byte> random_part(data.begin() + block + fill,
                                             data.begin() + block + 4096);
    ASSERT_NE(random_part, std::vector<std::byte>(random_part.size())) << "block " << block;
  }
}

}  // namespace
