// Analyze mode: what a deduplicating, compressing storage engine would keep of existing data,
// measured by the whole job (docs/analyze.md). This file orders the steps and makes the
// agreements; what a rank reads, scans, counts and sends is in src/analyze/.
//
// Rank 0 walks the paths (each file once, sparse files' data mapped; analyze/dataset.hpp) and
// sends the list to every rank (analyze/wire.hpp); every rank reads a contiguous share of the
// files' bytes in rounds (analyze/cursor.hpp, analyze/reader.hpp), and counts the pieces wholly
// in holes as zeros without reading them. A file that cannot be read is skipped by the rank that
// meets it, counted and named (--strict: the job ends there).
// In a round each thread reads pieces (a multiple of the largest unit or chunk from a file's
// start), fingerprints every unit at every unit size and compresses the sampled ones
// (analyze/scan.hpp); the main thread sends each unit's record to the rank owning its
// fingerprint's range (MPI_Alltoallv; analyze/routing.hpp), and the owner's threads count first
// sightings in their fingerprint sets. The sums are reduced to rank 0 at the end. The memory the
// sets take is checked before any byte is read (analyze/memory_plan.hpp): when it would not fit,
// only the fingerprints below a hash threshold are counted and the figures are scaled up (the
// estimator), never swapped.
#include <algorithm>
#include <atomic>
#include <climits>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analyze/cursor.hpp"
#include "analyze/dataset.hpp"
#include "analyze/fingerprint_set.hpp"
#include "analyze/memory_plan.hpp"
#include "analyze/reader.hpp"
#include "analyze/routing.hpp"
#include "analyze/scan.hpp"
#include "analyze/summary.hpp"
#include "analyze/wire.hpp"
#include "io/direct.hpp"
#include "io/errors.hpp"
#include "mpi/modes.hpp"
#include "mpi/reduce.hpp"
#include "mpi/stop_signal.hpp"
#include "topology/memory.hpp"

namespace dgen::mpi {

namespace {

using analyze::UnitRecord;

// Rank 0's string on every rank, in pieces below MPI's int counts.
std::string broadcast(const Job& job, std::string text) {
  unsigned long long len = text.size();
  check(MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG_LONG, 0, job.world()), "MPI_Bcast");
  text.resize(len);
  constexpr std::size_t kPiece = 1ULL << 30;
  for (std::size_t at = 0; at < len; at += kPiece) {
    const int n = static_cast<int>(std::min<std::size_t>(kPiece, len - at));
    check(MPI_Bcast(text.data() + at, n, MPI_CHAR, 0, job.world()), "MPI_Bcast");
  }
  return text;
}

/// The sets of one thread (one per unit size, for the fingerprints of its part of the owner's
/// range), its reader and the buffer it reads into.
struct alignas(64) ThreadState {
  std::vector<analyze::FingerprintSet> sets;
  io::AlignedBuffer buffer;
  std::unique_ptr<analyze::PieceReader> reader;
  double insert = 0;
};

// Collective: the job's sums on rank 0 (elsewhere empty). Plain counts are summed by
// MPI_Reduce; the 128-bit sums of squares are gathered and added on rank 0 as integers, so that
// the total does not depend on the order or the number of ranks.
analyze::FlatSums reduce_flat(const Job& job, const analyze::FlatSums& mine) {
  analyze::FlatSums all;
  all.u.resize(mine.u.size());
  check(MPI_Reduce(mine.u.data(), all.u.data(), static_cast<int>(mine.u.size()), MPI_UINT64_T,
                   MPI_SUM, 0, job.world()),
        "MPI_Reduce");
  const std::vector<std::uint64_t> halves = analyze::halves_of(mine.w);
  std::vector<std::uint64_t> every(job.rank() == 0 ? halves.size() * job.size() : 0);
  check(MPI_Gather(halves.data(), static_cast<int>(halves.size()), MPI_UINT64_T, every.data(),
                   static_cast<int>(halves.size()), MPI_UINT64_T, 0, job.world()),
        "MPI_Gather");
  all.w = analyze::sum_halves(every, mine.w.size());
  return all;
}

// Collective: every rank's counts for this rank (MPI_Alltoall of `send_counts`) into
// `recv_counts`, their displacements into `recv_displs`; returns the records to receive.
std::size_t receive_counts(const Job& job, const std::vector<int>& send_counts,
                           std::vector<int>& recv_counts, std::vector<int>& recv_displs) {
  check(MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, job.world()),
        "MPI_Alltoall");
  std::size_t incoming = 0;
  for (std::size_t r = 0; r < recv_counts.size(); ++r) {
    recv_displs[r] = static_cast<int>(incoming);
    incoming += static_cast<std::size_t>(recv_counts[r]);
  }
  return incoming;
}

// Collective: the records routed to each rank (analyze::route) into `recv`, sized already.
template <class Record>
void exchange_records(const Job& job, const std::vector<Record>& send,
                      const std::vector<int>& send_counts, const std::vector<int>& send_displs,
                      std::vector<Record>& recv, const std::vector<int>& recv_counts,
                      const std::vector<int>& recv_displs) {
  MPI_Datatype record;
  check(MPI_Type_contiguous(sizeof(Record), MPI_BYTE, &record), "MPI_Type_contiguous");
  check(MPI_Type_commit(&record), "MPI_Type_commit");
  check(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), record, recv.data(),
                      recv_counts.data(), recv_displs.data(), record, job.world()),
        "MPI_Alltoallv");
  MPI_Type_free(&record);
}

// --sample below 1: the sampled chunks' sums with each distinct chunk one group (its copies are
// sampled together, so they are one draw, not many): every sampled chunk goes to the rank
// owning its fingerprint, which groups the copies. Collective.
analyze::SampleSums grouped_chunk_sample(const Job& job, std::vector<ThreadState>& state) {
  const auto ranks = static_cast<std::size_t>(job.size());
  std::vector<int> send_counts(ranks), send_displs(ranks), recv_counts(ranks), recv_displs(ranks);
  std::vector<const std::vector<analyze::ChunkSample>*> lists;
  for (auto& s : state) lists.push_back(&s.reader->scanner().sampled_chunks());
  std::vector<analyze::ChunkSample> send;
  analyze::route(lists, job.size(), send_counts, send_displs, send);
  for (auto& s : state)
    std::vector<analyze::ChunkSample>().swap(s.reader->scanner().sampled_chunks());
  std::vector<analyze::ChunkSample> recv(
      receive_counts(job, send_counts, recv_counts, recv_displs));
  exchange_records(job, send, send_counts, send_displs, recv, recv_counts, recv_displs);
  return analyze::grouped_sums(recv);
}

/// The files, walked once on rank 0 (which keeps the walk's unreadable paths), on every rank.
struct Walked {
  analyze::Inputs inputs;
  std::uint64_t unreadable = 0;                       ///< the walk's count, on rank 0
  std::vector<analyze::Unreadable> unreadable_first;  ///< the walk's first, on rank 0
};

// Collective: rank 0 walks the paths; a walk that fails ends the job with its exit code.
Walked walk_paths(const Job& job, const AnalyzeRequest& req) {
  Walked w;
  std::string error, packed;
  int code = 2;
  job.set_phase("walking the --analyze paths on rank 0");
  if (job.rank() == 0) {
    try {
      w.inputs = analyze::find_inputs(req.paths, req.strict);
      packed = analyze::pack_inputs(w.inputs);
      w.unreadable = w.inputs.unreadable;
      w.unreadable_first = w.inputs.unreadable_first;
    } catch (const analyze::InputError& e) {
      error = e.what();
      code = e.exit_code();
    }
  }
  job.agree(error, code);
  w.inputs = analyze::unpack_inputs(broadcast(job, packed));
  return w;
}

/// The memory every rank agreed on: the fraction of fingerprints kept, what it takes, of what.
struct MemoryAgreement {
  double keep = 1;
  std::uint64_t memory = 0, budget = 0;
};

// Collective: the most keep fraction whose sets fit every rank's budget, before anything is
// read (--analyze-memory, else half the node's usable memory shared by its ranks).
MemoryAgreement agree_memory(const Job& job, const AnalyzeRequest& req,
                             const analyze::MemoryPlan& plan) {
  MemoryAgreement a;
  a.budget = req.memory_per_rank;
  if (a.budget == 0) {
    const auto limits = topology::read_memory_limits();
    a.budget = limits.usable() / 2 / static_cast<std::uint64_t>(std::max(1, job.local_size()));
  }
  std::string error;
  a.keep = plan.keep_within(a.budget, error);
  job.agree(error, 2);
  check(MPI_Allreduce(MPI_IN_PLACE, &a.keep, 1, MPI_DOUBLE, MPI_MIN, job.world()), "MPI_Allreduce");
  a.memory = plan.need(a.keep);
  return a;
}

/// The exchange's buffers, kept between rounds.
struct Exchange {
  explicit Exchange(int ranks)
      : send_counts(static_cast<std::size_t>(ranks)),
        recv_counts(send_counts),
        send_displs(send_counts),
        recv_displs(send_counts) {}
  std::vector<int> send_counts, recv_counts, send_displs, recv_displs;
  std::vector<UnitRecord> send, recv;
  double seconds = 0;
};

// Collective: each record of this round to the rank owning its fingerprint.
void exchange_round(const Job& job, const std::vector<ThreadState>& state, Exchange& x) {
  const double x0 = clock_seconds();
  std::vector<const std::vector<UnitRecord>*> lists;
  for (const auto& s : state) lists.push_back(&s.reader->out);
  analyze::route(lists, job.size(), x.send_counts, x.send_displs, x.send);
  const std::size_t incoming = receive_counts(job, x.send_counts, x.recv_counts, x.recv_displs);
  // Every copy of a unit goes to one owner: a unit repeated across all ranks' shares (zero
  // units are sent once per thread and round) could exceed what MPI_Alltoallv's int
  // displacements address; the job then stops with the reason rather than overflow.
  job.agree(incoming > static_cast<std::size_t>(INT_MAX)
                ? "analyze: " + std::to_string(incoming) +
                      " records for this rank in one round, more than MPI_Alltoallv's int "
                      "displacements address; run with fewer threads per rank"
                : "",
            1);
  x.recv.reserve(incoming);
  x.recv.resize(incoming);
  exchange_records(job, x.send, x.send_counts, x.send_displs, x.recv, x.recv_counts, x.recv_displs);
  x.seconds += clock_seconds() - x0;
}

// Collective: the team reads and scans this round's pieces. A --strict read failure ends the
// job with its exit code, any other error with 1; a read cut by a stop signal is no error.
void read_round(const Job& job, Team& team, std::vector<ThreadState>& state,
                const std::vector<analyze::Piece>& pieces, analyze::Failures& failures, bool strict,
                report::Progress& progress) {
  const std::function<void(std::uint64_t)> add_progress = [&](std::uint64_t n) { progress.add(n); };
  const std::function<bool()> stopped = [&] { return team.stopped(); };
  std::atomic<std::size_t> next{0};
  std::atomic<int> read_failed{0};  // --strict: the exit code of the team's error, a read's
  std::string error = run_on_team(team, [&](int t) {
    analyze::PieceReader& r = *state[static_cast<std::size_t>(t)].reader;
    r.new_round();
    try {
      r.read(pieces, next, failures, strict, stopped, add_progress);
    } catch (const analyze::ReadFailure& f) {
      read_failed = io::exit_code_for_errno(f.error());
      throw;
    }
  });
  if (error == "stopped" && stop_signal() != 0) error.clear();  // a read cut by the signal
  job.agree(read_failed != 0 ? error : "", read_failed);
  job.agree(error, 1);
}

// Collective: thread t counts the fingerprints of its part of this rank's range.
void count_round(const Job& job, Team& team, std::vector<ThreadState>& state,
                 const std::vector<UnitRecord>& received) {
  const int ranks = job.size(), threads = team.size();
  const std::string error = run_on_team(team, [&](int t) {
    ThreadState& s = state[static_cast<std::size_t>(t)];
    const double t0 = clock_seconds();
    analyze::count_part(s.sets, received, ranks, threads, t);
    s.insert += clock_seconds() - t0;
  });
  job.agree(error, 1);
}

/// What could not be read, as rank 0 reports it.
struct UnreadableSummary {
  std::uint64_t count = 0, failed_files = 0;
  std::vector<analyze::Unreadable> first;  ///< in walk order, on rank 0
  int exit_code = 0;                       ///< of the first; on every rank
};

// Collective: the files (on any rank) counted once, the first named in walk order, and the
// exit code of the first, on every rank.
UnreadableSummary gather_unreadable(const Job& job, const Walked& walked,
                                    analyze::Failures& failures) {
  UnreadableSummary out;
  const std::vector<unsigned char> mine_failed = failures.flags();
  std::vector<unsigned char> all_failed(mine_failed.size());
  for (std::size_t at = 0; at < mine_failed.size(); at += INT_MAX) {
    const int n = static_cast<int>(std::min<std::size_t>(INT_MAX, mine_failed.size() - at));
    check(MPI_Reduce(mine_failed.data() + at, all_failed.data() + at, n, MPI_UNSIGNED_CHAR, MPI_MAX,
                     0, job.world()),
          "MPI_Reduce");
  }
  const auto lists = job.gather_strings(analyze::pack_unreadable(failures.first()));
  if (job.rank() == 0) {
    for (const auto& text : lists) analyze::unpack_unreadable(text, out.first);
    analyze::keep_first(out.first);
    out.failed_files =
        static_cast<std::uint64_t>(std::count(all_failed.begin(), all_failed.end(), 1));
    out.count = walked.unreadable + out.failed_files;
    if (!out.first.empty()) {
      out.exit_code = out.first.front().error != 0
                          ? io::exit_code_for_errno(out.first.front().error)
                          : io::kIoExit;
    }
  }
  check(MPI_Bcast(&out.exit_code, 1, MPI_INT, 0, job.world()), "MPI_Bcast");
  return out;
}

// This rank's seconds in each step (read, hash, compress, exchange, count, then zstd, lz4,
// zlib): the mean over its threads, as the storage passes give them.
std::vector<double> step_means(const std::vector<ThreadState>& state, double exchange) {
  const int threads = static_cast<int>(state.size());
  std::vector<double> steps(8, 0.0);
  steps[3] = exchange;
  for (const auto& s : state) {
    const analyze::Scanner& scan = s.reader->scanner();
    steps[0] += s.reader->read_seconds / threads;
    steps[1] += scan.hash_seconds() / threads;
    steps[2] += scan.compress_seconds() / threads;
    for (int i = 0; i < analyze::kCompressors; ++i)
      steps[5 + static_cast<std::size_t>(i)] +=
          scan.compressor_seconds()[static_cast<std::size_t>(i)] / threads;
    steps[4] += s.insert / threads;
  }
  return steps;
}

// This rank's sums: per unit size the scans' tallies and the sets' distinct sums, then the
// chunks' tally (its sample grouped by fingerprint across the job with --sample below 1).
// Collective.
analyze::FlatSums rank_sums(const Job& job, const AnalyzeRequest& req,
                            std::vector<ThreadState>& state) {
  analyze::FlatSums mine;
  for (std::size_t k = 0; k < req.units.size(); ++k) {
    analyze::LevelTally tally;
    analyze::DistinctSums distinct;
    for (const auto& s : state) {
      tally.merge(s.reader->levels[k]);
      distinct.merge(s.sets[k].sums());
    }
    mine.add(tally);
    mine.add(distinct);
  }
  analyze::LevelTally chunks;
  for (const auto& s : state) chunks.merge(s.reader->chunks);
  if (req.sample > 0 && req.sample < 1) chunks.sample = grouped_chunk_sample(job, state);
  mine.add(chunks);
  return mine;
}

}  // namespace

Measured run_analyze(const RankContext& c, report::Analyze& analysis) {
  const Job& job = c.job;
  const AnalyzeRequest& req = *c.request.analyze;
  Team& team = c.team;
  const int ranks = job.size(), threads = team.size();

  Walked walked = walk_paths(job, req);
  const analyze::Inputs& inputs = walked.inputs;
  analyze::ScanSettings settings;
  settings.units = req.units;
  settings.chunk = req.chunk;
  settings.sample = req.sample;
  const std::uint64_t alignment = settings.alignment();
  const analyze::MemoryPlan plan(inputs.files, settings, ranks, threads);
  const MemoryAgreement mem = agree_memory(job, req, plan);
  settings.keep = mem.keep;

  // Every thread's sets, reader and buffer, made by the thread itself (its NUMA node).
  std::vector<ThreadState> state(static_cast<std::size_t>(threads));
  const std::string error = run_on_team(team, [&](int t) {
    ThreadState& s = state[static_cast<std::size_t>(t)];
    for (std::uint64_t n : plan.units_per_level())
      s.sets.emplace_back(analyze::set_keys(n, mem.keep, ranks, threads));
    s.buffer = io::AlignedBuffer(alignment, 4096);
    s.reader = std::make_unique<analyze::PieceReader>(inputs.files, settings, s.buffer.data(),
                                                      [] { return stop_signal() != 0; });
  });
  job.agree(error.empty() ? "" : "analysis memory: " + error, 2);

  const auto share = analyze::share_of(inputs.files, job.rank(), ranks, alignment);
  std::uint64_t share_bytes = 0;
  for (const auto& e : share) share_bytes += e.end - e.begin;
  analyze::PieceCursor cursor(share, inputs.files, alignment);
  // The files this rank could not read (their pieces are skipped), and the first failures.
  analyze::Failures failures(inputs.files.size(), std::move(walked.unreadable_first));
  report::Progress progress(c.request.progress && job.rank() == 0, share_bytes, ranks, "analyze");

  Measured m;
  Interval run;
  Exchange x(ranks);
  job.sync();
  job.set_phase("analyze");
  run.start = job.now();
  for (;;) {
    // Whether any rank has bytes left, and whether any got a stop signal.
    // (Job::combine: bounded by --timeout, as the agreement after each read is.)
    const int stop = agreed_stop(job);
    if (stop != 0) {
      m.stop_signal = stop;
      run.complete = false;
      break;
    }
    if (job.combine(cursor.done() ? 0 : 1, MPI_MAX) == 0) break;

    const std::vector<analyze::Piece> pieces =
        cursor.take(analyze::kRoundBytesPerThread * static_cast<std::uint64_t>(threads));
    read_round(job, team, state, pieces, failures, req.strict, progress);
    exchange_round(job, state, x);
    count_round(job, team, state, x.recv);
  }
  run.end = job.now();
  std::uint64_t skipped_bytes = 0;
  unsigned long long holes = 0;
  for (const auto& s : state) {
    run.bytes += s.reader->bytes;
    skipped_bytes += s.reader->skipped_bytes;
    holes += s.reader->hole_bytes;
  }
  if (run.complete) run.complete = run.bytes + skipped_bytes == share_bytes;

  const UnreadableSummary unreadable = gather_unreadable(job, walked, failures);
  m.exit_code = unreadable.exit_code;
  unsigned long long hole_total = 0;
  check(MPI_Reduce(&holes, &hole_total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, job.world()),
        "MPI_Reduce");

  const std::vector<double> steps = step_means(state, x.seconds);
  run.io_seconds = steps[0];
  run.generate_seconds = steps[1] + steps[2];
  run.files = 0;
  m.runs.push_back(run);
  m.io_component = "pread";

  // Sums to rank 0, and the slowest rank's steps and memory.
  const analyze::FlatSums all = reduce_flat(job, rank_sums(job, req, state));
  double slowest[8] = {};
  check(MPI_Reduce(steps.data(), slowest, 8, MPI_DOUBLE, MPI_MAX, 0, job.world()), "MPI_Reduce");
  unsigned long long mem_mine[2] = {mem.memory, ~0ULL - mem.budget}, mem_all[2] = {};
  check(MPI_Reduce(mem_mine, mem_all, 2, MPI_UNSIGNED_LONG_LONG, MPI_MAX, 0, job.world()),
        "MPI_Reduce");
  const auto iterations = reduce_iterations(job, m.runs);
  if (job.rank() != 0) return m;

  analysis.paths = req.paths;
  analysis.files = inputs.files.size() - unreadable.failed_files;
  analysis.skipped = inputs.skipped;
  analysis.same_file_skipped = inputs.same_file_skipped;
  analysis.hole_bytes = hole_total;
  analysis.unreadable = unreadable.count;
  analysis.unreadable_exit_code = m.exit_code;
  for (const auto& u : unreadable.first) {
    report::AnalyzeUnreadable r;
    r.path = u.path;
    r.error = u.what + ": " + u.message;
    if (!u.in_walk) r.offset = u.offset;
    analysis.unreadable_first.push_back(r);
  }
  analysis.chunk = req.chunk;
  analysis.sample = req.sample;
  analysis.keep = mem.keep;
  analysis.memory_per_rank = mem_all[0];
  analysis.memory_budget = ~0ULL - mem_all[1];
  analysis.read_seconds = slowest[0];
  analysis.hash_seconds = slowest[1];
  analysis.compress_seconds = slowest[2];
  analysis.exchange_seconds = slowest[3];
  analysis.count_seconds = slowest[4];
  analysis.zstd_seconds = slowest[5];
  analysis.lz4_seconds = slowest[6];
  analysis.zlib_seconds = slowest[7];
  analysis.seconds = iterations.at(0).seconds;
  analysis.gbps = iterations.at(0).aggregate_gbps;
  analyze::fill_units({all.u.data(), all.w.data()}, req.units, mem.keep, req.sample, analysis);
  return m;
}

}  // namespace dgen::mpi
