#include "analyze/fingerprint.hpp"

#include "analyze/xxh3_targets.hpp"

#include <cstring>
#include <stdexcept>

namespace dgen::analyze {

Fingerprint fingerprint_of(const std::byte* p, std::size_t n) {
  static const auto hash = xxh3_best().hash;
  Fingerprint f;
  hash(p, n, &f.hi, &f.lo);
  return f;
}

Fingerprint combine(const Fingerprint* parts, std::size_t n) {
  // A unit of up to 2048 parts (1 MiB of 512 B units): 32 KiB on the stack.
  constexpr std::size_t kMaxParts = 2048;
  // XXH128_canonicalFromHash's form: the high half, then the low half, each big-endian.
  std::uint64_t canonical[2 * kMaxParts];
  if (n > kMaxParts) throw std::invalid_argument("combine: more than 2048 parts");
  for (std::size_t i = 0; i < n; ++i) {
    canonical[2 * i] = __builtin_bswap64(parts[i].hi);
    canonical[2 * i + 1] = __builtin_bswap64(parts[i].lo);
  }
  return fingerprint_of(reinterpret_cast<const std::byte*>(canonical), n * 16);
}

bool all_zero(const std::byte* p, std::size_t n) {
  // The first 8-byte word is zero and the rest equals it shifted: one memcmp, at memory speed.
  if (n == 0) return true;
  if (n < 64) {
    for (std::size_t i = 0; i < n; ++i)
      if (p[i] != std::byte{0}) return false;
    return true;
  }
  static constexpr std::byte kZeros[64] = {};
  if (std::memcmp(p, kZeros, 64) != 0) return false;
  return std::memcmp(p, p + 64, n - 64) == 0;
}

}  // namespace dgen::analyze
