// Bandwidth over time: the bytes a thread completed in each interval of the run. Threads record
// into their own (no atomics), a rank merges its threads', and the rows go to rank 0 once at the
// end (mpi/timeline_gather.hpp), never during the run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dgen::report {

/// Bytes completed per interval since a start time.
class Timeline {
 public:
  /// At most this many intervals (8 MiB of counts; 97 days at 1 s): bytes completed later count
  /// in the last one, so that a clock mix-up cannot allocate without bound.
  static constexpr std::size_t kMaxIntervals = std::size_t{1} << 20;

  /// interval_seconds > 0 (else std::invalid_argument). start_time on the clock add() is given;
  /// for rows that line up across ranks, the same start on every rank's Job::now().
  Timeline(double interval_seconds, double start_time);

  /// `bytes` completed at time `now` count in interval floor((now - start) / interval); before
  /// the start: in the first.
  void add(double now, std::uint64_t bytes);

  /// Sums per interval (another thread of the rank); rows of different lengths are allowed.
  /// Both must have the same interval and start (else std::invalid_argument).
  void merge(const Timeline& other);

  /// Per interval from the start; as long as the last interval something completed in.
  const std::vector<std::uint64_t>& bytes() const { return bytes_; }
  double interval() const { return interval_; }
  double start_time() const { return start_; }

 private:
  double interval_;
  double start_;
  std::vector<std::uint64_t> bytes_;
};

}  // namespace dgen::report
