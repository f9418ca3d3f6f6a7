// XXH3-128 compiled for several x86-64 vector extensions (SSE2, AVX2, AVX-512) from the one
// xxhash.h, picked at run time: Debian's libxxhash is built for SSE2 only (17 GB/s per core
// here, against 50 with AVX2). Every variant gives the same hash (XXH3 is defined bit for bit);
// tests/test_analyze.cpp checks each against libxxhash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dgen::analyze {

/// One compiled variant.
struct Xxh3Target {
  const char* name;  ///< "sse2", "avx2", "avx512" (or "portable" off x86-64)
  void (*hash)(const void* p, std::size_t n, std::uint64_t* hi, std::uint64_t* lo);
  bool supported;  ///< this CPU runs it
};

/// Every compiled variant, the baseline first.
const std::vector<Xxh3Target>& xxh3_targets();

/// The best supported variant (chosen once).
const Xxh3Target& xxh3_best();

}  // namespace dgen::analyze
