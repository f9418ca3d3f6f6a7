#include "analyze/memory_plan.hpp"

#include <cmath>

#include "analyze/compress.hpp"
#include "analyze/fingerprint_set.hpp"
#include "dgen/size.hpp"

namespace dgen::analyze {

std::uint64_t set_keys(std::uint64_t units, double keep, int ranks, int threads) {
  const double e = static_cast<double>(units) * keep / ranks / threads;
  return static_cast<std::uint64_t>(e + 8 * std::sqrt(e) + 64);
}

MemoryPlan::MemoryPlan(const std::vector<InputFile>& files, const ScanSettings& settings, int ranks,
                       int threads)
    : ranks_(ranks),
      threads_(threads),
      alignment_(settings.alignment()),
      smallest_unit_(settings.units.at(0)) {
  for (std::uint64_t u : settings.units)
    units_per_level_.push_back(units_that_may_differ(files, u));
  if (settings.sample > 0) compressor_bytes_ = Compressors::footprint(alignment_);
  if (settings.sample > 0 && settings.sample < 1) {
    double chunk_count = 0;
    for (const auto& f : files)
      chunk_count += std::ceil(static_cast<double>(f.size) / static_cast<double>(settings.chunk));
    chunk_sample_bytes_ = static_cast<std::uint64_t>(
        std::ceil(settings.sample * chunk_count / ranks * 3.5) * sizeof(ChunkSample));
  }
}

std::uint64_t MemoryPlan::need(double keep) const {
  std::uint64_t sets = 0;
  for (std::uint64_t n : units_per_level_)
    sets += static_cast<std::uint64_t>(threads_) *
            FingerprintSet::bytes_for(set_keys(n, keep, ranks_, threads_));
  // Read buffers; a round's records three times over (the threads' lists, the send and the
  // receive buffers), the receive side with room for an uneven spread.
  const double per_byte = static_cast<double>(units_per_level_.size()) / smallest_unit_;
  const double records = static_cast<double>(threads_) * kRoundBytesPerThread * per_byte * keep +
                         static_cast<double>(threads_) * units_per_level_.size() * 64;
  const std::uint64_t buffers = static_cast<std::uint64_t>(threads_) * alignment_ +
                                static_cast<std::uint64_t>(records * 3.5 * sizeof(UnitRecord));
  // And each thread's compressors (zstd's context, zlib's state and an output buffer).
  return sets + buffers + static_cast<std::uint64_t>(threads_) * compressor_bytes_ +
         chunk_sample_bytes_;
}

double MemoryPlan::keep_within(std::uint64_t budget, std::string& error) const {
  if (need(1) <= budget) return 1;
  if (need(0) > budget) {
    error = "--analyze-memory " + format_size(budget) +
            " per rank: the read buffers and compressors " +
            (chunk_sample_bytes_ > 0 ? "and the sampled chunks' records " : "") + "alone take " +
            format_size(need(0)) + " (" + std::to_string(threads_) +
            " threads; fewer threads or a smaller --analyze-chunk need less)";
    return 1;
  }
  double lo = 0, hi = 1;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    (need(mid) <= budget ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace dgen::analyze
