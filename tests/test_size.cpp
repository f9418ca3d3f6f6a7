#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "dgen/size.hpp"

namespace {

struct Good {
  const char* text;
  std::uint64_t bytes;
};

TEST(ParseSize, AcceptsBytesBinaryAndDecimalSuffixes) {
  const Good cases[] = {
      {"1", 1},
      {"4096", 4096},
      {"4096B", 4096},
      {"1K", 1024},
      {"1k", 1024},
      {"64KiB", 65536},
      {"1M", 1 << 20},
      {"1MiB", 1 << 20},
      {"2G", 2ULL << 30},
      {"1.5GiB", 1610612736ULL},
      {"1.5G", 1610612736ULL},
      {"1T", 1ULL << 40},
      {"1P", 1ULL << 50},
      {"1PiB", 1ULL << 50},
      {"1E", 1ULL << 60},
      {"15EiB", 15ULL << 60},
      {"1EB", 1'000'000'000'000'000'000ULL},
      {"1KB", 1000},
      {"10GB", 10'000'000'000ULL},
      {"2.5MB", 2'500'000},
      {"1TB", 1'000'000'000'000ULL},
      {"1PB", 1'000'000'000'000'000ULL},
      {"0.5KiB", 512},
      {" 8 MiB ", 8 << 20},
      {"8191P", 8191ULL << 50},
      {"18446744073709551615", UINT64_MAX},
  };
  for (const auto& c : cases) EXPECT_EQ(dgen::parse_size(c.text), c.bytes) << c.text;
}

TEST(ParseSize, RejectsMalformedZeroNegativeAndOverflow) {
  for (const char* bad : {"",
                          "1.5.5G",
                          "-1",
                          "+1",
                          "0",
                          "0K",
                          "10X",
                          "1.5",
                          "0.3K",
                          "G",
                          "1e9",
                          "nan",
                          "inf",
                          "18446744073709551616",
                          "16384P",
                          "16EiB",
                          "1ZiB",
                          "99999999999999T",
                          "1.0000000000000000000001K",
                          "1 2"}) {
    try {
      dgen::parse_size(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(std::string("'") + bad + "'"), std::string::npos) << msg;
      EXPECT_NE(msg.find("KiB"), std::string::npos) << "message shows the accepted forms: " << msg;
    }
  }
}

TEST(FormatSize, UsesBinaryUnits) {
  EXPECT_EQ(dgen::format_size(512), "512 B");
  EXPECT_EQ(dgen::format_size(4096), "4 KiB");
  EXPECT_EQ(dgen::format_size(1536ULL << 20), "1.5 GiB");
  EXPECT_EQ(dgen::format_size(1ULL << 30), "1 GiB");
}

}  // namespace
