#include "kernels/reference.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace dgen::kernels {

namespace {

// The AES S-box, computed once from its definition (multiplicative inverse in GF(2^8), then the
// affine map) rather than typed in.
constexpr std::array<std::uint8_t, 256> make_sbox() {
  std::array<std::uint8_t, 256> sbox{};
  std::uint8_t p = 1, q = 1;
  do {
    // p runs over the multiplicative group (times 3), q over the inverses (divided by 3).
    p = static_cast<std::uint8_t>(p ^ (p << 1) ^ ((p & 0x80) ? 0x1B : 0));
    q ^= static_cast<std::uint8_t>(q << 1);
    q ^= static_cast<std::uint8_t>(q << 2);
    q ^= static_cast<std::uint8_t>(q << 4);
    if (q & 0x80) q ^= 0x09;
    const auto rotl8 = [](std::uint8_t x, int s) {
      return static_cast<std::uint8_t>((x << s) | (x >> (8 - s)));
    };
    sbox[p] =
        static_cast<std::uint8_t>(q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63);
  } while (p != 1);
  sbox[0] = 0x63;
  return sbox;
}
constexpr std::array<std::uint8_t, 256> kSbox = make_sbox();
static_assert(kSbox[0x00] == 0x63 && kSbox[0x01] == 0x7C && kSbox[0x53] == 0xED);

constexpr std::uint8_t xtime(std::uint8_t x) {
  return static_cast<std::uint8_t>((x << 1) ^ ((x & 0x80) ? 0x1B : 0));
}

}  // namespace

std::uint8_t aes_sbox(std::uint8_t x) { return kSbox[x]; }

void aes_round(std::uint8_t s[16], const std::uint8_t round_key[16]) {
  std::uint8_t t[16];
  // SubBytes and ShiftRows: byte (row r, column c) comes from column c + r.
  for (int c = 0; c < 4; ++c) {
    for (int r = 0; r < 4; ++r) t[4 * c + r] = kSbox[s[4 * ((c + r) % 4) + r]];
  }
  // MixColumns, then AddRoundKey.
  for (int c = 0; c < 4; ++c) {
    const std::uint8_t* a = t + 4 * c;
    const std::uint8_t all = a[0] ^ a[1] ^ a[2] ^ a[3];
    for (int r = 0; r < 4; ++r) {
      s[4 * c + r] = static_cast<std::uint8_t>(a[r] ^ all ^ xtime(a[r] ^ a[(r + 1) % 4]) ^
                                               round_key[4 * c + r]);
    }
  }
}

void encrypt_counter(const detail::StreamLayout& l, std::uint64_t lo, std::uint64_t hi,
                     std::uint8_t out[16]) {
  std::memcpy(out, &lo, 8);  // little-endian, as the SIMD kernels lay out their u64 lanes
  std::memcpy(out + 8, &hi, 8);
  for (int i = 0; i < 16; ++i) out[i] ^= l.round_keys[0][i];
  for (int r = 1; r <= detail::kAesRounds; ++r) aes_round(out, l.round_keys[r]);
}

void generate_reference(const detail::StreamLayout& l, std::uint64_t offset, std::size_t len,
                        std::uint8_t* dst) {
  // Counted down rather than up to offset + len, which is 0 for a range that ends the 2^64-byte
  // stream.
  std::uint64_t left = len;
  const std::uint64_t fill_bytes = l.block_size - l.random_bytes;
  std::uint8_t lane[16];
  for (std::uint64_t x = offset; left > 0;) {
    const std::uint64_t unit = x >> l.unit_shift;
    const std::uint64_t uid = detail::source_unit(l, unit);
    const std::uint64_t o = x & ((1ULL << l.unit_shift) - 1);  // offset in the unit
    const std::uint64_t in_block = o % l.block_size;
    const std::uint64_t lane_begin = o & ~15ULL;
    // Bytes of this 16-byte lane to emit: up to the lane's end, the stream's end, and the
    // boundary between the fill and random parts of the block.
    std::uint64_t n = std::min(lane_begin + 16 - o, left);
    if (in_block >= fill_bytes) {
      encrypt_counter(l, lane_begin / 16, uid, lane);
    } else {
      n = std::min(n, fill_bytes - in_block);
      std::uint32_t word = 0;
      if (l.pattern_fill) {
        encrypt_counter(l, kPatternDomain | (o / l.block_size), uid, lane);
        std::memcpy(&word, lane, 4);
        word = pattern_word(word);
      }
      for (int i = 0; i < 16; i += 4) std::memcpy(lane + i, &word, 4);
    }
    std::memcpy(dst, lane + (o - lane_begin), n);
    x += n;
    dst += n;
    left -= n;
  }
}

}  // namespace dgen::kernels
