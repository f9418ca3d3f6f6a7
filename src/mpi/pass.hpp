// What every mode of a run shares: the rank's context, one timed pass over the rank's bytes in
// chunks on the team, and what a rank measured. Modes (bench.cpp: into memory; storage.cpp:
// to and from files, a device or stdout) are built from these; driver.cpp orders the steps.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "buffer/page_locality.hpp"
#include "buffer/partition.hpp"
#include "dgen/generator.hpp"
#include "mpi/job.hpp"
#include "mpi/placement.hpp"
#include "mpi/request.hpp"
#include "mpi/team.hpp"
#include "report/progress.hpp"
#include "report/report.hpp"
#include "verify/compare.hpp"

namespace dgen::mpi {

/// Seconds on this process's steady clock: for the time a rank's threads spend in each step
/// (Job::now is for the spans that ranks compare).
inline double clock_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Progress and stop checks happen per chunk; writes go out in chunks of this size.
inline constexpr std::uint64_t kChunk = 16ULL << 20;

/// Everything a mode needs on one rank.
struct RankContext {
  const Job& job;
  const RunRequest& request;
  const Generator& generator;
  const RankPlacement& place;
  Team& team;
  std::uint64_t global_offset;  ///< where this rank's bytes start in the stream
};

/// One rank's timed pass, on rank 0's clock (Job::now), and how much of it was done.
struct Interval {
  double start = 0, end = 0;
  std::uint64_t bytes = 0;  ///< bytes this rank completed in the pass
  bool complete = true;     ///< false when a stop signal cut it short
  // Storage passes: where the rank's time went. Steps the rank's threads take each (a dataset's
  // creates and closes, every transfer's generation and I/O) are the mean over its threads.
  double open_seconds = 0;      ///< opening (a dataset: creating) the files
  double io_seconds = 0;        ///< in write or read calls
  double flush_seconds = 0;     ///< fsync / MPI_File_sync (--fsync on)
  double close_seconds = 0;     ///< closing (a dataset: closing and renaming) the files
  double generate_seconds = 0;  ///< generating the bytes written
  std::uint64_t files = 0;      ///< files this rank completed (a shared file counts on rank 0)
  std::uint64_t reused = 0;     ///< --resume: bytes found right and not written again
  // --duration: the stonewall (IOR -D): what the rank had moved when it noticed the wall.
  bool stonewalled = false;
  double wall = 0;            ///< the time limit (seconds from the pass's start)
  bool wall_reached = false;  ///< the wall stopped the rank with transfers (files) left
  /// Measured from the pass's common start to the rank's last completion before it stopped (at
  /// least the limit when the wall was reached): IOR's stonewall time
  double wall_seconds = 0;
  std::uint64_t wall_moved = 0;  ///< transfers (a dataset: files) done by the wall
  std::uint64_t wall_bytes = 0;  ///< their bytes
  double notice_seconds = 0;     ///< from the wall to the rank's last completion (0: not reached)
  double wear_out_seconds = 0;   ///< --wear-out: the time going on to the largest count
  bool full = false;  ///< --duration: a rank's write met ENOSPC before the wall and stopped there
  double seconds() const { return end - start; }
};

/// What one rank's verification found (--verify).
struct VerifyFindings {
  std::uint64_t bytes = 0;          ///< bytes read and compared
  std::uint64_t wrong_bytes = 0;    ///< bytes that differ from the stream
  std::uint64_t wrong_blocks = 0;   ///< 4 KiB blocks of the stream with a wrong byte
  std::uint64_t missing_bytes = 0;  ///< of the wrong bytes: those no file holds (short, missing)
  std::uint64_t ranges = 0;         ///< wrong ranges, merged within threads
  double seconds = 0;               ///< regenerating and comparing (mean over the threads)
  Interval pass;                    ///< the read pass that verified
  std::vector<verify::Mismatch> first;  ///< the first ones, in stream order
};

/// What one rank measured.
struct Measured {
  double first_touch_seconds = 0;
  std::vector<Interval> runs;                ///< per iteration
  std::vector<Interval> memset_runs;         ///< baseline: memset of the same buffer
  std::vector<Interval> streaming_runs;      ///< baseline: a streaming-store fill of a constant
  std::optional<buffer::Locality> locality;  ///< pages checked (bench mode, complete runs)
  int stop_signal = 0;                       ///< the signal the job stopped for (same on all ranks)
  std::uint64_t bytes_kept = 0;              ///< --keep-partial: the prefix kept (rank 0)
  std::string io_component;                  ///< what moved the bytes (io::Backend::component)
  std::optional<VerifyFindings> verify;      ///< --verify
  std::optional<report::OutputState> output_state;  ///< write mode, on rank 0
  std::vector<report::Latency> latency;             ///< per operation, the job's, on rank 0
  std::optional<report::Timelines> timeline;        ///< the job's, on rank 0
  /// --phases of a dataset beyond the write and read (stat, delete): name and the pass
  std::vector<std::pair<std::string, Interval>> phases;
  std::optional<report::Resume> resume;  ///< --resume, on rank 0
  /// Non-zero: the job ends with it after the report (--analyze skipped a path it could not
  /// read); the same on all ranks.
  int exit_code = 0;
};

/// Runs `body` on the team (Team::run); an exception from it becomes the returned error text,
/// empty when every part went well. The caller agrees on it with the other ranks.
template <class Body>
std::string run_on_team(Team& team, Body&& body) {
  try {
    team.run(body);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

/// The bytes of thread part t of the rank, with the granule the buffer uses.
buffer::Part part_of(const RankContext& c, int t, std::uint64_t granule);

/// One timed pass: the ranks sync, each starts its clock, its team runs `fill(x, n)` over
/// every part in chunks (x is the rank-local offset) until done or stopped, and the clock
/// stops. `done` receives per part the bytes completed (for --keep-partial). An exception from
/// `fill` becomes the returned error text; the pass is then cut short.
template <class Fill>
Interval timed_pass(const RankContext& c, const std::string& phase, std::uint64_t granule,
                    report::Progress& progress, std::string& error,
                    std::vector<std::uint64_t>& done, Fill&& fill) {
  c.job.sync();  // a rank missing here is still in the previous phase
  c.job.set_phase(phase);
  done.assign(static_cast<std::size_t>(c.team.size()), 0);
  Interval run;
  run.start = c.job.now();
  error = run_on_team(c.team, [&](int t) {
    const buffer::Part part = part_of(c, t, granule);
    for (std::uint64_t x = part.begin; x < part.end && !c.team.stopped(); x += kChunk) {
      const std::uint64_t n = std::min(kChunk, part.end - x);
      if (!fill(x, n)) return;  // stopped inside (a write cut short by a signal)
      done[static_cast<std::size_t>(t)] += n;
      progress.add(n);
    }
  });
  run.end = c.job.now();
  for (std::uint64_t d : done) run.bytes += d;
  run.complete = run.bytes == c.request.size;
  return run;
}

/// Collective: the stop signal any rank got (the largest), 0 when none did.
int agreed_stop(const Job& job);

}  // namespace dgen::mpi
