#include "verify/decode.hpp"

#include <immintrin.h>

#include <cstring>

namespace dgen::verify {

namespace {

// Inverts lane = AESENC(AESENC(ctr ^ k0, k1), k2):
//   ctr = AESDECLAST(AESDEC(AESIMC(lane ^ k2), AESIMC(k1)), k0).
__attribute__((target("aes,sse2"))) void decrypt(const detail::StreamLayout& l,
                                                 const std::byte* lane, std::uint64_t out[2]) {
  const __m128i k0 = _mm_load_si128(reinterpret_cast<const __m128i*>(l.round_keys[0]));
  const __m128i k1 = _mm_load_si128(reinterpret_cast<const __m128i*>(l.round_keys[1]));
  const __m128i k2 = _mm_load_si128(reinterpret_cast<const __m128i*>(l.round_keys[2]));
  const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(lane));
  const __m128i a = _mm_aesimc_si128(_mm_xor_si128(y, k2));
  const __m128i b = _mm_aesdec_si128(a, _mm_aesimc_si128(k1));
  const __m128i c = _mm_aesdeclast_si128(b, k0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), c);
}

}  // namespace

LaneDecoder::LaneDecoder(const DataSpec& spec, std::uint64_t stream_length)
    : layout_(detail::make_stream_layout(spec)), available_(__builtin_cpu_supports("aes")) {
  const std::uint64_t units =
      stream_length == 0 ? 1 : ((stream_length - 1) >> layout_.unit_shift) + 1;
  last_unique_ = detail::unique_index(layout_, units - 1);
}

std::optional<std::uint64_t> LaneDecoder::decode(const std::byte* lane) const {
  if (!available_) return std::nullopt;
  std::uint64_t ctr[2];
  decrypt(layout_, lane, ctr);
  const std::uint64_t lane_index = ctr[0], unique = ctr[1];
  const std::uint64_t unit_bytes = 1ULL << layout_.unit_shift;
  // Bit 63 of the low word marks the fill's pattern counters: never a random lane.
  if (lane_index >= unit_bytes / 16 || unique > last_unique_) return std::nullopt;
  const std::uint64_t in_block = (lane_index * 16) % layout_.block_size;
  if (in_block < layout_.block_size - layout_.random_bytes) return std::nullopt;  // fill
  // The first unit u with k(u) = unique: ceil(unique * 2^32 / step).
  const unsigned __int128 scaled = static_cast<unsigned __int128>(unique) << 32;
  const auto unit =
      static_cast<std::uint64_t>((scaled + layout_.unique_step - 1) / layout_.unique_step);
  if (detail::unique_index(layout_, unit) != unique) return std::nullopt;  // no unit carries it
  return (unit << layout_.unit_shift) + lane_index * 16;
}

std::optional<std::uint64_t> LaneDecoder::locate(const std::byte* p, const std::byte* want,
                                                 std::size_t n, std::uint64_t here) const {
  // The first 4 KiB hold at least one whole random lane in every phase (every block ends in
  // at least 16 random bytes); a few more lanes cover a range that starts inside a fill.
  const std::size_t span = n < 8192 ? n : 8192;
  for (std::size_t phase = 0; phase < 16; ++phase) {
    for (std::size_t at = phase; at + 16 <= span; at += 16) {
      if (std::memcmp(p + at, want + at, 16) == 0) continue;  // a right lane
      const auto origin = decode(p + at);
      if (origin && *origin >= at && *origin != here + at) return *origin - at;
    }
  }
  return std::nullopt;
}

}  // namespace dgen::verify
