// How much of the analysis fits in memory: what a rank's fingerprint sets, buffers, compressors
// and sampled chunks take, checked before any byte is read. When the sets would not fit, only a
// fraction of the fingerprints (below a hash threshold) is counted and the figures are scaled
// up by the estimator, never swapped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/dataset.hpp"
#include "analyze/scan.hpp"

namespace dgen::analyze {

/// Bytes each thread reads per round: the records a round sends stay small (below 1 % of it
/// at 4 KiB units), and a stop signal or an error is acted on within a round.
inline constexpr std::uint64_t kRoundBytesPerThread = 16ULL << 20;

/// The keys one set may have to hold: its expected share of `units` (uniform over owners and
/// threads) and a margin of 8 standard deviations, so that overflowing is never seen.
std::uint64_t set_keys(std::uint64_t units, double keep, int ranks, int threads);

/// What one rank of `ranks`, with `threads` threads, needs to analyze `files` as `settings`
/// ask, and the largest fraction of fingerprints kept that fits its budget.
class MemoryPlan {
 public:
  MemoryPlan(const std::vector<InputFile>& files, const ScanSettings& settings, int ranks,
             int threads);
  /// Per unit size: the most distinct units the files can hold (a hole's units share one
  /// fingerprint), what the sets are sized for.
  const std::vector<std::uint64_t>& units_per_level() const { return units_per_level_; }
  /// The bytes the rank takes with fraction `keep` of the fingerprints counted.
  std::uint64_t need(double keep) const;
  /// The largest keep fraction (1 when all fit) whose need is within `budget`; sets `error`
  /// (the line the job ends with) when even the buffers alone do not fit.
  double keep_within(std::uint64_t budget, std::string& error) const;

 private:
  std::vector<std::uint64_t> units_per_level_;
  int ranks_, threads_;
  std::uint64_t alignment_, smallest_unit_;
  std::uint64_t compressor_bytes_ = 0;
  /// --sample below 1: each sampled chunk's record, kept by its thread, then sent to and held
  /// by its fingerprint's owner (twice, with room for an uneven spread).
  std::uint64_t chunk_sample_bytes_ = 0;
};

}  // namespace dgen::analyze
