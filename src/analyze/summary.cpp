#include "analyze/summary.hpp"

#include <cmath>
#include <optional>
#include <string>

#include "analyze/estimate.hpp"
#include "analyze/xxh3_targets.hpp"

namespace dgen::analyze {

namespace {

report::CompressRatios ratios_of(const LevelTally& t, double fraction) {
  report::CompressRatios c;
  auto to_range = [](const std::optional<Estimate>& e) -> std::optional<report::Range> {
    if (!e) return std::nullopt;
    return report::Range{e->value, e->low, e->high};
  };
  c.zstd = to_range(compression_ratio(t, Compressor::kZstd, fraction));
  c.lz4 = to_range(compression_ratio(t, Compressor::kLz4, fraction));
  c.zlib = to_range(compression_ratio(t, Compressor::kZlib, fraction));
  if (fraction > 0) {
    // The blocks whose compressed size is known: the sampled ones and every zero one.
    c.blocks = t.sample.blocks + t.zero_units;
    c.groups = t.sample.groups;
    c.sampled = t.sample.blocks;
    c.bytes = t.sample.bytes + t.zero_bytes;
    c.zstd_bytes = t.sample.packed[0] + t.zero_packed[0];
    c.lz4_bytes = t.sample.packed[1] + t.zero_packed[1];
    c.zlib_bytes = t.sample.packed[2] + t.zero_packed[2];
  }
  return c;
}

}  // namespace

void fill_units(FlatReader sums, const std::vector<std::uint64_t>& units, double keep,
                double sample, report::Analyze& analysis) {
  double pairs = 0;
  for (const std::uint64_t unit : units) {
    const LevelTally tally = sums.tally();
    const DistinctSums distinct = sums.distinct();
    report::AnalyzeUnit a;
    a.unit = unit;
    a.units = tally.units;
    a.bytes = tally.bytes;
    a.zero_units = tally.zero_units;
    const Estimate e = distinct_units(distinct, keep);
    a.distinct = {e.value, e.low, e.high};
    if (e.value > 0) a.dedup_ratio = static_cast<double>(a.units) / e.value;
    a.compress = ratios_of(tally, sample);
    if (const auto s = stored_bytes(distinct, keep, sample)) {
      a.stored_bytes = report::Range{s->value, s->low, s->high};
      if (s->value > 0) a.combined_ratio = static_cast<double>(a.bytes) / s->value;
    } else if (a.units == 0 && sample > 0) {
      a.stored_bytes = report::Range{};  // nothing read, nothing stored: exactly 0
    }
    pairs += static_cast<double>(a.units) * static_cast<double>(a.units) / 2;
    analysis.bytes = a.bytes;
    analysis.units.push_back(a);
  }
  // Two units with different bytes share a fingerprint with probability at most n^2/2 * 2^-128
  // per unit size (XXH3-128 taken as a random function; a derived fingerprint collides only if
  // its parts' fingerprints or its own hash do), summed over the sizes.
  analysis.collision_bound = pairs * std::ldexp(1.0, -128) * 2;
  const LevelTally chunk_tally = sums.tally();
  analysis.chunks = chunk_tally.units;
  analysis.chunk_compress = ratios_of(chunk_tally, sample);
  analysis.hash = std::string("XXH3-128, ") + xxh3_best().name;
}

}  // namespace dgen::analyze
