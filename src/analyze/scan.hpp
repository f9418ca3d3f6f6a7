// One pass over a piece of a file: each unit at every unit size fingerprinted (the bytes hashed
// once, larger units derived), zero units counted, a deterministic sample of units and chunks
// compressed. Units and chunks start at the file's start; a file's last unit may be partial and
// counts as a unit of its own. Pure: the caller reads the bytes and sends the records on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "analyze/compress.hpp"
#include "analyze/fingerprint.hpp"

namespace dgen::analyze {

inline constexpr std::uint64_t kMinUnit = 512;
inline constexpr std::uint64_t kMaxUnit = 1ULL << 20;
inline constexpr std::uint64_t kMinChunk = 4096;
inline constexpr std::uint64_t kMaxChunk = 64ULL << 20;
inline constexpr int kMaxLevels = 12;  ///< 512 B .. 1 MiB

/// Exact sums of squares: integers, so that their total is the same whatever order threads and
/// ranks add them in (a double's would differ in the last digits past 2^53).
using WideSum = unsigned __int128;

/// Sums over compressed blocks for one estimate of a ratio and its interval: x = a block's
/// bytes, y = its compressed size per compressor.
struct SampleSums {
  std::uint64_t blocks = 0;
  /// > 0: the sums of squares are over this many groups of identical blocks (each group's
  /// totals: copies are sampled together, by fingerprint), and the interval's n is this count;
  /// 0: over the blocks.
  std::uint64_t groups = 0;
  std::uint64_t bytes = 0;
  CompressedSizes packed{};
  WideSum xx = 0;
  std::array<WideSum, kCompressors> yy{}, xy{};
  /// With groups: the same sums over one copy of each group (its chunk's own x and y), for the
  /// spread of compressibility between distinct chunks.
  WideSum xx1 = 0;
  std::array<WideSum, kCompressors> yy1{}, xy1{};
  void add(std::uint64_t x, const CompressedSizes& y);
  void merge(const SampleSums& o);
};

/// What a scan counted at one unit size (or of the chunks).
struct LevelTally {
  std::uint64_t units = 0;       ///< units, a partial last one of a file included
  std::uint64_t bytes = 0;       ///< their bytes
  std::uint64_t zero_units = 0;  ///< units whose bytes are all zero
  std::uint64_t zero_bytes = 0;  ///< their bytes
  /// Every zero unit's compressed size, exactly (one compression per length): zero units share
  /// one fingerprint, so a sample by fingerprint would take all of them or none.
  CompressedSizes zero_packed{};
  SampleSums sample;  ///< the compressed units that are not all zero (all of them with --sample 1)
  void merge(const LevelTally& o);
};

/// A sampled chunk as its fingerprint's owner needs it (--sample below 1): copies of a chunk
/// are in the sample together, so the interval takes each distinct chunk's copies as one draw.
struct ChunkSample {
  Fingerprint fp;
  std::uint64_t bytes = 0;
  CompressedSizes packed{};
};

/// The sums over sampled chunks with each distinct chunk (by fingerprint) one group: its
/// copies' bytes and compressed bytes summed before they are squared. `chunks` is sorted by
/// fingerprint in place. blocks counts every chunk, groups the distinct ones.
SampleSums grouped_sums(std::vector<ChunkSample>& chunks);

/// A unit as its fingerprint's owner needs it. `zstd` is kNotCompressed when the unit is not in
/// the compression sample.
struct UnitRecord {
  Fingerprint fp;
  std::uint32_t length_level = 0;  ///< length | level << 24
  std::uint32_t zstd = 0;
  std::uint32_t length() const { return length_level & 0xFFFFFFu; }
  int level() const { return static_cast<int>(length_level >> 24); }
};
static_assert(sizeof(UnitRecord) == 24);
inline constexpr std::uint32_t kNotCompressed = 0xFFFFFFFFu;

/// Whether a fingerprint's high half is below fraction * 2^64: the sample rule for --sample
/// and for the estimator's kept fingerprints (docs/analyze.md). fraction >= 1: always.
class Threshold {
 public:
  explicit Threshold(double fraction);
  bool takes(std::uint64_t hi) const { return all_ || hi < limit_; }
  double fraction() const { return fraction_; }

 private:
  double fraction_;
  bool all_;
  std::uint64_t limit_;
};

/// What to measure.
struct ScanSettings {
  std::vector<std::uint64_t> units;  ///< ascending powers of two, kMinUnit..kMaxUnit
  std::uint64_t chunk = 1ULL << 20;  ///< whole-data compression block
  double sample = 1;                 ///< fraction of units (and chunks) compressed
  double keep = 1;                   ///< fraction of fingerprints sent on (the estimator)
  /// Pieces start at multiples of this from the file's start: the largest unit or chunk.
  std::uint64_t alignment() const;
};

/// One thread's scanner: compressors and scratch space kept between pieces.
class Scanner {
 public:
  explicit Scanner(const ScanSettings& settings);

  /// Scans [p, p + n), which starts at a multiple of settings.alignment() in its file and is
  /// either a multiple of it long or the file's end. Adds to `levels` (one per unit size) and
  /// `chunks`; appends the kept units' records to `out`, a zero unit's only once per size and
  /// length until new_round() (a repeat changes no count, and would all go to one owner).
  void scan(const std::byte* p, std::size_t n, std::vector<LevelTally>& levels, LevelTally& chunks,
            std::vector<UnitRecord>& out);

  /// Counts `n` bytes of zeros as scan() counts them when it reads them (the same tallies and
  /// records), without any bytes: a hole of a sparse file. The same rule for where they start
  /// and end as scan()'s; n may be far larger than a piece.
  void scan_zeros(std::uint64_t n, std::vector<LevelTally>& levels, LevelTally& chunks,
                  std::vector<UnitRecord>& out);

  /// With --sample below 1: every chunk compressed so far, with its fingerprint.
  std::vector<ChunkSample>& sampled_chunks() { return sampled_chunks_; }

  /// Forgets which zero units were sent: call when `out` has been sent.
  void new_round();

  /// Seconds spent so far fingerprinting and compressing, on this thread.
  double hash_seconds() const { return hash_seconds_; }
  double compress_seconds() const { return compress_seconds_; }
  /// Of which in each compressor.
  const std::array<double, kCompressors>& compressor_seconds() const {
    return compressors_.seconds();
  }

 private:
  ScanSettings settings_;
  Threshold sample_, keep_;
  Compressors compressors_;
  Fingerprint zero_fp_;  ///< of a whole smallest unit of zeros
  std::vector<Fingerprint> small_;
  std::vector<unsigned char> small_zero_;
  std::vector<std::vector<std::uint32_t>> zero_sent_;  ///< per level: lengths sent this round
  std::vector<std::pair<std::size_t, CompressedSizes>> zero_sizes_;  ///< per length, computed once
  CompressedSizes zero_sizes(std::size_t n);
  /// The fingerprint scan() gives a unit of `n` zeros at level k, computed once per (k, n).
  Fingerprint zero_unit(std::size_t k, std::size_t n);
  std::vector<std::pair<std::size_t, Fingerprint>> zero_units_;  ///< (k << 32 | n, fingerprint)
  /// Whether a zero unit of this level and length is the first this round (its record is sent
  /// once: a repeat changes no count).
  bool first_zero_this_round(std::size_t k, std::size_t len);
  void add_zeros(LevelTally& tally, std::uint64_t count, std::size_t len);
  double hash_seconds_ = 0, compress_seconds_ = 0;
  std::vector<ChunkSample> sampled_chunks_;
};

}  // namespace dgen::analyze
