// What one thread did in a pass over files: its seconds per step, its bytes and files, the OS
// error of a failed call, what --verify found, its latencies per operation and its bytes over
// time. The passes (mpi/storage_pass.cpp) keep one per thread and merge them; the life of a
// dataset file (storage/dataset_file.hpp) and the metadata calls fill them. No MPI.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "io/transfers.hpp"
#include "report/latency.hpp"
#include "report/timeline.hpp"
#include "verify/compare.hpp"

namespace dgen::storage {

/// The operations whose latencies are recorded, in the order the report prints them.
enum Op : int { kWriteOp, kReadOp, kFsyncOp, kOpenOp, kCloseOp, kStatOp, kUnlinkOp, kOps };

/// "write", "read", "fsync", "open", "close", "stat", "unlink".
const char* op_name(int op);

/// One phase's latencies per operation (a pass's tallies merged).
using PhaseLatency = std::array<report::LatencyHistogram, kOps>;

/// What one thread did in a pass, padded so that threads do not share a cache line.
struct alignas(64) Tally {
  double generate = 0, io = 0, open = 0, flush = 0, close = 0;
  double verify = 0;         ///< regenerating and comparing what was read (--verify)
  std::uint64_t bytes = 0;   ///< completed
  std::uint64_t prefix = 0;  ///< completed, in order from the start of the thread's part
  std::uint64_t moved = 0;   ///< transfers completed (a dataset: files)
  std::uint64_t files = 0;
  std::uint64_t reused = 0;    ///< --resume: bytes found right and not written again
  double last_done = 0;        ///< Job::now() of its last completion (how long the wall took)
  std::uint64_t expected = 0;  ///< metadata phases: the files it was to stat or remove
  int failed_errno = 0;        ///< the OS error of its failed call, for the exit code
  verify::MismatchLog log;     ///< --verify: what this thread found wrong, in stream order
  std::array<report::LatencyHistogram, kOps> latency;
  std::optional<report::Timeline> timeline;

  /// Adds what one run of the transfer loop (io/transfers.hpp) counted.
  void add(const io::TransferCounts& c) {
    bytes += c.bytes;
    prefix += c.prefix;
    moved += c.transfers;
    reused += c.reused;
    generate += c.generate;
    io += c.io;
    verify += c.verify;
  }
};

/// Seconds on this process's steady clock (the clock of mpi::clock_seconds).
inline double clock_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Adds the seconds `f` takes to `total` (also when it throws) and returns what it returns.
template <class F>
auto timed(double& total, F&& f) {
  const double t0 = clock_seconds();
  struct Add {
    double& total;
    double t0;
    ~Add() { total += clock_seconds() - t0; }
  } add{total, t0};
  return f();
}

/// The same, and the call's latency into `histogram`.
template <class F>
auto timed(double& total, report::LatencyHistogram& histogram, F&& f) {
  const double t0 = clock_seconds();
  struct Add {
    double& total;
    report::LatencyHistogram& h;
    double t0;
    ~Add() {
      const double d = clock_seconds() - t0;
      total += d;
      h.add(d);
    }
  } add{total, histogram, t0};
  return f();
}

}  // namespace dgen::storage
