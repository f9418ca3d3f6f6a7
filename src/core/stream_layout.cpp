#include "core/stream_layout.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace dgen::detail {

namespace {

// Bytes that zstd, lz4 and zlib spend on a block's compressible fill and framing, on average;
// taken off the random part so that the measured ratios centre on the requested one
// (tests/test_compressibility.cpp measures all three).
constexpr double kCompressorOverhead = 28.0;

// SplitMix64 (Steele, Lea, Flood 2014): expands the 64-bit seed into keys.
class SeedExpander {
 public:
  explicit SeedExpander(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return mix64(state_ += 0x9E3779B97F4A7C15ULL); }

 private:
  std::uint64_t state_;
};

}  // namespace

StreamLayout make_stream_layout(const DataSpec& spec) {
  StreamLayout l{};
  SeedExpander keys(spec.seed);
  for (auto& key : l.round_keys) {
    const std::uint64_t halves[2] = {keys.next(), keys.next()};
    std::memcpy(key, halves, sizeof key);
  }
  l.dedup_key = keys.next();
  l.unique_step = static_cast<std::uint64_t>(std::llround(std::ldexp(1.0 / spec.dedup_ratio, 32)));
  l.unit_shift = static_cast<std::uint32_t>(std::countr_zero(spec.dedup_unit));
  l.min_dup_units = std::max<std::uint64_t>(1, kMinDuplicateDistance >> l.unit_shift);
  l.block_size =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(spec.dedup_unit, kMaxBlockSize));
  if (spec.compress_ratio == 1.0) {
    l.random_bytes = l.block_size;
  } else {
    // Whole 16-byte lanes of random data: the fill then ends on a lane boundary.
    const double target = (l.block_size / spec.compress_ratio - kCompressorOverhead) / 16.0;
    l.random_bytes = 16 * static_cast<std::uint32_t>(std::clamp<double>(
                              std::round(target), kMinRandomBytes / 16, l.block_size / 16));
  }
  l.pattern_fill = spec.compress_fill == CompressFill::kPattern;
  return l;
}

}  // namespace dgen::detail
