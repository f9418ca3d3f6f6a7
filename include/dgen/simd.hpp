// The SIMD kernels compiled into this build and the choice between them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dgen {

/// One compiled kernel target (a Highway target, or AVX2 with 256-bit VAES).
struct SimdTarget {
  std::string name;  ///< the --simd name: "scalar", "sse4", "avx2", "avx2-vaes", "avx512", ...
  bool supported = false;  ///< whether this CPU can run it

  friend bool operator==(const SimdTarget& a, const SimdTarget& b) { return a.name == b.name; }
};

/// Every target compiled into this binary, best first, with whether this CPU supports it.
std::vector<SimdTarget> compiled_simd_targets();

/// The best compiled target this CPU supports (what "auto" picks).
SimdTarget best_simd_target();

/// Resolves a --simd value: "auto" or a compiled target's name. Throws std::invalid_argument
/// naming the value and the accepted names when it is unknown, and when this CPU lacks it.
SimdTarget select_simd_target(std::string_view name);

}  // namespace dgen
