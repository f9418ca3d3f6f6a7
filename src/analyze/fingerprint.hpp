// Fingerprints of deduplication units: XXH3-128 of a unit's bytes at the smallest unit size, and
// for every larger size a fingerprint derived from its smallest units' fingerprints, so that the
// bytes are hashed once whatever the number of unit sizes (docs/analyze.md).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dgen::analyze {

/// A unit's 128-bit fingerprint: XXH3-128's high and low 64 bits.
struct Fingerprint {
  std::uint64_t hi = 0, lo = 0;
  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

/// XXH3-128 (seed 0) of [p, p + n).
Fingerprint fingerprint_of(const std::byte* p, std::size_t n);

/// The fingerprint of a unit made of `n` consecutive smaller units: XXH3-128 of their
/// fingerprints' canonical (big-endian, high half first) 16-byte forms, concatenated. Two units
/// get the same one exactly when their parts' fingerprints are equal in number and order.
Fingerprint combine(const Fingerprint* parts, std::size_t n);

/// Whether all of [p, p + n) is zero.
bool all_zero(const std::byte* p, std::size_t n);

}  // namespace dgen::analyze
