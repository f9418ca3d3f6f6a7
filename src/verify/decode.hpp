// Where bytes of a stream came from, decoded from the bytes themselves: a random lane is two AES
// rounds over a counter that holds its unique unit and its lane (docs/data-model.md), so the
// inverse rounds give the counter back, and the counter names the first stream offset that
// carries those bytes. No header is written into the data to make this possible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/stream_layout.hpp"
#include "dgen/spec.hpp"

namespace dgen::verify {

class LaneDecoder {
 public:
  /// For the stream of `spec` that is `stream_length` bytes long. Decrypts with AES-NI where
  /// the CPU has it, else (or with `portable`) in plain code, a few times slower.
  LaneDecoder(const DataSpec& spec, std::uint64_t stream_length, bool portable = false);

  /// Whether it decrypts with AES-NI.
  bool aesni() const { return aesni_; }

  /// The stream offset of the 16 bytes at `lane`, if they are one of this stream's random
  /// lanes: the counter decodes to a lane index inside a unit's random part and a unique unit
  /// the stream has; the offset is that lane in the first unit carrying the unique unit.
  std::optional<std::uint64_t> decode(const std::byte* lane) const;

  /// Where the n bytes at p, stored at stream offset `here`, would start in the stream if they
  /// are a copy of stream bytes from elsewhere, shifted by any number of bytes: every 16-byte
  /// phase is tried on the first lanes. Only wrong lanes count (those that differ from `want`,
  /// the stream's bytes there): right bytes around a wrong one, or a duplicate unit's lanes,
  /// decode too.
  std::optional<std::uint64_t> locate(const std::byte* p, const std::byte* want, std::size_t n,
                                      std::uint64_t here) const;

 private:
  detail::StreamLayout layout_;
  std::uint64_t last_unique_ = 0;  ///< k(N-1): the largest unique unit of the stream
  bool aesni_ = false;
};

/// The 128-bit counter a 16-byte lane encrypts: a random lane's is (lane index in its unit,
/// unique unit); a pattern fill's has bit 63 of `lane` set.
struct LaneCounter {
  std::uint64_t lane = 0, unique = 0;
  /// Plausibly a random lane of some unit: a lane index inside the largest unit (1 MiB) and a
  /// unique unit below 2^58 (a foreign 16 bytes passes with a chance of about 2^-54).
  bool random() const { return lane < (1ULL << 16) && unique < (1ULL << 58); }
};

/// Decrypts lanes with the keys of one seed, whatever the stream's other options.
class SeedDecoder {
 public:
  explicit SeedDecoder(std::uint64_t seed);
  LaneCounter counter(const std::byte* lane) const;

 private:
  detail::StreamLayout layout_;
  bool aesni_ = false;
};

/// Whether the n bytes at p hold at least one random lane of a stream of `seed`, whatever the
/// stream's other data options (ratios, unit, fill) and wherever the bytes start: every 16-byte
/// phase is tried, and a lane counts when its counter decodes to a lane index inside the
/// largest unit (1 MiB) and a unique unit below 2^58. A foreign 16 bytes passes with a chance
/// of about 2^-54, so 8 KiB of any other data pass with a chance below 2^-41. Needs 16 bytes
/// or more; the first 4 KiB of any stream range hold a random lane in every phase.
bool carries_stream_of(std::uint64_t seed, const std::byte* p, std::size_t n);

}  // namespace dgen::verify
