#include "verify/decode.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <array>
#include <cstring>

#include "kernels/reference.hpp"

namespace dgen::verify {

namespace {

// Inverts lane = AESENC(AESENC(ctr ^ k0, k1), k2):
//   ctr = AESDECLAST(AESDEC(AESIMC(lane ^ k2), AESIMC(k1)), k0).
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("aes,sse2"))) void decrypt_aesni(const detail::StreamLayout& l,
                                                       const std::byte* lane,
                                                       std::uint64_t out[2]) {
  const __m128i k0 = _mm_load_si128(reinterpret_cast<const __m128i*>(l.round_keys[0]));
  const __m128i k1 = _mm_load_si128(reinterpret_cast<const __m128i*>(l.round_keys[1]));
  const __m128i k2 = _mm_load_si128(reinterpret_cast<const __m128i*>(l.round_keys[2]));
  const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(lane));
  const __m128i a = _mm_aesimc_si128(_mm_xor_si128(y, k2));
  const __m128i b = _mm_aesdec_si128(a, _mm_aesimc_si128(k1));
  const __m128i c = _mm_aesdeclast_si128(b, k0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), c);
}
#endif

// The same in portable code (Arm, x86 without AES-NI): each round undone as
// s = InvSubBytes(InvShiftRows(InvMixColumns(y ^ key))), the S-box inverted from the reference
// kernel's (kernels/reference.cpp).
std::uint8_t gmul(std::uint8_t a, std::uint8_t b) {
  std::uint8_t p = 0;
  for (int i = 0; i < 8; ++i) {
    if (b & 1) p ^= a;
    a = static_cast<std::uint8_t>((a << 1) ^ ((a & 0x80) ? 0x1B : 0));
    b >>= 1;
  }
  return p;
}

const std::array<std::uint8_t, 256>& inverse_sbox() {
  static const std::array<std::uint8_t, 256> inv = [] {
    std::array<std::uint8_t, 256> t{};
    for (int x = 0; x < 256; ++x)
      t[kernels::aes_sbox(static_cast<std::uint8_t>(x))] = static_cast<std::uint8_t>(x);
    return t;
  }();
  return inv;
}

void inverse_round(std::uint8_t s[16], const std::uint8_t key[16]) {
  const auto& inv = inverse_sbox();
  std::uint8_t m[16];
  for (int i = 0; i < 16; ++i) s[i] ^= key[i];
  for (int c = 0; c < 4; ++c) {  // InvMixColumns
    const std::uint8_t* a = s + 4 * c;
    for (int r = 0; r < 4; ++r) {
      m[4 * c + r] = gmul(a[r], 0x0e) ^ gmul(a[(r + 1) % 4], 0x0b) ^ gmul(a[(r + 2) % 4], 0x0d) ^
                     gmul(a[(r + 3) % 4], 0x09);
    }
  }
  // InvShiftRows and InvSubBytes: byte (row r, column c + r) goes back to column c.
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < 4; ++r) s[4 * ((c + r) % 4) + r] = inv[m[4 * c + r]];
}

void decrypt_portable(const detail::StreamLayout& l, const std::byte* lane, std::uint64_t out[2]) {
  std::uint8_t s[16];
  std::memcpy(s, lane, 16);
  for (int r = detail::kAesRounds; r >= 1; --r) inverse_round(s, l.round_keys[r]);
  for (int i = 0; i < 16; ++i) s[i] ^= l.round_keys[0][i];
  std::memcpy(out, s, 16);
}

void decrypt(const detail::StreamLayout& l, bool aesni, const std::byte* lane,
             std::uint64_t out[2]) {
#if defined(__x86_64__) || defined(__i386__)
  if (aesni) return decrypt_aesni(l, lane, out);
#endif
  (void)aesni;
  decrypt_portable(l, lane, out);
}

bool cpu_has_aesni() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("aes");
#else
  return false;
#endif
}

}  // namespace

LaneDecoder::LaneDecoder(const DataSpec& spec, std::uint64_t stream_length, bool portable)
    : layout_(detail::make_stream_layout(spec)), aesni_(cpu_has_aesni() && !portable) {
  const std::uint64_t units =
      stream_length == 0 ? 1 : ((stream_length - 1) >> layout_.unit_shift) + 1;
  last_unique_ = detail::unique_index(layout_, units - 1);
}

std::optional<std::uint64_t> LaneDecoder::decode(const std::byte* lane) const {
  std::uint64_t ctr[2];
  decrypt(layout_, aesni_, lane, ctr);
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

SeedDecoder::SeedDecoder(std::uint64_t seed) : aesni_(cpu_has_aesni()) {
  DataSpec spec;  // the keys come from the seed alone
  spec.seed = seed;
  layout_ = detail::make_stream_layout(spec);
}

LaneCounter SeedDecoder::counter(const std::byte* lane) const {
  std::uint64_t ctr[2];
  decrypt(layout_, aesni_, lane, ctr);
  return {ctr[0], ctr[1]};
}

bool carries_stream_of(std::uint64_t seed, const std::byte* p, std::size_t n) {
  const SeedDecoder decoder(seed);
  for (std::size_t phase = 0; phase < 16; ++phase) {
    for (std::size_t at = phase; at + 16 <= n; at += 16) {
      if (decoder.counter(p + at).random()) return true;
    }
  }
  return false;
}

}  // namespace dgen::verify
