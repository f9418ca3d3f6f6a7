// Analyze mode: what a deduplicating, compressing storage engine would keep of existing data,
// measured by the whole job (docs/analyze.md).
//
// Rank 0 walks the paths (each file once, sparse files' data mapped); every rank reads a
// contiguous share of the files' bytes in rounds, and counts the pieces wholly in holes as zeros
// without reading them. A file that cannot be read is skipped by the rank that meets it, counted
// and named (--strict: the job ends there).
// In a round each thread reads pieces (a multiple of the largest unit or chunk from a file's
// start), fingerprints every unit at every unit size and compresses the sampled ones
// (analyze/scan.hpp); the main thread sends each unit's record to the rank owning its
// fingerprint's range (MPI_Alltoallv), and the owner's threads count first sightings in their
// fingerprint sets. The sums are reduced to rank 0 at the end. The memory the sets take is
// checked before any byte is read: when it would not fit, only the fingerprints below a hash
// threshold are counted and the figures are scaled up (the estimator), never swapped.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <tuple>

#include "analyze/dataset.hpp"
#include "analyze/estimate.hpp"
#include "analyze/fingerprint_set.hpp"
#include "analyze/scan.hpp"
#include "analyze/xxh3_targets.hpp"
#include "dgen/size.hpp"
#include "io/backend.hpp"
#include "io/direct.hpp"
#include "io/errors.hpp"
#include "mpi/modes.hpp"
#include "mpi/reduce.hpp"
#include "mpi/stop_signal.hpp"
#include "topology/memory.hpp"

namespace dgen::mpi {

namespace {

using analyze::UnitRecord;

/// Bytes each thread reads per round: the records a round sends stay small (below 1 % of it
/// at 4 KiB units), and a stop signal or an error is acted on within a round.
constexpr std::uint64_t kRoundBytesPerThread = 16ULL << 20;

// The file list travels from rank 0 as [size u64][path length u64][path][data spans u64, or
// ~0 for a file without holes][begin end u64...] records.
std::string pack(const analyze::Inputs& in) {
  std::string out;
  auto put = [&](std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(in.skipped);
  put(in.same_file_skipped);
  put(in.files.size());
  for (const auto& f : in.files) {
    put(f.size);
    put(f.path.size());
    out += f.path;
    put(f.sparse ? f.data.size() : ~0ULL);
    for (const auto& d : f.data) {
      put(d.begin);
      put(d.end);
    }
  }
  return out;
}

analyze::Inputs unpack(const std::string& text) {
  analyze::Inputs in;
  std::size_t at = 0;
  auto get = [&] {
    std::uint64_t v = 0;
    std::memcpy(&v, text.data() + at, sizeof v);
    at += sizeof v;
    return v;
  };
  in.skipped = get();
  in.same_file_skipped = get();
  const std::uint64_t n = get();
  in.files.resize(n);
  for (auto& f : in.files) {
    f.size = get();
    const std::uint64_t len = get();
    f.path = text.substr(at, len);
    at += len;
    in.bytes += f.size;
    const std::uint64_t spans = get();
    f.sparse = spans != ~0ULL;
    if (f.sparse) {
      f.data.resize(spans);
      for (auto& d : f.data) {
        d.begin = get();
        d.end = get();
      }
    }
  }
  return in;
}

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

/// A piece of a file one thread reads and scans at once, or a run of pieces the walk found
/// wholly in a hole, counted as zeros (where data is found there now, it is read).
struct Piece {
  std::size_t file = 0;
  std::uint64_t offset = 0, length = 0;
  bool hole = false;
};

/// The rank's share, handed out in rounds of pieces.
class PieceCursor {
 public:
  PieceCursor(std::vector<analyze::FileExtent> share, const std::vector<analyze::InputFile>& files,
              std::uint64_t alignment)
      : share_(std::move(share)), files_(files), alignment_(alignment) {
    enter();
  }
  bool done() const { return next_ >= share_.size(); }
  /// Pieces of at most `bytes` to read in all, a hole counting as one piece (at least one piece
  /// when any is left).
  std::vector<Piece> take(std::uint64_t bytes) {
    std::vector<Piece> pieces;
    std::uint64_t taken = 0;
    while (!done() && (pieces.empty() || taken < bytes)) {
      const analyze::FileExtent& e = share_[next_];
      while (run_ < runs_.size() && runs_[run_].end <= at_) ++run_;
      Piece p{e.file, at_, 0, false};
      if (run_ < runs_.size() && runs_[run_].begin <= at_) {
        p.length = std::min(alignment_, e.end - at_);
      } else {
        p.length = (run_ < runs_.size() ? std::min(e.end, runs_[run_].begin) : e.end) - at_;
        p.hole = true;
      }
      pieces.push_back(p);
      taken += std::min(p.length, alignment_);
      at_ += p.length;
      if (at_ >= e.end) {
        ++next_;
        enter();
      }
    }
    return pieces;
  }

 private:
  // At the start of the next extent, with its file's data runs.
  void enter() {
    if (done()) return;
    at_ = share_[next_].begin;
    runs_ = analyze::data_runs(files_[share_[next_].file], alignment_);
    run_ = 0;
  }
  std::vector<analyze::FileExtent> share_;
  const std::vector<analyze::InputFile>& files_;
  std::uint64_t alignment_;
  std::size_t next_ = 0;
  std::uint64_t at_ = 0;
  std::vector<analyze::Span> runs_;
  std::size_t run_ = 0;
};

/// The sets of one thread: one per unit size, for the fingerprints of its part of the owner's
/// range.
struct alignas(64) ThreadState {
  std::vector<analyze::FingerprintSet> sets;
  std::vector<analyze::LevelTally> levels;
  analyze::LevelTally chunks;
  std::vector<UnitRecord> out;
  std::unique_ptr<analyze::Scanner> scanner;
  io::AlignedBuffer buffer;
  double read = 0, insert = 0;
  std::uint64_t bytes = 0;
  std::uint64_t hole_bytes = 0;     ///< of `bytes`: counted as zeros without reading
  std::uint64_t skipped_bytes = 0;  ///< of files that could not be read
  int fd = -1;
  std::size_t fd_file = 0;
  ~ThreadState() {
    if (fd >= 0) ::close(fd);
  }
};

// The keys one set may have to hold: its expected share of `units` (uniform over owners and
// threads) and a margin of 8 standard deviations, so that overflowing is never seen.
std::uint64_t set_keys(std::uint64_t units, double keep, int ranks, int threads) {
  const double e = static_cast<double>(units) * keep / ranks / threads;
  return static_cast<std::uint64_t>(e + 8 * std::sqrt(e) + 64);
}

// What this rank's sets and buffers take with fraction `keep` of the fingerprints counted.
std::uint64_t memory_needed(const std::vector<std::uint64_t>& units_per_level, double keep,
                            int ranks, int threads, std::uint64_t alignment,
                            std::uint64_t smallest_unit, std::uint64_t compressor_bytes) {
  std::uint64_t sets = 0;
  for (std::uint64_t n : units_per_level)
    sets += static_cast<std::uint64_t>(threads) *
            analyze::FingerprintSet::bytes_for(set_keys(n, keep, ranks, threads));
  // Read buffers; a round's records three times over (the threads' lists, the send and the
  // receive buffers), the receive side with room for an uneven spread.
  const double per_byte = static_cast<double>(units_per_level.size()) / smallest_unit;
  const double records = static_cast<double>(threads) * kRoundBytesPerThread * per_byte * keep +
                         static_cast<double>(threads) * units_per_level.size() * 64;
  const std::uint64_t buffers = static_cast<std::uint64_t>(threads) * alignment +
                                static_cast<std::uint64_t>(records * 3.5 * sizeof(UnitRecord));
  // And each thread's compressors (zstd's context, zlib's state and an output buffer).
  return sets + buffers + static_cast<std::uint64_t>(threads) * compressor_bytes;
}

/// What ended the reading of a file: where, the call and the OS error (0: the file ended
/// before its listed size). what() is the line --strict ends the job with.
class ReadFailure : public io::IoError {
 public:
  ReadFailure(const std::string& path, std::string call, std::uint64_t offset, int err)
      : io::IoError(call == "open" ? "open " + path + ": " + reason(err)
                                   : "read " + path + " at offset " + std::to_string(offset) +
                                         ": " + (call == "read" ? "" : call + ": ") + reason(err)),
        call_(std::move(call)),
        offset_(offset),
        err_(err) {}
  /// The OS error's text, or why a file with no error failed.
  static std::string reason(int err) {
    return err != 0 ? std::strerror(err)
                    : "the file ended early (it was listed with more bytes; did it change during "
                      "the analysis?)";
  }
  /// As the report names it: "cannot open", "read at offset N".
  std::string what_failed() const {
    return call_ == "open" ? "cannot open" : call_ + " at offset " + std::to_string(offset_);
  }
  std::uint64_t offset() const { return offset_; }
  int error() const { return err_; }

 private:
  std::string call_;
  std::uint64_t offset_;
  int err_;
};

// Reads [offset, offset + n) of the file into p; throws ReadFailure.
void read_piece(int fd, const std::string& path, std::uint64_t offset, std::byte* p,
                std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = pread(fd, p + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) {
      if (stop_signal() != 0) throw io::IoError("stopped");
      continue;
    }
    if (r < 0) throw ReadFailure(path, "read", offset + done, errno);
    if (r == 0) throw ReadFailure(path, "read", offset + done, 0);
    done += static_cast<std::size_t>(r);
  }
}

/// An unreadable file as a rank sends it to rank 0.
nlohmann::json to_json(const analyze::Unreadable& u) {
  return {u.path, u.what, u.error, u.message, u.order, u.in_walk, u.offset};
}

analyze::Unreadable unreadable_from(const nlohmann::json& j) {
  analyze::Unreadable u;
  u.path = j[0];
  u.what = j[1];
  u.error = j[2];
  u.message = j[3];
  u.order = j[4];
  u.in_walk = j[5];
  u.offset = j[6];
  return u;
}

/// Walk order: by the files listed before; a directory before the file listed after it; a
/// file's first failing offset first.
bool earlier(const analyze::Unreadable& a, const analyze::Unreadable& b) {
  return std::tuple(a.order, !a.in_walk, a.offset) < std::tuple(b.order, !b.in_walk, b.offset);
}

/// Sorted in walk order, one entry per path, at most kUnreadableNamed.
void keep_first(std::vector<analyze::Unreadable>& list) {
  std::sort(list.begin(), list.end(), earlier);
  std::vector<analyze::Unreadable> first;
  for (auto& u : list) {
    if (first.size() == analyze::kUnreadableNamed) break;
    if (first.empty() || first.back().path != u.path || first.back().order != u.order)
      first.push_back(std::move(u));
  }
  list = std::move(first);
}

report::CompressRatios ratios_of(const analyze::LevelTally& t, double fraction) {
  report::CompressRatios c;
  auto to_range = [](const std::optional<analyze::Estimate>& e) -> std::optional<report::Range> {
    if (!e) return std::nullopt;
    return report::Range{e->value, e->low, e->high};
  };
  c.zstd = to_range(analyze::compression_ratio(t, analyze::Compressor::kZstd, fraction));
  c.lz4 = to_range(analyze::compression_ratio(t, analyze::Compressor::kLz4, fraction));
  c.zlib = to_range(analyze::compression_ratio(t, analyze::Compressor::kZlib, fraction));
  if (fraction > 0) {
    // The blocks whose compressed size is known: the sampled ones and every zero one.
    c.blocks = t.sample.blocks + t.zero_units;
    c.groups = t.sample.groups;
    c.sampled = t.sample.blocks;
    c.bytes = t.sample.bytes + t.zero_bytes;
    c.zstd_bytes = t.sample.packed[0] + t.zero_packed[0];
    c.lz4_bytes = t.sample.packed[1] + t.zero_packed[1];
    c.zlib_bytes = t.sample.packed[2] + t.zero_packed[2];
  }
  return c;
}

// The sums every rank sends to rank 0, flattened: plain counts (summed by MPI_Reduce) and
// 128-bit sums of squares (gathered and added on rank 0 as integers, so that the total does
// not depend on the order or the number of ranks).
struct Flat {
  std::vector<std::uint64_t> u;
  std::vector<analyze::WideSum> w;
  void add(const analyze::SampleSums& s) {
    u.insert(u.end(), {s.blocks, s.groups, s.bytes, s.packed[0], s.packed[1], s.packed[2]});
    w.insert(w.end(), {s.xx, s.yy[0], s.yy[1], s.yy[2], s.xy[0], s.xy[1], s.xy[2]});
    w.insert(w.end(), {s.xx1, s.yy1[0], s.yy1[1], s.yy1[2], s.xy1[0], s.xy1[1], s.xy1[2]});
  }
  void add(const analyze::LevelTally& t) {
    u.insert(u.end(), {t.units, t.bytes, t.zero_units, t.zero_bytes, t.zero_packed[0],
                       t.zero_packed[1], t.zero_packed[2]});
    add(t.sample);
  }
  void add(const analyze::DistinctSums& d) {
    u.insert(u.end(), {d.units, d.bytes});
    w.push_back(d.bytes_squared);
    add(d.compressed);
  }
};

// Reads back what Flat::add wrote, in the same order.
struct Unflat {
  const std::uint64_t* u;
  const analyze::WideSum* w;
  analyze::SampleSums sample() {
    analyze::SampleSums s;
    s.blocks = *u++;
    s.groups = *u++;
    s.bytes = *u++;
    for (auto& p : s.packed) p = *u++;
    s.xx = *w++;
    for (auto& y : s.yy) y = *w++;
    for (auto& x : s.xy) x = *w++;
    s.xx1 = *w++;
    for (auto& y : s.yy1) y = *w++;
    for (auto& x : s.xy1) x = *w++;
    return s;
  }
  analyze::LevelTally tally() {
    analyze::LevelTally t;
    t.units = *u++;
    t.bytes = *u++;
    t.zero_units = *u++;
    t.zero_bytes = *u++;
    for (auto& p : t.zero_packed) p = *u++;
    t.sample = sample();
    return t;
  }
  analyze::DistinctSums distinct() {
    analyze::DistinctSums d;
    d.units = *u++;
    d.bytes = *u++;
    d.bytes_squared = *w++;
    d.compressed = sample();
    return d;
  }
};

// Collective: the job's sums on rank 0 (elsewhere empty).
Flat reduce_flat(const Job& job, const Flat& mine) {
  Flat all;
  all.u.resize(mine.u.size());
  check(MPI_Reduce(mine.u.data(), all.u.data(), static_cast<int>(mine.u.size()), MPI_UINT64_T,
                   MPI_SUM, 0, job.world()),
        "MPI_Reduce");
  std::vector<std::uint64_t> halves;
  for (analyze::WideSum v : mine.w) {
    halves.push_back(static_cast<std::uint64_t>(v >> 64));
    halves.push_back(static_cast<std::uint64_t>(v));
  }
  std::vector<std::uint64_t> every(job.rank() == 0 ? halves.size() * job.size() : 0);
  check(MPI_Gather(halves.data(), static_cast<int>(halves.size()), MPI_UINT64_T, every.data(),
                   static_cast<int>(halves.size()), MPI_UINT64_T, 0, job.world()),
        "MPI_Gather");
  all.w.assign(mine.w.size(), 0);
  for (std::size_t at = 0; at < every.size(); at += 2) {
    const std::size_t i = (at % halves.size()) / 2;
    all.w[i] += static_cast<analyze::WideSum>(every[at]) << 64 | every[at + 1];
  }
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

// --sample below 1: the sampled chunks' sums with each distinct chunk one group (its copies are
// sampled together, so they are one draw, not many): every sampled chunk goes to the rank
// owning its fingerprint, which groups the copies. Collective.
template <class States>
analyze::SampleSums grouped_chunk_sample(const Job& job, States& state) {
  const int ranks = job.size();
  auto owner_of = [ranks](const analyze::ChunkSample& c) {
    return static_cast<int>(
        (static_cast<unsigned __int128>(c.fp.lo) * static_cast<unsigned>(ranks)) >> 64);
  };
  std::vector<int> send_counts(static_cast<std::size_t>(ranks), 0), send_displs(send_counts),
      recv_counts(send_counts), recv_displs(send_counts);
  std::size_t total = 0;
  for (auto& s : state) {
    for (const auto& c : s.scanner->sampled_chunks())
      ++send_counts[static_cast<std::size_t>(owner_of(c))];
    total += s.scanner->sampled_chunks().size();
  }
  for (int r = 0, at = 0; r < ranks; ++r) {
    send_displs[static_cast<std::size_t>(r)] = at;
    at += send_counts[static_cast<std::size_t>(r)];
  }
  std::vector<analyze::ChunkSample> send(total);
  {
    std::vector<int> fill = send_displs;
    for (auto& s : state) {
      for (const auto& c : s.scanner->sampled_chunks())
        send[static_cast<std::size_t>(fill[static_cast<std::size_t>(owner_of(c))]++)] = c;
      std::vector<analyze::ChunkSample>().swap(s.scanner->sampled_chunks());
    }
  }
  const std::size_t incoming = receive_counts(job, send_counts, recv_counts, recv_displs);
  std::vector<analyze::ChunkSample> recv(incoming);
  MPI_Datatype record;
  check(MPI_Type_contiguous(sizeof(analyze::ChunkSample), MPI_BYTE, &record),
        "MPI_Type_contiguous");
  check(MPI_Type_commit(&record), "MPI_Type_commit");
  check(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), record, recv.data(),
                      recv_counts.data(), recv_displs.data(), record, job.world()),
        "MPI_Alltoallv");
  MPI_Type_free(&record);
  return analyze::grouped_sums(recv);
}

}  // namespace

Measured run_analyze(const RankContext& c, report::Analyze& analysis) {
  const Job& job = c.job;
  const AnalyzeRequest& req = *c.request.analyze;
  Team& team = c.team;
  const int ranks = job.size(), threads = team.size();

  // The files: walked once, on rank 0, which keeps what the walk could not read.
  analyze::Inputs inputs;
  std::uint64_t walk_unreadable = 0;
  std::vector<analyze::Unreadable> unreadable;  // this rank's, in walk order
  {
    std::string error, packed;
    int code = 2;
    job.set_phase("walking the --analyze paths on rank 0");
    if (job.rank() == 0) {
      try {
        inputs = analyze::find_inputs(req.paths, req.strict);
        packed = pack(inputs);
        walk_unreadable = inputs.unreadable;
        unreadable = inputs.unreadable_first;
      } catch (const analyze::InputError& e) {
        error = e.what();
        code = e.exit_code();
      }
    }
    job.agree(error, code);
    inputs = unpack(broadcast(job, packed));
  }

  analyze::ScanSettings settings;
  settings.units = req.units;
  settings.chunk = req.chunk;
  settings.sample = req.sample;
  const std::uint64_t alignment = settings.alignment();
  std::vector<std::uint64_t> units_per_level;
  // Sized for every unit that holds data being distinct: a hole's units share one fingerprint.
  for (std::uint64_t u : req.units)
    units_per_level.push_back(analyze::units_that_may_differ(inputs.files, u));

  // Memory, before anything is read: the most keep fraction whose sets fit every rank's budget.
  std::uint64_t budget = req.memory_per_rank;
  if (budget == 0) {
    const auto limits = topology::read_memory_limits();
    budget = limits.usable() / 2 / static_cast<std::uint64_t>(std::max(1, job.local_size()));
  }
  const std::uint64_t compressor_bytes =
      req.sample > 0 ? analyze::Compressors::footprint(alignment) : 0;
  double keep = 1;
  std::string memory_error;
  // --sample below 1: each sampled chunk's record, kept by its thread, then sent to and held
  // by its fingerprint's owner (twice, with room for an uneven spread).
  std::uint64_t chunk_sample_bytes = 0;
  if (req.sample > 0 && req.sample < 1) {
    double chunk_count = 0;
    for (const auto& f : inputs.files)
      chunk_count += std::ceil(static_cast<double>(f.size) / static_cast<double>(req.chunk));
    chunk_sample_bytes = static_cast<std::uint64_t>(
        std::ceil(req.sample * chunk_count / ranks * 3.5) * sizeof(analyze::ChunkSample));
  }
  auto need = [&](double k) {
    return memory_needed(units_per_level, k, ranks, threads, alignment, req.units[0],
                         compressor_bytes) +
           chunk_sample_bytes;
  };
  if (need(1) > budget) {
    if (need(0) > budget) {
      memory_error = "--analyze-memory " + format_size(budget) +
                     " per rank: the read buffers and compressors " +
                     (chunk_sample_bytes > 0 ? "and the sampled chunks' records " : "") +
                     "alone take " + format_size(need(0)) + " (" + std::to_string(threads) +
                     " threads; fewer threads or a smaller --analyze-chunk need less)";
    } else {
      double lo = 0, hi = 1;
      for (int i = 0; i < 60; ++i) {
        const double mid = (lo + hi) / 2;
        (need(mid) <= budget ? lo : hi) = mid;
      }
      keep = lo;
    }
  }
  job.agree(memory_error, 2);
  check(MPI_Allreduce(MPI_IN_PLACE, &keep, 1, MPI_DOUBLE, MPI_MIN, job.world()), "MPI_Allreduce");
  settings.keep = keep;
  const std::uint64_t memory = need(keep);

  // Every thread's sets, scanner and buffer, made by the thread itself (its NUMA node).
  std::vector<ThreadState> state(static_cast<std::size_t>(threads));
  std::string error = run_on_team(team, [&](int t) {
    ThreadState& s = state[static_cast<std::size_t>(t)];
    for (std::uint64_t n : units_per_level) s.sets.emplace_back(set_keys(n, keep, ranks, threads));
    s.levels.resize(req.units.size());
    s.scanner = std::make_unique<analyze::Scanner>(settings);
    s.buffer = io::AlignedBuffer(alignment, 4096);
  });
  job.agree(error.empty() ? "" : "analysis memory: " + error, 2);

  const auto share = analyze::share_of(inputs.files, job.rank(), ranks, alignment);
  std::uint64_t share_bytes = 0;
  for (const auto& e : share) share_bytes += e.end - e.begin;
  PieceCursor cursor(share, inputs.files, alignment);
  // The files this rank could not read (a byte each, reduced to rank 0), and the first
  // failures; their pieces are skipped.
  std::vector<std::atomic<unsigned char>> failed(inputs.files.size());
  std::mutex failures_lock;
  report::Progress progress(c.request.progress && job.rank() == 0, share_bytes, ranks, "analyze");

  Measured m;
  Interval run;
  double exchange = 0;
  std::vector<int> send_counts(static_cast<std::size_t>(ranks)),
      recv_counts(static_cast<std::size_t>(ranks)), send_displs(static_cast<std::size_t>(ranks)),
      recv_displs(static_cast<std::size_t>(ranks));
  std::vector<UnitRecord> send, recv;
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

    const std::vector<Piece> pieces =
        cursor.take(kRoundBytesPerThread * static_cast<std::uint64_t>(threads));
    std::atomic<std::size_t> next{0};
    std::atomic<int> read_failed{0};  // --strict: the exit code of the team's error, a read's
    error = run_on_team(team, [&](int t) {
      ThreadState& s = state[static_cast<std::size_t>(t)];
      s.out.clear();
      s.scanner->new_round();
      // Reads and scans n bytes at `offset` (a piece, or less at a file's end).
      auto read_and_scan = [&](const std::string& path, std::uint64_t offset, std::uint64_t n) {
        const double t0 = clock_seconds();
        read_piece(s.fd, path, offset, s.buffer.data(), n);
        s.read += clock_seconds() - t0;
        s.scanner->scan(s.buffer.data(), n, s.levels, s.chunks, s.out);
        s.bytes += n;
        progress.add(n);
      };
      for (std::size_t i; !team.stopped() && (i = next.fetch_add(1)) < pieces.size();) {
        const Piece& piece = pieces[i];
        const std::string& path = inputs.files[piece.file].path;
        if (failed[piece.file].load(std::memory_order_relaxed) != 0) {
          s.skipped_bytes += piece.length;
          progress.add(piece.length);
          continue;
        }
        const std::uint64_t before = s.bytes;
        try {
          if (s.fd < 0 || s.fd_file != piece.file) {
            if (s.fd >= 0) ::close(s.fd);
            s.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (s.fd < 0) throw ReadFailure(path, "open", piece.offset, errno);
            s.fd_file = piece.file;
          }
          if (!piece.hole) {
            read_and_scan(path, piece.offset, piece.length);
            continue;
          }
          // A hole when the file was listed: still as long, and where is there data now? The
          // pieces that hold some are read whole; the rest counted as zeros.
          struct stat st {};
          if (fstat(s.fd, &st) != 0) throw ReadFailure(path, "fstat", piece.offset, errno);
          const std::uint64_t end = piece.offset + piece.length;
          if (static_cast<std::uint64_t>(st.st_size) < end) {
            throw ReadFailure(path, "read", std::max<std::uint64_t>(piece.offset, st.st_size), 0);
          }
          for (std::uint64_t at = piece.offset; at < end;) {
            const off_t d = lseek(s.fd, static_cast<off_t>(at), SEEK_DATA);
            if (d < 0 && errno != ENXIO) throw ReadFailure(path, "SEEK_DATA", at, errno);
            const std::uint64_t data =
                d < 0 ? end : std::min<std::uint64_t>(end, static_cast<std::uint64_t>(d));
            // Zeros up to the piece that holds the data (to the end when none does).
            const std::uint64_t zeros_end =
                data >= end ? end : std::max(at, data / alignment * alignment);
            if (zeros_end > at) {
              s.scanner->scan_zeros(zeros_end - at, s.levels, s.chunks, s.out);
              s.bytes += zeros_end - at;
              s.hole_bytes += zeros_end - at;
              progress.add(zeros_end - at);
              at = zeros_end;
            }
            if (at < end) {
              const std::uint64_t n = std::min(alignment, end - at);
              read_and_scan(path, at, n);
              at += n;
            }
          }
        } catch (const ReadFailure& f) {
          if (req.strict) {
            read_failed = io::exit_code_for_errno(f.error());
            throw;
          }
          // Skipped: this piece's rest, and every later piece of the file on this rank.
          failed[piece.file].store(1, std::memory_order_relaxed);
          const std::uint64_t rest = piece.length - (s.bytes - before);
          s.skipped_bytes += rest;
          progress.add(rest);
          analyze::Unreadable u;
          u.path = path;
          u.what = f.what_failed();
          u.error = f.error();
          u.message = ReadFailure::reason(f.error());
          u.order = piece.file;
          u.offset = f.offset();
          const std::lock_guard<std::mutex> hold(failures_lock);
          unreadable.push_back(std::move(u));
          if (unreadable.size() > 4 * analyze::kUnreadableNamed) keep_first(unreadable);
        }
      }
    });
    if (error == "stopped" && stop_signal() != 0) error.clear();  // a read cut by the signal
    job.agree(read_failed != 0 ? error : "", read_failed);
    job.agree(error, 1);

    // Each record to the rank owning its fingerprint: owner = floor(lo * ranks / 2^64).
    const double x0 = clock_seconds();
    std::fill(send_counts.begin(), send_counts.end(), 0);
    auto owner_of = [ranks](const UnitRecord& r) {
      return static_cast<int>(
          (static_cast<unsigned __int128>(r.fp.lo) * static_cast<unsigned>(ranks)) >> 64);
    };
    std::size_t total = 0;
    for (const auto& s : state) {
      for (const auto& r : s.out) ++send_counts[static_cast<std::size_t>(owner_of(r))];
      total += s.out.size();
    }
    send.reserve(total);  // exactly: resize alone may double the capacity
    send.resize(total);
    for (int r = 0, at = 0; r < ranks; ++r) {
      send_displs[static_cast<std::size_t>(r)] = at;
      at += send_counts[static_cast<std::size_t>(r)];
    }
    {
      std::vector<int> fill = send_displs;
      for (const auto& s : state)
        for (const auto& r : s.out) send[static_cast<std::size_t>(fill[owner_of(r)]++)] = r;
    }
    const std::size_t incoming = receive_counts(job, send_counts, recv_counts, recv_displs);
    // Every copy of a unit goes to one owner: a unit repeated across all ranks' shares (zero
    // units are sent once per thread and round) could exceed what MPI_Alltoallv's int
    // displacements address; the job then stops with the reason rather than overflow.
    job.agree(incoming > static_cast<std::size_t>(INT_MAX)
                  ? "analyze: " + std::to_string(incoming) +
                        " records for this rank in one round, more than MPI_Alltoallv's int "
                        "displacements address; run with fewer threads per rank"
                  : "",
              1);
    recv.reserve(incoming);
    recv.resize(incoming);
    MPI_Datatype record;
    check(MPI_Type_contiguous(sizeof(UnitRecord), MPI_BYTE, &record), "MPI_Type_contiguous");
    check(MPI_Type_commit(&record), "MPI_Type_commit");
    check(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), record, recv.data(),
                        recv_counts.data(), recv_displs.data(), record, job.world()),
          "MPI_Alltoallv");
    MPI_Type_free(&record);
    exchange += clock_seconds() - x0;

    // Thread t counts the fingerprints of its part of this rank's range.
    error = run_on_team(team, [&](int t) {
      ThreadState& s = state[static_cast<std::size_t>(t)];
      const double t0 = clock_seconds();
      // The records of this thread's part, each prefetched kAhead inserts before its turn.
      constexpr std::size_t kAhead = 16;
      const UnitRecord* ring[kAhead];
      std::size_t queued = 0;
      for (const auto& r : recv) {
        const auto rest = static_cast<std::uint64_t>(static_cast<unsigned __int128>(r.fp.lo) *
                                                     static_cast<unsigned>(ranks));
        const int part = static_cast<int>(
            (static_cast<unsigned __int128>(rest) * static_cast<unsigned>(threads)) >> 64);
        if (part != t) continue;
        s.sets[static_cast<std::size_t>(r.level())].prefetch(r.fp);
        const UnitRecord*& slot = ring[queued++ % kAhead];
        if (queued > kAhead) s.sets[static_cast<std::size_t>(slot->level())].insert(*slot);
        slot = &r;
      }
      for (std::size_t i = queued > kAhead ? queued - kAhead : 0; i < queued; ++i) {
        const UnitRecord& r = *ring[i % kAhead];
        s.sets[static_cast<std::size_t>(r.level())].insert(r);
      }
      s.insert += clock_seconds() - t0;
    });
    job.agree(error, 1);
  }
  run.end = job.now();
  std::uint64_t skipped_bytes = 0;
  unsigned long long holes = 0;
  for (const auto& s : state) {
    run.bytes += s.bytes;
    skipped_bytes += s.skipped_bytes;
    holes += s.hole_bytes;
  }
  if (run.complete) run.complete = run.bytes + skipped_bytes == share_bytes;

  // What could not be read: the files (on any rank) counted once, the first named in walk
  // order, and the exit code of the first, on every rank.
  std::uint64_t unreadable_count = 0, failed_files = 0;
  {
    std::vector<unsigned char> mine_failed(failed.size()), all_failed(failed.size());
    for (std::size_t i = 0; i < failed.size(); ++i) mine_failed[i] = failed[i].load();
    for (std::size_t at = 0; at < failed.size(); at += INT_MAX) {
      const int n = static_cast<int>(std::min<std::size_t>(INT_MAX, failed.size() - at));
      check(MPI_Reduce(mine_failed.data() + at, all_failed.data() + at, n, MPI_UNSIGNED_CHAR,
                       MPI_MAX, 0, job.world()),
            "MPI_Reduce");
    }
    keep_first(unreadable);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& u : unreadable) list.push_back(to_json(u));
    const auto lists = job.gather_strings(list.dump());
    int code = 0;
    if (job.rank() == 0) {
      unreadable.clear();
      for (const auto& text : lists)
        for (const auto& j : nlohmann::json::parse(text)) unreadable.push_back(unreadable_from(j));
      keep_first(unreadable);
      failed_files =
          static_cast<std::uint64_t>(std::count(all_failed.begin(), all_failed.end(), 1));
      unreadable_count = walk_unreadable + failed_files;
      if (!unreadable.empty()) {
        code = unreadable.front().error != 0 ? io::exit_code_for_errno(unreadable.front().error)
                                             : io::kIoExit;
      }
    }
    check(MPI_Bcast(&code, 1, MPI_INT, 0, job.world()), "MPI_Bcast");
    m.exit_code = code;
  }
  unsigned long long hole_total = 0;
  check(MPI_Reduce(&holes, &hole_total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, job.world()),
        "MPI_Reduce");

  // Thread means, as the storage passes give them.
  double read = 0, hash = 0, compress = 0, insert = 0;
  double by_compressor[analyze::kCompressors] = {};
  for (const auto& s : state) {
    read += s.read / threads;
    hash += s.scanner->hash_seconds() / threads;
    compress += s.scanner->compress_seconds() / threads;
    for (int i = 0; i < analyze::kCompressors; ++i)
      by_compressor[i] += s.scanner->compressor_seconds()[static_cast<std::size_t>(i)] / threads;
    insert += s.insert / threads;
  }
  run.io_seconds = read;
  run.generate_seconds = hash + compress;
  run.files = 0;
  m.runs.push_back(run);
  m.io_component = "pread";

  // Sums to rank 0.
  const std::size_t levels = req.units.size();
  Flat mine;
  for (std::size_t k = 0; k < levels; ++k) {
    analyze::LevelTally tally;
    analyze::DistinctSums distinct;
    for (const auto& s : state) {
      tally.merge(s.levels[k]);
      distinct.merge(s.sets[k].sums());
    }
    mine.add(tally);
    mine.add(distinct);
  }
  analyze::LevelTally chunks;
  for (const auto& s : state) chunks.merge(s.chunks);
  if (req.sample > 0 && req.sample < 1) chunks.sample = grouped_chunk_sample(job, state);
  mine.add(chunks);
  const Flat all = reduce_flat(job, mine);
  double steps[8] = {read,
                     hash,
                     compress,
                     exchange,
                     insert,
                     by_compressor[0],
                     by_compressor[1],
                     by_compressor[2]},
         slowest[8] = {};
  check(MPI_Reduce(steps, slowest, 8, MPI_DOUBLE, MPI_MAX, 0, job.world()), "MPI_Reduce");
  unsigned long long mem[2] = {memory, ~0ULL - budget}, mem_all[2] = {};
  check(MPI_Reduce(mem, mem_all, 2, MPI_UNSIGNED_LONG_LONG, MPI_MAX, 0, job.world()), "MPI_Reduce");
  const auto iterations = reduce_iterations(job, m.runs);
  if (job.rank() != 0) return m;

  analysis.paths = req.paths;
  analysis.files = inputs.files.size() - failed_files;
  analysis.skipped = inputs.skipped;
  analysis.same_file_skipped = inputs.same_file_skipped;
  analysis.hole_bytes = hole_total;
  analysis.unreadable = unreadable_count;
  analysis.unreadable_exit_code = m.exit_code;
  for (const auto& u : unreadable) {
    report::AnalyzeUnreadable r;
    r.path = u.path;
    r.error = u.what + ": " + u.message;
    if (!u.in_walk) r.offset = u.offset;
    analysis.unreadable_first.push_back(r);
  }
  analysis.chunk = req.chunk;
  analysis.sample = req.sample;
  analysis.keep = keep;
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
  Unflat sums{all.u.data(), all.w.data()};
  double pairs = 0;
  for (std::size_t k = 0; k < levels; ++k) {
    const analyze::LevelTally tally = sums.tally();
    const analyze::DistinctSums distinct = sums.distinct();
    report::AnalyzeUnit a;
    a.unit = req.units[k];
    a.units = tally.units;
    a.bytes = tally.bytes;
    a.zero_units = tally.zero_units;
    const analyze::Estimate e = analyze::distinct_units(distinct, keep);
    a.distinct = {e.value, e.low, e.high};
    if (e.value > 0) a.dedup_ratio = static_cast<double>(a.units) / e.value;
    a.compress = ratios_of(tally, req.sample);
    if (const auto s = analyze::stored_bytes(distinct, keep, req.sample)) {
      a.stored_bytes = report::Range{s->value, s->low, s->high};
      if (s->value > 0) a.combined_ratio = static_cast<double>(a.bytes) / s->value;
    } else if (a.units == 0 && req.sample > 0) {
      a.stored_bytes = report::Range{};  // nothing read, nothing stored: exactly 0
    }
    pairs += static_cast<double>(a.units) * static_cast<double>(a.units) / 2;
    analysis.bytes = a.bytes;
    analysis.units.push_back(a);
  }
  // Two units with different bytes share a fingerprint with probability at most n^2/2 * 2^-128
  // per unit size (XXH3-128 taken as a random function; a derived fingerprint collides only if
  // its parts' fingerprints or its own hash do), summed over the sizes.
  analysis.collision_bound = pairs * std::ldexp(1.0, -128) * 2;
  const analyze::LevelTally chunk_tally = sums.tally();
  analysis.chunks = chunk_tally.units;
  analysis.chunk_compress = ratios_of(chunk_tally, req.sample);
  analysis.hash = std::string("XXH3-128, ") + analyze::xxh3_best().name;
  return m;
}

}  // namespace dgen::mpi
