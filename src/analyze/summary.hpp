// The analysis report's figures from the job's sums: per unit size the units, the distinct ones
// (estimated when only some fingerprints were kept), the dedup, compression and combined
// ratios, and the chunks' compression.
#pragma once

#include <cstdint>
#include <vector>

#include "analyze/wire.hpp"
#include "report/report.hpp"

namespace dgen::analyze {

/// Fills analysis.units, bytes, collision_bound, chunks, chunk_compress and hash from `sums`
/// (per unit size of `units` a LevelTally and DistinctSums, then the chunks' LevelTally, as
/// FlatSums wrote them), `keep` the fraction of fingerprints counted, `sample` of units
/// compressed.
void fill_units(FlatReader sums, const std::vector<std::uint64_t>& units, double keep,
                double sample, report::Analyze& analysis);

}  // namespace dgen::analyze
