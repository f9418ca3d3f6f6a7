// The parameters that, with a byte offset, determine every byte of a dgen stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dgen {

/// The seed used when none is given: a fixed, documented number so that runs are reproducible.
inline constexpr std::uint64_t kDefaultSeed = 0x5EED'D6E0'2026'0001ULL;

/// What the compressible part of each block holds.
enum class CompressFill {
  kZero,     ///< zero bytes (storage that detects zero blocks may skip them)
  kPattern,  ///< a non-zero 16-byte pattern that differs from block to block (default)
};

/// Every data parameter of a stream. Two streams with equal specs are equal byte for byte.
///
/// Example: a stream that deduplicates 2:1 at 8 KiB and compresses 3:1:
///   dgen::DataSpec spec;
///   spec.dedup_ratio = 2.0;
///   spec.dedup_unit = 8192;
///   spec.compress_ratio = 3.0;
struct DataSpec {
  std::uint64_t seed = kDefaultSeed;                    ///< any 64-bit number
  double dedup_ratio = 1.0;                             ///< units / distinct units, 1 to 100
  std::uint64_t dedup_unit = 4096;                      ///< bytes, a power of two, 512 B to 1 MiB
  double compress_ratio = 1.0;                          ///< bytes / compressed bytes, 1 to 100
  CompressFill compress_fill = CompressFill::kPattern;  ///< what the compressible bytes are

  friend bool operator==(const DataSpec&, const DataSpec&) = default;
};

/// Accepted ranges, shared by validation, the CLI help and the docs.
inline constexpr double kMinDedupRatio = 1.0;
inline constexpr double kMaxDedupRatio = 100.0;
inline constexpr std::uint64_t kMinDedupUnit = 512;
inline constexpr std::uint64_t kMaxDedupUnit = 1ULL << 20;
inline constexpr double kMinCompressRatio = 1.0;
inline constexpr double kMaxCompressRatio = 100.0;

/// Throws std::invalid_argument with a one-line message naming the field, the value and the
/// accepted range if any field of `spec` is outside its range.
void validate(const DataSpec& spec);

/// "zero" or "pattern".
std::string_view to_string(CompressFill fill);

/// Parses "zero" or "pattern"; throws std::invalid_argument otherwise.
CompressFill parse_compress_fill(std::string_view text);

}  // namespace dgen
