// One timed pass of the storage mode over this rank's share, IOR's way: open, transfers, flush,
// close, each timed; the backends move the bytes (io/transfers.hpp per transfer). Where threads
// move bytes (posix, uring) each thread moves its own transfers, in the order its pattern gives
// (io/pattern.hpp); where only the main thread may (mpiio, MPI_THREAD_FUNNELED), the team's
// other threads generate transfer i + 1 while the main thread writes transfer i. A deadline
// (--duration) stops every thread at a transfer boundary (a dataset: at a file boundary), and
// per-thread limits let a pass go on to a count (--wear-out) or read back what a time-bounded
// write wrote. Every transfer's latency and bytes go into the rank's histograms and timeline.
// Private to src/mpi/: storage.cpp orders the passes and agrees on what they leave.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/backend.hpp"
#include "io/direct.hpp"
#include "io/pattern.hpp"
#include "io/queue.hpp"
#include "mpi/output_file.hpp"
#include "mpi/pass.hpp"
#include "report/latency.hpp"
#include "report/timeline.hpp"
#include "storage/dataset_file.hpp"
#include "storage/tally.hpp"
#include "verify/compare.hpp"
#include "verify/decode.hpp"

namespace dgen::mpi {

using storage::kCloseOp;
using storage::kFsyncOp;
using storage::kOpenOp;
using storage::kOps;
using storage::kReadOp;
using storage::kStatOp;
using storage::kUnlinkOp;
using storage::kWriteOp;
using storage::Op;
using storage::op_name;
using storage::PhaseLatency;
using storage::Tally;

/// This rank's share, how it moves, and what its passes recorded.
struct Share {
  Share(const RankContext& context, io::Backend& b) : c(context), backend(b) {}
  const RankContext& c;
  io::Backend& backend;
  bool write = true;
  io::ExtentList extents;  ///< the bytes this rank moves, in stream order (computed on demand)
  std::uint64_t bytes = 0;
  int source_rank = 0;  ///< whose share it is (--reorder reads another rank's)
  std::uint64_t transfer = 0;
  std::uint64_t granule = 4096;  ///< thread parts start on multiples of it
  bool direct = false;
  bool repair = false;  ///< --resume: read each transfer first, write only those found wrong
  int depth = 1;        ///< transfers in flight per thread (--iodepth)
  /// Rank 0: the dataset directories this run made, parents first (the --output directory and
  /// subdirectories that did not stand before): the only ones --phases delete removes.
  std::vector<std::string> made_directories;
  io::Pattern order = io::Pattern::kSequential;
  std::uint64_t order_seed = 0;
  /// > 0: Job::now() after which no transfer is started (--duration), at a transfer boundary
  double deadline = 0;
  /// A time-bounded write met ENOSPC (the file system full): every thread stops there, as at
  /// the wall (reset by each pass's caller).
  std::atomic<bool> full{false};
  /// Per thread (or the main thread): the transfers (a dataset: files) of its sequence this pass
  /// moves, [first, limit); empty: all of them.
  std::vector<std::uint64_t> first, limit;
  /// Threads that move bytes: `depth` per thread, thread t's at [t*depth, (t+1)*depth); the
  /// main thread (mpiio): two, the transfer written and the next one generated.
  std::vector<io::AlignedBuffer> buffers;
  std::vector<io::AlignedBuffer> scratch;          ///< --resume: what the file holds, per buffer
  std::vector<std::unique_ptr<io::Queue>> queues;  ///< threads that move bytes: one each
  /// --verify with a backend of one call in flight (posix): a read-ahead queue per thread, so
  /// that the next read is in flight while the last is compared; empty otherwise.
  std::vector<std::unique_ptr<io::Queue>> check_queues;
  std::vector<io::AlignedBuffer> expected;       ///< --verify: the stream's bytes, one per buffer
  const verify::LaneDecoder* decoder = nullptr;  ///< --verify, else null
  std::size_t keep_mismatches = 16;
  VerifyFindings found;  ///< --verify: what the last read pass found
  /// Job::now() - clock_seconds(): threads read the job's clock without an MPI call
  double clock_offset = 0;
  double timeline_start = 0, interval = 1;  ///< the bandwidth timeline's origin and step
  std::vector<std::uint64_t> moved;         ///< per thread: what the last pass completed
  std::vector<double> last_done;            ///< per thread: when it completed the last one
  /// The phase the next passes record their latencies under (write, read, verify; a dataset's
  /// --phases: create, stat, read, delete), set by storage.cpp before each
  std::string phase = "write";
  /// The rank's latencies per phase, in the order the phases first ran (the same on every rank)
  std::vector<std::pair<std::string, PhaseLatency>> latency;
  /// The current phase's histograms (an entry added on its first use).
  PhaseLatency& phase_latency();
  std::optional<report::Timeline> timeline;  ///< the rank's, over every pass
  /// A dataset write that failed with --keep-partial: the temporary files of the files the
  /// error cut short, kept (each with what was written), in the order the threads kept them.
  storage::KeptPartials kept_partials;

  bool shared() const { return c.request.layout.kind == io::LayoutKind::kSharedFile; }
  bool dataset() const { return c.request.layout.kind == io::LayoutKind::kDataset; }
  /// Job::now(), from any thread.
  double now() const { return clock_seconds() + clock_offset; }
  /// Whether what a stopped pass completed is a prefix of each thread's part (sequential, one
  /// extent, no deadline): --keep-partial can then cut the file to it.
  bool prefix_meaningful() const {
    return order == io::Pattern::kSequential && extents.size() == 1 && deadline == 0 &&
           first.empty();
  }
  /// The sequence of thread t of `threads` (the main thread: 0 of 1).
  io::TransferSequence sequence(int threads, int t) const;
};

/// One pass over a shared file or the rank's own file, opened once by the rank. `done`: per
/// thread, the bytes of its part it completed in order (for --keep-partial).
Interval single_file_pass(Share& s, const std::string& name, report::Progress& progress,
                          std::vector<std::uint64_t>& done);

/// One pass over the rank's block of dataset files; `bytes_kept`: of the whole files.
Interval dataset_pass(Share& s, report::Progress& progress, std::uint64_t& bytes_kept);

/// --phases stat: every thread stats its block of the dataset's files (mdtest's file stat).
Interval stat_pass(Share& s);

/// --phases delete: every thread removes its block of the dataset's files (mdtest's file
/// removal); then rank 0 removes the directories this run made (Share::made_directories), those
/// left empty. A directory that stood before the run stays, with its mode.
Interval delete_pass(Share& s);

/// The rank's prefix a single-file pass moved: its parts in order, up to the first not finished.
std::uint64_t moved_prefix(const Share& s, const std::vector<std::uint64_t>& done);

/// Collective: the job's prefix that every rank wrote, on rank 0.
std::uint64_t job_prefix(const Job& job, std::uint64_t rank_prefix, std::uint64_t size);

/// The stream in order to stdout or a FIFO: the team generates a chunk per thread, then the
/// main thread writes them.
Measured write_stream(const RankContext& c, OutputFile& out);

/// Open flags for the pass's direction; `length`: the file's whole length (io::OpenMode).
io::OpenMode open_mode(const Share& s, bool create, bool exclusive, bool truncate,
                       std::uint64_t length = 0);

}  // namespace dgen::mpi
