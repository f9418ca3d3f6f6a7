#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include <stdexcept>
#include <string>

#include "dgen/generator.hpp"
#include "dgen/simd.hpp"

namespace {

TEST(Simd, ScalarReferenceIsAlwaysCompiledAndSupported) {
  bool found = false;
  for (const auto& t : dgen::compiled_simd_targets()) {
    if (t.name == "scalar") found = t.supported;
  }
  EXPECT_TRUE(found);
}

TEST(Simd, AutoPicksTheBestSupportedTarget) {
  const auto targets = dgen::compiled_simd_targets();
  const auto best = dgen::select_simd_target("auto");
  for (const auto& t : targets) {
    if (t.supported) {
      EXPECT_EQ(t.name, best.name);
      break;
    }
  }
  EXPECT_EQ(dgen::Generator(dgen::DataSpec{}).simd().name, best.name);
}

// Under qemu (scripts/cross-aarch64.sh) each emulated CPU says which target "auto" must pick.
TEST(Simd, BestTargetIsTheExpectedOne) {
  const char* expect = std::getenv("DGEN_EXPECT_SIMD");
  if (expect == nullptr) GTEST_SKIP() << "DGEN_EXPECT_SIMD not set";
  std::string names;
  for (const auto& t : dgen::compiled_simd_targets())
    names += t.name + (t.supported ? "(supported) " : " ");
  EXPECT_EQ(dgen::best_simd_target().name, expect) << "compiled: " << names;
  std::printf("best target %s; compiled: %s\n", dgen::best_simd_target().name.c_str(),
              names.c_str());
}

TEST(Simd, UnknownNameListsTheAcceptedNames) {
  try {
    dgen::select_simd_target("neon9");
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--simd neon9"), std::string::npos) << msg;
    EXPECT_NE(msg.find("auto|"), std::string::npos) << msg;
    EXPECT_NE(msg.find("scalar"), std::string::npos) << msg;
  }
}

TEST(Simd, TargetTheCpuLacksIsRefusedClearly) {
  int unsupported = 0;
  for (const auto& t : dgen::compiled_simd_targets()) {
    if (t.supported) {
      EXPECT_EQ(dgen::select_simd_target(t.name).name, t.name);
      continue;
    }
    ++unsupported;
    try {
      dgen::select_simd_target(t.name);
      ADD_FAILURE() << t.name;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("does not support"), std::string::npos) << e.what();
    }
  }
  if (unsupported == 0) GTEST_SKIP() << "this CPU supports every compiled target";
}

}  // namespace
