// The data contract of docs/data-model.md: bytes are a pure function of (spec, global offset),
// whatever the split, thread count, SIMD target or start offset.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/stream_layout.hpp"
#include "dgen/generator.hpp"
#include "dgen/simd.hpp"
#include "kernels/kernel.hpp"
#include "kernels/reference.hpp"
#include "support.hpp"
#include "verify/decode.hpp"

namespace {

using dgen::test::bytes_of;

std::vector<dgen::DataSpec> specs() {
  std::vector<dgen::DataSpec> out;
  for (std::uint64_t unit : {512ULL, 4096ULL, 65536ULL}) {
    for (double dedup : {1.0, 2.5}) {
      for (double compress : {1.0, 3.3}) {
        for (auto fill : {dgen::CompressFill::kPattern, dgen::CompressFill::kZero}) {
          if (compress == 1.0 && fill == dgen::CompressFill::kZero) continue;
          dgen::DataSpec s;
          s.seed = 12345 + unit;
          s.dedup_unit = unit;
          s.dedup_ratio = dedup;
          s.compress_ratio = compress;
          s.compress_fill = fill;
          out.push_back(s);
        }
      }
    }
  }
  return out;
}

std::string describe(const dgen::DataSpec& s) {
  return "unit=" + std::to_string(s.dedup_unit) + " D=" + std::to_string(s.dedup_ratio) +
         " C=" + std::to_string(s.compress_ratio) +
         " fill=" + std::string(to_string(s.compress_fill));
}

TEST(AesRound, MatchesFips197AppendixB) {
  // FIPS-197 Appendix B, round 1: state at start of round and round key 1 -> start of round 2.
  std::uint8_t state[16] = {0x19, 0x3d, 0xe3, 0xbe, 0xa0, 0xf4, 0xe2, 0x2b,
                            0x9a, 0xc6, 0x8d, 0x2a, 0xe9, 0xf8, 0x48, 0x08};
  const std::uint8_t key[16] = {0xa0, 0xfa, 0xfe, 0x17, 0x88, 0x54, 0x2c, 0xb1,
                                0x23, 0xa3, 0x39, 0x39, 0x2a, 0x6c, 0x76, 0x05};
  const std::uint8_t expected[16] = {0xa4, 0x9c, 0x7f, 0xf2, 0x68, 0x9f, 0x35, 0x2b,
                                     0x6b, 0x5b, 0xea, 0x43, 0x02, 0x6a, 0x50, 0x49};
  dgen::kernels::aes_round(state, key);
  EXPECT_EQ(0, std::memcmp(state, expected, 16));
}

// The plain C++ reference itself (kernels/reference.cpp), not a target: with newer compilers
// the "scalar" target is Highway's EMU128 build of the SIMD kernel.
std::vector<std::byte> reference_bytes(const dgen::DataSpec& spec, std::uint64_t offset,
                                       std::size_t len) {
  const auto layout = dgen::detail::make_stream_layout(spec);
  std::vector<std::byte> out(len);
  dgen::kernels::generate_reference(layout, offset, len,
                                    reinterpret_cast<std::uint8_t*>(out.data()));
  return out;
}

// Every compiled target this CPU runs gives the reference's bytes, at awkward offsets and
// lengths too (partial vectors at both ends, unit and block boundaries inside the range), and
// at the very end of the 2^64-byte stream.
TEST(StreamContract, EverySimdTargetMatchesTheReference) {
  std::mt19937_64 rng(7);
  int targets_checked = 0;
  for (const auto& target : dgen::compiled_simd_targets()) {
    if (!target.supported) continue;
    ++targets_checked;
    for (const auto& spec : specs()) {
      const dgen::Generator gen(spec, target);
      for (int i = 0; i < 7; ++i) {
        std::uint64_t offset = i == 0 ? 0 : rng() % (64ULL << 20);
        std::size_t len = i == 0 ? (256 << 10) : 1 + rng() % (200 << 10);
        if (i == 6) {  // the stream's last bytes: offset + len == 2^64
          len = 3 * 4096 + 77;
          offset = UINT64_MAX - len + 1;
        }
        ASSERT_EQ(bytes_of(gen, offset, len), reference_bytes(spec, offset, len))
            << target.name << " " << describe(spec) << " offset=" << offset << " len=" << len;
      }
    }
  }
  EXPECT_GE(targets_checked, 2) << "the scalar target and at least one SIMD target";
}

TEST(StreamContract, TheReferenceWritesTheStreamsLastBytes) {
  // offset + len wraps to 0 at the end of the stream; the reference used to write nothing.
  const std::size_t len = 4096;
  const auto bytes = reference_bytes(dgen::DataSpec{}, UINT64_MAX - len + 1, len);
  EXPECT_NE(bytes, std::vector<std::byte>(len)) << "all zero: nothing was written";
}

TEST(StreamContract, ARangePastTheStreamsEndIsRefused) {
  const dgen::Generator gen(dgen::DataSpec{});
  std::vector<std::byte> buf(4096);
  EXPECT_NO_THROW(gen.generate(UINT64_MAX - 4095, buf));
  EXPECT_THROW(gen.generate(UINT64_MAX - 4094, buf), std::out_of_range);
  EXPECT_THROW(gen.generate(UINT64_MAX, buf), std::out_of_range);
}

// The baseline's streaming fill writes exactly the constant, at any alignment and length.
TEST(StreamContract, StreamFillOfEveryTargetWritesTheConstant) {
  for (const auto& k : dgen::kernels::compiled_kernels()) {
    if (!dgen::kernels::kernel_supported(k)) continue;
    for (std::size_t start : {0, 1, 13, 64}) {
      for (std::size_t len : {0, 1, 31, 4096, 100000}) {
        std::vector<std::uint8_t> buf(start + len + 64, 0x11);
        k.stream_fill(buf.data() + start, len, 0xA5);
        for (std::size_t i = 0; i < buf.size(); ++i) {
          const bool inside = i >= start && i < start + len;
          ASSERT_EQ(buf[i], inside ? 0xA5 : 0x11) << dgen::kernels::kernel_name(k) << " start "
                                                  << start << " len " << len << " at " << i;
        }
      }
    }
  }
}

// Streaming stores where the buffer and the stream offset fall differently in a vector (a numpy
// array starts 16 bytes into a cache line): every target's bytes still equal the cached ones.
TEST(StreamContract, StreamingStoresAtAnyAlignmentGiveTheSameBytes) {
  dgen::DataSpec spec;
  spec.dedup_ratio = 2;
  spec.compress_ratio = 3;
  std::vector<std::byte> want(300000), raw(300000 + 128);
  for (const auto& target : dgen::compiled_simd_targets()) {
    if (!target.supported) continue;
    const dgen::Generator gen(spec, target);
    for (std::uint64_t offset : {0ull, 1ull, 4093ull, 65536ull + 17}) {
      for (std::size_t shift : {0u, 1u, 16u, 33u, 64u}) {
        for (std::size_t len : {1u, 100u, 8191u, 8193u, 70001u, 300000u}) {
          gen.generate(offset, {want.data(), len}, dgen::StoreMode::kCached);
          std::fill(raw.begin(), raw.end(), std::byte{0xAB});
          gen.generate(offset, {raw.data() + shift, len}, dgen::StoreMode::kStreaming);
          ASSERT_EQ(std::memcmp(raw.data() + shift, want.data(), len), 0)
              << target.name << " offset " << offset << " shift " << shift << " len " << len;
          ASSERT_EQ(raw[shift + len], std::byte{0xAB}) << "wrote past the end";
          if (shift > 0) ASSERT_EQ(raw[shift - 1], std::byte{0xAB}) << "wrote before the start";
        }
      }
    }
  }
}

TEST(StreamContract, StreamingStoresGiveTheSameBytes) {
  for (const auto& spec : specs()) {
    const dgen::Generator gen(spec);
    std::vector<std::byte> a(1 << 20), b(1 << 20);
    gen.generate(4096 * 7, a, dgen::StoreMode::kCached);
    gen.generate(4096 * 7, b, dgen::StoreMode::kStreaming);
    ASSERT_EQ(a, b) << describe(spec);
  }
}

TEST(StreamContract, AnySplitIntoPiecesGivesTheSameBytes) {
  std::mt19937_64 rng(11);
  for (const auto& spec : specs()) {
    const dgen::Generator gen(spec);
    const std::size_t total = 3 << 20;
    const auto whole = bytes_of(gen, 1000, total);
    std::vector<std::byte> pieces(total);
    for (std::size_t pos = 0; pos < total;) {
      const std::size_t n = std::min<std::size_t>(total - pos, 1 + rng() % 70000);
      gen.generate(1000 + pos, {pieces.data() + pos, n});
      pos += n;
    }
    ASSERT_EQ(whole, pieces) << describe(spec);
  }
}

TEST(StreamContract, AnyThreadCountGivesTheSameBytes) {
  const dgen::Generator gen(dgen::DataSpec{});
  const std::size_t total = 8 << 20;
  const auto one = bytes_of(gen, 0, total);
  for (unsigned threads : {2u, 3u, 7u}) {
    std::vector<std::byte> out(total);
    std::vector<std::thread> team;
    for (unsigned t = 0; t < threads; ++t) {
      team.emplace_back([&, t] {
        const std::size_t begin = total * t / threads, end = total * (t + 1) / threads;
        gen.generate(begin, {out.data() + begin, end - begin});
      });
    }
    for (auto& th : team) th.join();
    ASSERT_EQ(one, out) << threads << " threads";
  }
}

TEST(StreamContract, AShorterRunIsAPrefixOfALongerOne) {
  std::mt19937_64 rng(3);
  for (const auto& spec : specs()) {
    const dgen::Generator gen(spec);
    const auto longer = bytes_of(gen, 0, 2 << 20);
    for (int i = 0; i < 4; ++i) {
      const std::size_t n = 1 + rng() % longer.size();  // any length, not a multiple of the unit
      ASSERT_TRUE(std::equal(longer.begin(), longer.begin() + n, bytes_of(gen, 0, n).begin()))
          << describe(spec) << " n=" << n;
    }
  }
}

TEST(StreamContract, StartingAtAnOffsetReproducesThoseBytesOfARunFromZero) {
  for (const auto& spec : specs()) {
    const dgen::Generator gen(spec);
    const auto from_zero = bytes_of(gen, 0, 2 << 20);
    for (std::uint64_t x : {1ULL, 15ULL, 4095ULL, 65537ULL, 1ULL << 20}) {
      const auto from_x = bytes_of(gen, x, from_zero.size() - x);
      ASSERT_TRUE(std::equal(from_x.begin(), from_x.end(), from_zero.begin() + x))
          << describe(spec) << " x=" << x;
    }
  }
}

// Pins the bytes themselves: a change here breaks every stored dataset and must be deliberate
// (a new data-model version in docs/data-model.md), never a side effect.
// --verify names a misplaced block by decrypting its lanes: with AES-NI, or in plain code (Arm,
// x86 without AES-NI). Both find every random lane's own offset.
TEST(StreamContract, LanesDecodeToTheirOffsetsWithAndWithoutAesInstructions) {
  dgen::DataSpec spec;
  spec.dedup_ratio = 1;
  spec.compress_ratio = 1;
  const std::uint64_t base = 3ULL << 30;
  const dgen::Generator gen(spec);
  std::vector<std::byte> bytes(1 << 16);
  gen.generate(base, bytes);
  for (bool portable : {false, true}) {
    const dgen::verify::LaneDecoder decoder(spec, 1ULL << 40, portable);
    int decoded = 0;
    for (std::size_t at = 0; at + 16 <= bytes.size(); at += 16) {
      const auto origin = decoder.decode(bytes.data() + at);
      if (!origin) continue;
      ++decoded;
      ASSERT_EQ(*origin, base + at) << (portable ? "portable" : "aes-ni") << " at " << at;
    }
    EXPECT_GT(decoded, 4000) << (portable ? "portable" : "aes-ni");
  }
}

TEST(StreamContract, GoldenChecksumsOfTheFirstMiB) {
  struct Golden {
    dgen::DataSpec spec;
    uLong crc;
  };
  dgen::DataSpec dedup;
  dedup.dedup_ratio = 3;
  dgen::DataSpec compress;
  compress.compress_ratio = 4;
  compress.seed = 1;
  const Golden goldens[] = {
      {dgen::DataSpec{}, 0xec23a4b4}, {dedup, 0xdae698ee}, {compress, 0x547d0020}};
  for (const auto& g : goldens) {
    const auto bytes = bytes_of(dgen::Generator(g.spec), 0, 1 << 20);
    const uLong crc =
        crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size()));
    EXPECT_EQ(crc, g.crc) << describe(g.spec) << std::hex << " crc=0x" << crc;
  }
}

// With D = 1 no two units are equal. A unit's last 16 bytes are always random (every block
// ends with its random part) and encrypt a counter no other unit has, so comparing them over
// 16 GiB of units covers the claim; the bytes come through the public API like any other.
TEST(StreamContract, NoTwoUnitsAreEqualInSixteenGiB) {
  const dgen::Generator gen(dgen::DataSpec{});
  const std::uint64_t unit = gen.spec().dedup_unit;
  const std::uint64_t units = (16ULL << 30) / unit;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> heads(units);
  for (std::uint64_t u = 0; u < units; ++u) {
    gen.generate(u * unit + unit - 16, {reinterpret_cast<std::byte*>(&heads[u]), 16});
  }
  std::sort(heads.begin(), heads.end());
  EXPECT_EQ(std::adjacent_find(heads.begin(), heads.end()), heads.end());
}

TEST(StreamContract, SeedsShareNoUnitsAndNeighbouringSeedsAreNotShifted) {
  dgen::DataSpec a, b;
  a.seed = 42;
  b.seed = 43;
  const auto x = bytes_of(dgen::Generator(a), 0, 16 << 20);
  const auto y = bytes_of(dgen::Generator(b), 0, 16 << 20);
  const std::size_t unit = a.dedup_unit;
  std::unordered_set<std::string_view> units_of_a;
  for (std::size_t i = 0; i < x.size(); i += unit) units_of_a.insert(dgen::test::view(&x[i], unit));
  for (std::size_t i = 0; i < y.size(); i += unit) {
    ASSERT_FALSE(units_of_a.count(dgen::test::view(&y[i], unit))) << "unit " << i / unit;
  }
  // The peer's bug: seed S unit k+1 equal to seed S+1 unit k.
  EXPECT_NE(0, std::memcmp(&x[unit], &y[0], unit));
}

}  // namespace
