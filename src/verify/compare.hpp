// Comparing data read back with the stream it should be, and describing each wrong range: a
// hole (zeros, or one repeated byte), bytes of this same stream from elsewhere (a misdirected,
// stale or shifted write; named by decoding their lanes), or foreign bytes. Pure: no MPI, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dgen/generator.hpp"
#include "verify/decode.hpp"

namespace dgen::verify {

/// Wrong ranges closer than this merge into one (a zeroed range matches the zero fill of
/// `--compress-fill zero` and would otherwise split into many).
inline constexpr std::uint64_t kMergeDistance = 4096;

/// One wrong range of the stream.
struct Mismatch {
  std::uint64_t offset = 0;  ///< global stream offset of the first wrong byte
  std::uint64_t length = 0;  ///< bytes from there to the end of the last wrong byte
  /// "zeros", "constant", "stream" or "foreign"; a file's length: "beyond the stream", or
  /// "missing" (no such file) and "truncated" (a short file), whose bytes from file_offset on
  /// are not there
  std::string holds;
  int constant = -1;                           ///< "constant": the byte value
  std::optional<std::uint64_t> stream_offset;  ///< "stream": where its bytes belong
  int expected = -1, found = -1;               ///< the first wrong byte: what should be, what is
  std::uint64_t file = 0, file_offset = 0;     ///< where the first wrong byte is stored

  // While the range grows: whether every wrong byte so far had one value, and where decoding
  // its first bytes placed it. describe() turns these into `holds`.
  bool uniform = true;
  int value = -1;
  std::optional<std::uint64_t> located;
  void describe();
};

/// What one thread (or rank) found, in stream order.
class MismatchLog {
 public:
  explicit MismatchLog(std::size_t keep = 16) : keep_(keep) {}

  /// Compares n bytes read (`got`) with the stream's (`want`), which start at stream offset
  /// `offset` and at `file_offset` of file `file`. Calls come in increasing offset order.
  void compare(const std::byte* got, const std::byte* want, std::size_t n, std::uint64_t offset,
               std::uint64_t file, std::uint64_t file_offset, const LaneDecoder& decoder);

  std::uint64_t wrong_bytes() const { return wrong_bytes_; }
  std::uint64_t wrong_blocks() const { return wrong_blocks_; }   ///< 4 KiB blocks of the stream
  const std::vector<Mismatch>& first() const { return first_; }  ///< at most `keep`, merged
  std::uint64_t ranges() const { return ranges_; }               ///< wrong ranges in all, merged

 private:
  std::size_t keep_;
  std::uint64_t wrong_bytes_ = 0, wrong_blocks_ = 0, ranges_ = 0;
  std::uint64_t last_block_ = UINT64_MAX;  ///< the last 4 KiB block counted
  std::uint64_t open_end_ = 0;             ///< end of the last range, to merge the next into
  bool have_open_ = false;
  bool open_kept_ = false;  ///< the open range is first_.back()
  std::vector<Mismatch> first_;
};

/// The stream is regenerated for a comparison in pieces of this size, which stay in the L1 and
/// L2 caches beside the bytes read.
inline constexpr std::size_t kComparePiece = 8 << 10;

/// Compares the n bytes at `got`, read from stream offset `offset` (stored at `file_offset` of
/// `file`), with the stream `generator` makes, regenerated piece by piece into `scratch`
/// (kComparePiece bytes at least), and notes what differs in `log`.
void compare_with_stream(const Generator& generator, MismatchLog& log, const std::byte* got,
                         std::size_t n, std::uint64_t offset, std::uint64_t file,
                         std::uint64_t file_offset, std::byte* scratch, const LaneDecoder& decoder);

/// Merges the first mismatches of several logs (threads, ranks) into stream order, joining
/// ranges closer than kMergeDistance (a missing or truncated range only with the same file's
/// range it continues), and keeps the first `keep`.
std::vector<Mismatch> merge_mismatches(std::vector<Mismatch> all, std::size_t keep);

}  // namespace dgen::verify
