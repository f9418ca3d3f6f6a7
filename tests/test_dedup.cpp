// Deduplication measured on the bytes: units / distinct units, where duplicates sit, and what
// a dedup engine working at 4 KiB sees.
#include <gtest/gtest.h>

#include <unordered_set>
#include <vector>

#include "support.hpp"

namespace {

using dgen::test::bytes_of;
using dgen::test::view;

double measured_dedup_ratio(const std::vector<std::byte>& data, std::size_t chunk) {
  std::unordered_set<std::string_view> distinct;
  for (std::size_t i = 0; i + chunk <= data.size(); i += chunk)
    distinct.insert(view(&data[i], chunk));
  return static_cast<double>(data.size() / chunk) / static_cast<double>(distinct.size());
}

TEST(Dedup, RatioWithinOnePercentFromMinimumStreamLength) {
  for (std::uint64_t unit : {512ULL, 4096ULL, 65536ULL}) {
    for (double d : {1.0, 1.3, 2.0, 3.7, 10.0, 42.0, 100.0}) {
      // The contract's minimum, max(1024, 100 D) units, and a longer odd-sized run.
      const std::uint64_t min_units =
          std::max<std::uint64_t>(1024, static_cast<std::uint64_t>(100 * d));
      for (std::uint64_t units : {min_units, min_units * 3 + 17}) {
        if (units * unit > (1ULL << 30)) continue;
        dgen::DataSpec spec;
        spec.dedup_unit = unit;
        spec.dedup_ratio = d;
        spec.seed = 99;
        const auto data = bytes_of(dgen::Generator(spec), 0, units * unit);
        EXPECT_NEAR(measured_dedup_ratio(data, unit) / d, 1.0, 0.01)
            << "unit=" << unit << " D=" << d << " units=" << units;
      }
    }
  }
}

TEST(Dedup, DuplicatesAreFarApartSoZlibSeesNone) {
  dgen::DataSpec spec;
  spec.dedup_ratio = 2;
  for (std::size_t size : {4u << 20, 64u << 20}) {
    const auto data = bytes_of(dgen::Generator(spec), 0, size);
    ASSERT_NEAR(measured_dedup_ratio(data, 4096), 2.0, 0.02);
    const double zlib_ratio =
        static_cast<double>(size) / static_cast<double>(dgen::test::zlib_size(data.data(), size));
    EXPECT_LE(zlib_ratio, 1.05) << size;
  }
}

TEST(Dedup, FourKiBEngineSeesExactlyTheIntendedDuplicatesAtLargerUnits) {
  for (std::uint64_t unit : {8192ULL, 65536ULL, 1ULL << 20}) {
    for (auto fill : {dgen::CompressFill::kPattern, dgen::CompressFill::kZero}) {
      dgen::DataSpec spec;
      spec.dedup_unit = unit;
      spec.dedup_ratio = 2.5;
      spec.compress_ratio = 8;
      spec.compress_fill = fill;
      const auto data = bytes_of(dgen::Generator(spec), 0, 256ULL << 20);
      // Duplicate 4 KiB blocks only where whole units repeat: the same ratio at both sizes.
      EXPECT_DOUBLE_EQ(measured_dedup_ratio(data, 4096), measured_dedup_ratio(data, unit))
          << "unit=" << unit;
    }
  }
}

TEST(Dedup, RatioOneHasNoDuplicateFourKiBBlocksEvenWhenHighlyCompressible) {
  for (std::uint64_t unit : {512ULL, 4096ULL, 1ULL << 20}) {
    dgen::DataSpec spec;
    spec.dedup_unit = unit;
    spec.compress_ratio = 100;
    spec.compress_fill = dgen::CompressFill::kZero;
    const auto data = bytes_of(dgen::Generator(spec), 0, 64 << 20);
    EXPECT_EQ(measured_dedup_ratio(data, 4096), 1.0) << unit;
  }
}

}  // namespace
