// The rank's OpenMP team. Every parallel pass of a run (first touch, generation, baselines,
// writing, page checks) goes through Team::run, which pins each thread to its planned cpu,
// covers every part whatever team size OpenMP really gives (OMP_THREAD_LIMIT, OMP_DYNAMIC, a
// nested region), stops all threads when one fails or a stop signal arrives, and carries the
// first exception out of the region instead of letting it end the process in std::terminate.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <string>

namespace dgen::mpi {

class Team {
 public:
  /// Pins the calling thread that works on part `t`; throws std::runtime_error on failure.
  using Pin = std::function<void(int t)>;

  /// A team for `planned` parts (threads). A first region asks OpenMP how many threads it
  /// gives: size() is the smaller of the two, and shortfall() says why when it is smaller.
  Team(int planned, Pin pin);

  /// Parts of every pass: one per thread the runtime gave at start-up.
  int size() const { return size_; }

  /// Empty, or why the team is smaller than planned ("OpenMP gave 1 of 2 threads ...").
  const std::string& shortfall() const { return shortfall_; }

  /// Runs body(t) once for every part t in [0, size()) and returns when all are done. Thread
  /// t of the region works on part t (pinned to its cpu); if the region has fewer threads, each
  /// takes further parts in turn, so no part is ever skipped. When a body throws, the other
  /// threads see stopped() and the first exception is rethrown here.
  void run(const std::function<void(int t)>& body);

  /// Whether a body failed or a stop signal arrived: long loops check it between chunks.
  bool stopped() const;

  /// The fewest threads any region of this team has run with (== size() normally).
  int fewest_threads() const { return fewest_.load(std::memory_order_relaxed); }

 private:
  int size_;
  Pin pin_;
  std::string shortfall_;
  std::atomic<bool> failed_{false};
  std::atomic<int> fewest_;
  std::exception_ptr error_;  ///< written once, by the thread that set failed_ first
};

}  // namespace dgen::mpi
