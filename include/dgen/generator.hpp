// The generator: any byte range of the stream a DataSpec describes, with a SIMD kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "dgen/simd.hpp"
#include "dgen/spec.hpp"

namespace dgen {

/// How the generator writes into memory.
enum class StoreMode {
  kCached,     ///< ordinary stores: best when the data is read back soon (writing, verifying)
  kStreaming,  ///< non-temporal stores: best when filling a buffer much larger than the caches
};

/// Generates the bytes of one stream. The bytes at global offset x depend only on the spec and
/// x: any split of a range into calls, threads or ranks gives the same bytes, and so does every
/// SIMD target. Thread-safe: one Generator may serve many threads at once.
///
/// Example: fill a buffer with bytes [1 GiB, 1 GiB + 4 MiB) of the default stream:
///   dgen::Generator gen(dgen::DataSpec{});
///   std::vector<std::byte> buf(4 << 20);
///   gen.generate(1ULL << 30, buf);
class Generator {
 public:
  /// Validates `spec` (throws std::invalid_argument) and picks the kernel for `simd`;
  /// a SimdTarget without a name means the best one this CPU supports.
  explicit Generator(const DataSpec& spec, SimdTarget simd = {});

  /// Writes the stream's bytes [offset, offset + out.size()) into `out`. The stream has 2^64
  /// bytes; a range past its end throws std::out_of_range.
  void generate(std::uint64_t offset, std::span<std::byte> out,
                StoreMode mode = StoreMode::kCached) const;

  /// The spec this generator was built with.
  const DataSpec& spec() const;

  /// The SIMD target whose kernel this generator runs.
  const SimdTarget& simd() const;

  /// Bytes of random data in each compression block (the rest is fill); see docs/data-model.md.
  std::uint32_t random_bytes_per_block() const;

  /// The compression block: min(dedup unit, 4 KiB).
  std::uint32_t block_size() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace dgen
