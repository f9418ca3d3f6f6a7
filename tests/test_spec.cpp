#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "dgen/spec.hpp"

namespace {

std::string error_of(const dgen::DataSpec& spec) {
  try {
    dgen::validate(spec);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Spec, DefaultsAreValid) { EXPECT_EQ(error_of(dgen::DataSpec{}), ""); }

TEST(Spec, DedupRatioOutsideOneToHundredIsRefused) {
  for (double d : {0.5, 0.0, -1.0, 100.5, std::nan(""), std::numeric_limits<double>::infinity()}) {
    dgen::DataSpec s;
    s.dedup_ratio = d;
    const std::string msg = error_of(s);
    EXPECT_NE(msg.find("--dedup-ratio"), std::string::npos) << d;
    EXPECT_NE(msg.find("from 1 to 100"), std::string::npos) << msg;
  }
  for (double d : {1.0, 1.01, 2.5, 100.0}) {
    dgen::DataSpec s;
    s.dedup_ratio = d;
    EXPECT_EQ(error_of(s), "") << d;
  }
}

TEST(Spec, CompressRatioOutsideOneToHundredIsRefused) {
  for (double c : {0.99, 101.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    dgen::DataSpec s;
    s.compress_ratio = c;
    const std::string msg = error_of(s);
    EXPECT_NE(msg.find("--compress-ratio"), std::string::npos) << c;
  }
}

TEST(Spec, DedupUnitMustBeAPowerOfTwoFrom512BTo1MiB) {
  for (std::uint64_t u : {0ULL, 256ULL, 3000ULL, 4097ULL, 2ULL << 20}) {
    dgen::DataSpec s;
    s.dedup_unit = u;
    const std::string msg = error_of(s);
    EXPECT_NE(msg.find("--dedup-unit " + std::to_string(u)), std::string::npos) << msg;
    EXPECT_NE(msg.find("power of two"), std::string::npos) << msg;
  }
  for (std::uint64_t u = 512; u <= (1 << 20); u *= 2) {
    dgen::DataSpec s;
    s.dedup_unit = u;
    EXPECT_EQ(error_of(s), "") << u;
  }
}

TEST(Spec, CompressFillParsesBothNamesOnly) {
  EXPECT_EQ(dgen::parse_compress_fill("zero"), dgen::CompressFill::kZero);
  EXPECT_EQ(dgen::parse_compress_fill("pattern"), dgen::CompressFill::kPattern);
  EXPECT_THROW(dgen::parse_compress_fill("random"), std::invalid_argument);
  EXPECT_EQ(dgen::to_string(dgen::CompressFill::kZero), "zero");
}

}  // namespace
