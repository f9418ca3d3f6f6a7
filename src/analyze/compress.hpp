// The compressors an inline storage engine uses, each run on one block alone: zstd level 3,
// lz4 (LZ4_compress_default, acceleration 1) and zlib level 6 (compress2's zlib format). A
// block that does not shrink is kept as it is, as engines do: its size counts, not more.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dgen::analyze {

/// The compressors, in report order.
enum class Compressor { kZstd, kLz4, kZlib };
inline constexpr int kCompressors = 3;

/// "zstd", "lz4", "zlib".
const char* name_of(Compressor c);

/// Compressed sizes of one block, per Compressor.
using CompressedSizes = std::array<std::uint64_t, kCompressors>;

/// One thread's compressors: contexts and an output buffer kept between calls (zlib's state is
/// reset, not rebuilt, so a 4 KiB block costs no allocation). Not thread safe: one per thread.
class Compressors {
 public:
  Compressors();
  ~Compressors();
  Compressors(const Compressors&) = delete;
  Compressors& operator=(const Compressors&) = delete;

  /// min(n, compressed size) of [p, p + n) for compressor c. Throws std::runtime_error when a
  /// library fails.
  std::uint64_t size(Compressor c, const std::byte* p, std::size_t n);

  /// The same for every compressor.
  CompressedSizes sizes(const std::byte* p, std::size_t n);

  /// The memory one thread's compressors take for blocks of up to `block` bytes: measured (a
  /// block of zeros compressed by each, zstd's context asked its size) plus zlib's documented
  /// state, (1 << (windowBits + 2)) + (1 << (memLevel + 9)) bytes, and the output buffer.
  static std::uint64_t footprint(std::size_t block);

  /// Seconds spent in each compressor so far.
  const std::array<double, kCompressors>& seconds() const { return seconds_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::array<double, kCompressors> seconds_{};
};

}  // namespace dgen::analyze
