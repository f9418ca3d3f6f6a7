// From the job's sums to what the report states: exact figures when every unit was counted and
// compressed, else estimates with an interval of three standard errors (99.7 % for a normal
// estimate). Derivations: docs/analyze.md.
#pragma once

#include <optional>

#include "analyze/fingerprint_set.hpp"
#include "analyze/scan.hpp"

namespace dgen::analyze {

/// A figure and its interval; low == high == value when exact.
struct Estimate {
  double value = 0, low = 0, high = 0;
  bool exact() const { return low == value && high == value; }
};

/// Bytes / compressed bytes of compressor c over the blocks `t` counted: its zero blocks exactly,
/// the others estimated from those sampled (a fraction `fraction` of them; 1: all, exact). None
/// when nothing was compressed.
std::optional<Estimate> compression_ratio(const LevelTally& t, Compressor c, double fraction);

/// The compressed bytes the ratio stands for: exact with `fraction` 1.
double compressed_bytes(const LevelTally& t, Compressor c, double fraction);

/// Distinct units from those kept (a fraction `keep` of fingerprints, 1: all).
Estimate distinct_units(const DistinctSums& d, double keep);

/// What an engine deduplicating at this unit size and compressing each distinct unit with
/// zstd-3 keeps: from the kept distinct units (a fraction `keep`) and the compressed ones among
/// them (a fraction `sample` of all). None when nothing was compressed.
std::optional<Estimate> stored_bytes(const DistinctSums& d, double keep, double sample);

}  // namespace dgen::analyze
