// The portable reference of the stream: plain C++, no SIMD, written to be read. It defines the
// bytes every SIMD target must reproduce (tests compare them) and serves the `scalar` target.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/stream_layout.hpp"

namespace dgen::kernels {

/// Counter domain of each block's fill pattern; random lanes use lane indices below 2^16.
inline constexpr std::uint64_t kPatternDomain = 1ULL << 63;

/// The 32-bit word a block's pattern fill repeats, from the first word of its encrypted
/// counter; never zero, so that pattern fill is never a zero block.
constexpr std::uint32_t pattern_word(std::uint32_t first_word) {
  return first_word != 0 ? first_word : 0x9E3779B9u;
}

/// One AES encryption round (SubBytes, ShiftRows, MixColumns, AddRoundKey) on a 16-byte
/// state in FIPS-197 byte order, as the x86 AESENC instruction computes it.
void aes_round(std::uint8_t state[16], const std::uint8_t round_key[16]);

/// The AES S-box (FIPS-197 5.1.1): byte x substituted.
std::uint8_t aes_sbox(std::uint8_t x);

/// The stream's 16-byte value for counter (lo, hi): key XOR, then kAesRounds AES rounds.
void encrypt_counter(const detail::StreamLayout& layout, std::uint64_t lo, std::uint64_t hi,
                     std::uint8_t out[16]);

/// Writes stream bytes [offset, offset + len) to dst, lane by lane. Each block is its fill
/// followed by its random bytes; see docs/data-model.md.
void generate_reference(const detail::StreamLayout& layout, std::uint64_t offset, std::size_t len,
                        std::uint8_t* dst);

}  // namespace dgen::kernels
