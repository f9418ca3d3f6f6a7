// Latencies of transfers as a log-bucketed histogram (HdrHistogram's idea in a few dozen lines:
// Debian packages no C/C++ HdrHistogram). Fixed buckets, so ranks reduce plain count arrays and
// the job's percentiles are exact up to the bucket width, never an average of ranks' percentiles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "report/report.hpp"

namespace dgen::report {

/// Percentiles reported, as fio's: 50, 90, 99, 99.9, 99.99.
inline constexpr double kReportedPercentiles[] = {50, 90, 99, 99.9, 99.99};

/// Sum of latencies in whole nanoseconds. 128 bits: a job's total time in calls passes 2^64 ns
/// (584 years) at a few hundred thousand threads, and integers keep merges exact and associative.
__extension__ typedef unsigned __int128 NanoSum;

/// One thread's (or, merged, a rank's or the job's) latencies of one operation. Bucket i < N
/// covers [1 us * 1.01^i, 1 us * 1.01^(i+1)), the last regular one ending at 1 h exactly; values
/// below 1 us count in bucket 0, values from 1 h on in the overflow bucket N. Not thread-safe:
/// each thread records into its own and the owner merges them (no atomics in add()).
class LatencyHistogram {
 public:
  /// The growth factor of the bucket edges: relative width 1%.
  static constexpr double kRatio = 1.01;
  /// The lower edge of bucket 0 and the upper edge of the last regular bucket, in seconds.
  static constexpr double kLowest = 1e-6, kHighest = 3600;

  LatencyHistogram();

  /// Records one latency in seconds. Negative or NaN counts as 0 (in bucket 0); min and max are
  /// kept exactly, the sum to the nanosecond.
  void add(double seconds);
  /// Exact: counts add, sums add, min and max combine.
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  /// Exact; 0 when empty.
  double min() const { return count_ ? min_ : 0; }
  double max() const { return count_ ? max_ : 0; }
  /// sum / count (the sum kept in whole nanoseconds), within [min, max]: one value's mean is
  /// exactly its min and max; 0 when empty.
  double mean() const;
  /// The same in nanoseconds, within min and max rounded to the nanosecond; 0 when empty.
  double mean_ns() const;
  /// Sum of the latencies in nanoseconds (each rounded to the nanosecond when added).
  NanoSum sum_ns() const { return sum_ns_; }

  /// p in (0, 100], to 6 decimals (outside: clamped): the upper edge of the bucket that holds
  /// the ceil(p/100 * count)-th smallest value, at most max(); 0 when empty.
  double percentile(double p) const;

  /// Number of buckets, the overflow bucket included (the same on every rank, for MPI_Reduce).
  static std::size_t buckets();
  /// Bucket i covers [lower_edge(i), upper_edge(i)), in seconds; the overflow bucket's upper
  /// edge is +infinity. upper_edge(i) == lower_edge(i + 1).
  static double lower_edge(std::size_t i);
  static double upper_edge(std::size_t i);
  /// The bucket a value falls in (the one whose edges hold it; below 1 us: 0).
  static std::size_t bucket_of(double seconds);

  /// Per bucket, for the reduction.
  const std::vector<std::uint64_t>& counts() const { return counts_; }

  /// The histogram from reduced parts: counts (buckets() of them), the sum, and min and max
  /// as min_raw()/max_raw() give them (+inf and -inf when empty). Throws std::invalid_argument
  /// when counts has the wrong size.
  static LatencyHistogram from_parts(std::vector<std::uint64_t> counts, NanoSum sum_ns,
                                     double min_raw, double max_raw);
  /// min and max as kept: +inf and -inf when empty, so that MPI_MIN / MPI_MAX skip empty ranks.
  double min_raw() const { return min_; }
  double max_raw() const { return max_; }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  NanoSum sum_ns_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

/// The report's row for one operation: count, min, mean, max, kReportedPercentiles and the
/// non-empty buckets (upper edges capped at max, as percentile() caps them).
Latency summarize(const std::string& op, const LatencyHistogram& h);

}  // namespace dgen::report
