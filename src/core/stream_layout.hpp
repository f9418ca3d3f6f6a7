// How a DataSpec becomes a stream: the parameters the kernels run on and the dedup map.
// Private to the library; docs/data-model.md describes the same rules for users.
#pragma once

#include <cstdint>

#include "dgen/spec.hpp"

namespace dgen::detail {

/// AES rounds applied to each 16-byte counter block (after the initial key XOR).
inline constexpr int kAesRounds = 2;

/// The largest compression block: a dedup engine working at 4 KiB sees distinct blocks.
inline constexpr std::uint32_t kMaxBlockSize = 4096;

/// Minimum random bytes per block: one whole counter block, so that no two units are equal.
inline constexpr std::uint32_t kMinRandomBytes = 16;

/// Duplicates refer back at least this many bytes (when the stream is long enough), beyond the
/// windows of zlib (32 KiB) and lz4 (64 KiB) and most of zstd level 3's.
inline constexpr std::uint64_t kMinDuplicateDistance = 1ULL << 20;

/// The plain-data parameters every kernel target receives.
struct StreamLayout {
  alignas(16) std::uint8_t round_keys[kAesRounds + 1][16];  ///< from the seed
  std::uint64_t dedup_key;      ///< from the seed; picks which earlier unit a duplicate copies
  std::uint64_t unique_step;    ///< 2^32 / dedup ratio, rounded: unique units per unit, 32.32
  std::uint64_t min_dup_units;  ///< kMinDuplicateDistance in units (at least 1)
  std::uint32_t unit_shift;     ///< log2(dedup unit)
  std::uint32_t block_size;     ///< min(dedup unit, 4 KiB)
  std::uint32_t random_bytes;   ///< random bytes at the start of each block; the rest is fill
  bool pattern_fill;            ///< fill with the block's pattern (true) or zeros (false)
};

/// Derives the layout from a validated spec.
StreamLayout make_stream_layout(const DataSpec& spec);

/// SplitMix64's output function: a bijective 64-bit mixer (Steele, Lea, Flood 2014).
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Index of the last unique unit at or before unit `u`: floor(u / dedup ratio) in 32.32 fixed
/// point, so it is exact, monotonic and steps by 0 or 1.
constexpr std::uint64_t unique_index(const StreamLayout& l, std::uint64_t u) {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(u) * l.unique_step) >> 32);
}

/// The unique unit whose bytes unit `u` of the stream carries. Unit u is a new unique unit when
/// unique_index steps at u; otherwise it copies an earlier unique unit, picked by a hash of u
/// among those at least min_dup_units back (among all earlier ones near the stream's start).
/// Depends on u alone, so every prefix of the stream has the same units.
constexpr std::uint64_t source_unit(const StreamLayout& l, std::uint64_t u) {
  const std::uint64_t k = unique_index(l, u);
  if (u == 0 || unique_index(l, u - 1) != k) return k;
  const std::uint64_t candidates =
      (u >= l.min_dup_units ? unique_index(l, u - l.min_dup_units) : k) + 1;
  const std::uint64_t h = mix64(u ^ l.dedup_key);
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(h) * candidates) >> 64);
}

}  // namespace dgen::detail
