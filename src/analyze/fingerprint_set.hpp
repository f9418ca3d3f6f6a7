// The distinct units one owner has seen at one unit size: an open-addressing set of
// fingerprints, sized once for the most it may have to hold (the memory check comes before any
// byte is read), with the sums over its distinct units that stored_bytes needs.
#pragma once

#include <cstdint>
#include <memory>

#include "analyze/scan.hpp"

namespace dgen::analyze {

/// Sums over distinct units (first sightings).
struct DistinctSums {
  std::uint64_t units = 0;
  std::uint64_t bytes = 0;
  WideSum bytes_squared = 0;  ///< for the estimator's error
  SampleSums compressed;      ///< the distinct units in the compression sample (zstd only)
  void merge(const DistinctSums& o);
};

class FingerprintSet {
 public:
  /// Slots for at most `keys` fingerprints, at most kLoad full.
  explicit FingerprintSet(std::uint64_t keys);
  FingerprintSet(FingerprintSet&&) noexcept = default;
  FingerprintSet& operator=(FingerprintSet&&) noexcept = default;

  /// Adds the unit; a first sighting counts in sums(). Throws std::length_error when full
  /// (more keys than it was sized for).
  bool insert(const UnitRecord& r);

  /// Asks the CPU for the slot where `fp` starts its search: a few inserts later, the insert
  /// finds it in cache (the sets are far larger than the caches).
  void prefetch(const Fingerprint& fp) const { __builtin_prefetch(&slots_[home(fp)]); }

  const DistinctSums& sums() const { return sums_; }

  /// Bytes a set sized for `keys` takes.
  static std::uint64_t bytes_for(std::uint64_t keys);

  static constexpr double kLoad = 0.7;

 private:
  static std::uint64_t slots_for(std::uint64_t keys);
  std::uint64_t home(const Fingerprint& fp) const;
  struct Free {
    Free() noexcept : bytes(0) {}
    std::uint64_t bytes;
    void operator()(Fingerprint* p) const;
  };
  std::unique_ptr<Fingerprint[], Free> slots_;
  std::uint64_t capacity_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t limit_ = 0;     ///< the most keys it takes
  bool has_empty_key_ = false;  ///< the fingerprint (0, 0), which marks an empty slot
  DistinctSums sums_;
};

}  // namespace dgen::analyze
