// Write and read modes: the rank's share of the stream to or from files, in any layout
// (io/layout.hpp), through a backend (io/backend.hpp). This file orders the steps of a pass,
// IOR's way: open, transfers, flush, close, each timed; the backends move the bytes.
//
// Where threads move bytes (posix), each thread generates one transfer into its own buffer,
// which stays in cache, and writes it: its threads overlap one another's generation and I/O.
// Where only the main thread may (mpiio, MPI_THREAD_FUNNELED), the team generates transfer
// i + 1 into a second buffer while transfer i is in flight (MPI_File_iwrite_at[_all]).
//
// Interrupted or failed, the output is removed, or with --keep-partial cut to the prefix every
// rank completed; a dataset keeps the files it completed and removes the one it was writing.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>

#include "dgen/size.hpp"
#include "io/backend.hpp"
#include "io/direct.hpp"
#include "io/errors.hpp"
#include "io/layout.hpp"
#include "io/partials.hpp"
#include "io/queue.hpp"
#include "io/transfers.hpp"
#include "mpi/modes.hpp"
#include "mpi/output_file.hpp"
#include "mpi/stop_signal.hpp"
#include "mpi/storage_checks.hpp"
#include "verify/compare.hpp"
#include "verify/decode.hpp"

namespace dgen::mpi {

namespace {

namespace fs = std::filesystem;

/// Adds the seconds `f` takes to `total` and returns what it returns.
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

/// What one thread did in a pass, padded so that threads do not share a cache line.
struct alignas(64) Tally {
  double generate = 0, io = 0, open = 0, flush = 0, close = 0;
  double verify = 0;         ///< regenerating and comparing what was read (--verify)
  std::uint64_t bytes = 0;   ///< completed
  std::uint64_t prefix = 0;  ///< completed, in order from the start of the thread's part
  std::uint64_t files = 0;
  std::uint64_t reused = 0;  ///< --resume: bytes found right and not written again
  verify::MismatchLog log;   ///< --verify: what this thread found wrong, in stream order
};

/// This rank's share and how it moves.
struct Share {
  Share(const RankContext& context, io::Backend& b) : c(context), backend(b) {}
  const RankContext& c;
  io::Backend& backend;
  bool write = true;
  std::vector<io::Extent> extents;  ///< the bytes this rank moves, in stream order
  std::uint64_t bytes = 0;
  std::uint64_t transfer = 0;
  std::uint64_t granule = 4096;  ///< thread parts start on multiples of it
  bool direct = false;
  bool repair = false;  ///< --resume: read each transfer first, write only those found wrong
  int depth = 1;        ///< transfers in flight per thread (--iodepth)
  /// Threads that move bytes: `depth` per thread, thread t's at [t*depth, (t+1)*depth); the
  /// main thread (mpiio): two, the transfer written and the next one generated.
  std::vector<io::AlignedBuffer> buffers;
  std::vector<io::AlignedBuffer> scratch;          ///< --resume: what the file holds, per buffer
  std::vector<std::unique_ptr<io::Queue>> queues;  ///< threads that move bytes: one each
  std::vector<io::AlignedBuffer> expected;         ///< --verify: the stream's bytes, one per buffer
  const verify::LaneDecoder* decoder = nullptr;    ///< --verify, else null
  std::size_t keep_mismatches = 16;
  VerifyFindings found;  ///< --verify: what the last read pass found

  bool shared() const { return c.request.layout.kind == io::LayoutKind::kSharedFile; }
};

// --verify: the n bytes read at `got` against the stream (verify::compare_with_stream).
void verify_read(const Share& s, Tally& tally, const std::byte* got, std::size_t n,
                 std::uint64_t at, std::uint64_t file, std::uint64_t file_offset, std::byte* want) {
  timed(tally.verify, [&] {
    verify::compare_with_stream(s.c.generator, tally.log, got, n, at, file, file_offset, want,
                                *s.decoder);
    return 0;
  });
}

// Fresh tallies for a pass, their mismatch logs keeping the first `keep`.
std::vector<Tally> make_tallies(const Share& s, std::size_t n) {
  std::vector<Tally> t(n);
  for (Tally& x : t) x.log = verify::MismatchLog(s.keep_mismatches);
  return t;
}

// --verify: the pass's findings, the threads' logs merged in stream order.
void collect_findings(Share& s, const std::vector<Tally>& tallies) {
  if (s.decoder == nullptr) return;
  VerifyFindings f;
  std::vector<verify::Mismatch> all;
  double movers = 0;
  for (const Tally& t : tallies) {
    f.bytes += t.bytes;
    f.wrong_bytes += t.log.wrong_bytes();
    f.wrong_blocks += t.log.wrong_blocks();
    f.ranges += t.log.ranges();
    all.insert(all.end(), t.log.first().begin(), t.log.first().end());
    f.seconds += t.verify;
    movers += t.bytes > 0 ? 1 : 0;
  }
  f.seconds /= std::max(movers, 1.0);
  f.first = verify::merge_mismatches(std::move(all), s.keep_mismatches);
  s.found = std::move(f);
}

io::OpenMode open_mode(const Share& s, bool create, bool exclusive, bool truncate) {
  io::OpenMode m;
  m.write = s.write;
  m.create = create;
  m.exclusive = exclusive;
  m.truncate = truncate;
  m.direct = s.direct;
  m.read_too = s.write && s.repair;
  return m;
}

// Generates n bytes at stream offset `at` into p with the whole team (the main-thread path).
void team_generate(const Share& s, std::uint64_t at, std::byte* p, std::uint64_t n) {
  s.c.team.run([&](int t) {
    const buffer::Part part = buffer::part_of(n, s.c.team.size(), t, 4096);
    if (part.size() > 0) s.c.generator.generate(at + part.begin, {p + part.begin, part.size()});
  });
}

// Writes transfer `n` bytes of `buf` at `off` with the main thread (part 0 of the team) while
// the team's other threads generate the next transfer into `next` (`next_n` bytes at stream
// offset `next_at`): MPI-IO's blocking calls overlap generation without nonblocking requests
// (Open MPI 4.1's OMPIO crashes in MPI_Wait on a failed MPI_File_iwrite_at: a null file in
// ompi_errhandler_request_invoke). Returns false when a stop signal cut the write short.
bool write_while_generating(const Share& s, io::File& file, std::uint64_t off, const std::byte* buf,
                            std::uint64_t n, std::byte* next, std::uint64_t next_at,
                            std::uint64_t next_n, Tally& tally) {
  const int helpers = s.c.team.size() - 1;
  if (helpers == 0 || next_n == 0) {
    const bool ok = timed(tally.io, [&] { return file.write_at(off, buf, n); });
    if (next_n > 0) {
      timed(tally.generate, [&] {
        team_generate(s, next_at, next, next_n);
        return 0;
      });
    }
    return ok;
  }
  bool ok = true;
  double write_seconds = 0;
  std::vector<double> generate_seconds(static_cast<std::size_t>(helpers), 0);
  s.c.team.run([&](int t) {
    if (t == 0) {
      ok = timed(write_seconds, [&] { return file.write_at(off, buf, n); });
      return;
    }
    timed(generate_seconds[static_cast<std::size_t>(t - 1)], [&] {
      const buffer::Part part = buffer::part_of(next_n, helpers, t - 1, 4096);
      if (part.size() > 0)
        s.c.generator.generate(next_at + part.begin, {next + part.begin, part.size()});
      return 0;
    });
  });
  tally.io += write_seconds;
  tally.generate += *std::max_element(generate_seconds.begin(), generate_seconds.end());
  return ok;
}

// The main thread moves the transfers of extent `e` of `file`, the team generates them.
// `collective`: every rank makes the same number of calls, so a rank that failed or was
// stopped keeps joining them with zero bytes until the others are done.
std::string main_thread_transfers(Share& s, io::File& file, const io::Extent& e, bool collective,
                                  Tally& tally, report::Progress& progress) {
  const std::uint64_t count = (e.length + s.transfer - 1) / s.transfer;
  std::string err;
  bool active = true;
  auto length_of = [&](std::uint64_t i) { return std::min(s.transfer, e.length - i * s.transfer); };
  auto note = [&](const std::exception& x) {
    if (err.empty()) err = x.what();
    active = false;
  };
  if (s.write && count > 0) {
    try {
      timed(tally.generate, [&] {
        team_generate(s, e.stream_offset, s.buffers[0].data(), length_of(0));
        return 0;
      });
    } catch (const std::exception& x) {
      note(x);  // the rank still joins every collective call, with zero bytes
    }
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    active = active && stop_signal() == 0;
    if (!active && !collective) break;
    const std::uint64_t n = active ? length_of(i) : 0;
    std::byte* buf = s.buffers[i % 2].data();
    const std::uint64_t off = e.file_offset + i * s.transfer;
    try {
      if (s.write) {
        // --resume: a transfer the file holds already is joined with zero bytes.
        std::uint64_t w = n;
        if (s.repair) {
          const std::size_t got =
              timed(tally.io, [&] { return file.read_upto(off, s.scratch[0].data(), n); });
          if (n > 0 && got == n && std::memcmp(s.scratch[0].data(), buf, n) == 0) {
            tally.reused += n;
            w = 0;
          }
        }
        const bool more = active && i + 1 < count;
        if (!write_while_generating(s, file, off, buf, w, s.buffers[(i + 1) % 2].data(),
                                    e.stream_offset + (i + 1) * s.transfer,
                                    more ? length_of(i + 1) : 0, tally))
          active = false;
      } else if (!timed(tally.io, [&] { return file.read_at(off, buf, n); })) {
        active = false;
      } else if (s.decoder != nullptr && n > 0) {
        verify_read(s, tally, buf, n, e.stream_offset + i * s.transfer, e.file, off,
                    s.expected[0].data());
      }
    } catch (const std::exception& x) {
      note(x);
      continue;
    }
    if (n > 0 && active) {
      tally.bytes += n;
      progress.add(n);
    }
  }
  return err;
}

// `file` is about to be closed: thread t's queue (every thread's for t < 0) lets go of it.
void release_file(Share& s, const io::File& file, int t) {
  for (std::size_t q = 0; q < s.queues.size(); ++q)
    if (t < 0 || q == static_cast<std::size_t>(t)) s.queues[q]->release(file);
}

// --resume: whether the n bytes at `offset` of `file` are already `want` (read into `have`);
// counted as reused when they are.
bool holds_already(io::File& file, std::uint64_t offset, const std::byte* want, std::size_t n,
                   std::byte* have, Tally& tally) {
  const std::size_t got = timed(tally.io, [&] { return file.read_upto(offset, have, n); });
  if (got != n || std::memcmp(have, want, n) != 0) return false;
  tally.reused += n;
  return true;
}

// Thread t's transfers of [part.begin, part.end) of extent `e` of `file`, through its queue
// (io/transfers.hpp: up to --iodepth in flight).
bool thread_transfers(Share& s, io::File& file, const io::Extent& e, buffer::Part part, int t,
                      Tally& tally, report::Progress& progress) {
  const std::uint64_t count = (part.size() + s.transfer - 1) / s.transfer;
  auto at = [&](std::uint64_t i) {
    const std::uint64_t x = part.begin + i * s.transfer;
    return io::Extent{e.file, e.file_offset + x, e.stream_offset + x,
                      std::min(s.transfer, part.end - x)};
  };
  std::vector<std::byte*> buffers, scratch;
  for (int k = 0; k < s.depth; ++k) {
    const std::size_t i = static_cast<std::size_t>(t * s.depth + k);
    buffers.push_back(s.buffers[i].data());
    scratch.push_back(s.repair ? s.scratch[i].data() : nullptr);
  }
  io::TransferHooks hooks;
  hooks.generate = [&](const io::Extent& x, std::byte* b) {
    s.c.generator.generate(x.stream_offset, {b, x.length});
  };
  if (s.decoder != nullptr) {
    std::byte* want = s.expected[static_cast<std::size_t>(t)].data();
    hooks.verify = [&s, &tally, want](const io::Extent& x, const std::byte* got) {
      verify::compare_with_stream(s.c.generator, tally.log, got, x.length, x.stream_offset, x.file,
                                  x.file_offset, want, *s.decoder);
    };
  }
  hooks.keep_going = [&] { return !s.c.team.stopped(); };
  hooks.completed = [&](bool, std::uint64_t n, double) { progress.add(n); };
  io::TransferCounts counts;
  bool all = false;
  auto add = [&] {
    tally.bytes += counts.bytes;
    tally.prefix += counts.prefix;
    tally.reused += counts.reused;
    tally.generate += counts.generate;
    tally.io += counts.io;
    tally.verify += counts.verify;
  };
  try {
    all = io::move_transfers(*s.queues[static_cast<std::size_t>(t)], file, s.write, s.repair, count,
                             at, buffers.data(), scratch.data(), hooks, counts);
  } catch (...) {
    add();
    throw;
  }
  add();
  return all && !s.c.team.stopped();
}

// An error of this rank with what it had moved, so that a user sees how far it got.
std::string with_progress(const std::string& err, const std::vector<Tally>& tallies, bool write) {
  if (err.empty()) return err;
  std::uint64_t moved = 0;
  for (const Tally& t : tallies) moved += t.bytes;
  return err + " (this rank had " + (write ? "written " : "read ") + std::to_string(moved) +
         " bytes of this pass)";
}

// Per step, the mean over the threads that took it: the share of the pass's wall time it took.
// `rank_steps`: opening, flushing and closing are the rank's own (one file), taken once.
void fill_times(Interval& run, const std::vector<Tally>& tallies, bool rank_steps) {
  double movers = 0, openers = 0;
  for (const Tally& t : tallies) {
    movers += t.bytes > 0 || t.io > 0 ? 1 : 0;
    openers += t.open > 0 ? 1 : 0;
  }
  movers = std::max(movers, 1.0);
  openers = std::max(openers, 1.0);
  for (const Tally& t : tallies) {
    run.generate_seconds += t.generate / movers;
    run.io_seconds += t.io / movers;
    if (!rank_steps) {
      run.open_seconds += t.open / openers;
      run.flush_seconds += t.flush / openers;
      run.close_seconds += t.close / openers;
    }
    run.files += t.files;
  }
  if (rank_steps) {
    run.open_seconds = tallies[0].open;
    run.flush_seconds = tallies[0].flush;
    run.close_seconds = tallies[0].close;
  }
}

// One pass over a shared file or the rank's own file, opened once by the rank.
Interval single_file_pass(Share& s, const std::string& name, report::Progress& progress,
                          std::vector<std::uint64_t>& done) {
  const Job& job = s.c.job;
  const io::Extent& e = s.extents.at(0);
  const int threads = s.c.team.size();
  std::vector<Tally> tallies =
      make_tallies(s, static_cast<std::size_t>(s.backend.threads_move_bytes() ? threads : 1));
  Interval run;
  run.start = job.now();
  std::unique_ptr<io::File> file;
  std::string err;
  try {
    timed(tallies[0].open, [&] {
      file = s.backend.open(name, open_mode(s, false, false, false), s.shared());
      return 0;
    });
  } catch (const std::exception& x) {
    err = x.what();
  }
  job.agree(err, kIoErrorExit);
  if (s.backend.threads_move_bytes()) {
    err = run_on_team(s.c.team, [&](int t) {
      thread_transfers(s, *file, e, buffer::part_of(e.length, threads, t, s.granule), t,
                       tallies[static_cast<std::size_t>(t)], progress);
    });
    done.clear();
    for (const Tally& t : tallies) done.push_back(t.prefix);
  } else {
    err = main_thread_transfers(s, *file, e, s.shared() && s.c.request.storage.collective,
                                tallies[0], progress);
    done.assign(1, tallies[0].bytes);
  }
  // Every rank flushes and closes, also after an error: both are collective on a shared
  // MPI-IO file. The error is agreed on after the clock stops.
  err = with_progress(err, tallies, s.write);
  if (s.write && s.c.request.storage.fsync) {
    try {
      timed(tallies[0].flush, [&] {
        file->flush();  // the data is on storage, not only in the page cache
        return 0;
      });
    } catch (const std::exception& x) {
      if (err.empty()) err = x.what();
    }
  }
  try {
    timed(tallies[0].close, [&] {
      release_file(s, *file, -1);
      file->close();
      return 0;
    });
  } catch (const std::exception& x) {
    if (err.empty()) err = x.what();
  }
  run.end = job.now();
  job.agree(err, kIoErrorExit);
  fill_times(run, tallies, true);
  collect_findings(s, tallies);
  for (const Tally& t : tallies) {
    run.bytes += t.bytes;
    run.reused += t.reused;
  }
  run.complete = run.bytes == s.bytes;
  run.files = run.complete && (!s.shared() || job.rank() == 0) ? 1 : 0;
  return run;
}

// --resume: whether dataset file `e` stands whole under its final name (its length and every
// byte), so that it is kept and not written again. `buf` and `have` hold a transfer each.
bool dataset_file_intact(Share& s, const io::Extent& e, std::byte* buf, std::byte* have,
                         Tally& tally) {
  const std::string name = io::file_path(s.c.request.layout, e.file);
  struct stat st {};
  if (stat(name.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) != e.length)
    return false;
  std::unique_ptr<io::File> file;
  timed(tally.open, [&] {
    file = s.backend.open(name, open_mode(s, false, false, false), false);
    return 0;
  });
  Tally probe;  // reused bytes count only when the whole file is right
  for (std::uint64_t x = 0; x < e.length; x += s.transfer) {
    const std::uint64_t n = std::min(s.transfer, e.length - x);
    timed(tally.generate, [&] {
      s.c.generator.generate(e.stream_offset + x, {buf, n});
      return 0;
    });
    if (!holds_already(*file, x, buf, n, have, probe)) return false;
  }
  file->close();
  tally.io += probe.io;
  tally.reused += e.length;
  return true;
}

// One file of a dataset: created under a temporary name (or in place), written, flushed,
// closed and renamed; read back: opened, read, closed. A file cut short is removed. With
// --resume a file that stands whole is kept.
bool dataset_file(Share& s, const io::Extent& e, Tally& tally, int t,
                  const std::function<bool(io::File&, const io::Extent&)>& transfers) {
  const RunRequest& req = s.c.request;
  const std::string final_name = io::file_path(req.layout, e.file);
  if (s.write && s.repair &&
      dataset_file_intact(s, e, s.buffers[static_cast<std::size_t>(t * s.depth)].data(),
                          s.scratch[static_cast<std::size_t>(t * s.depth)].data(), tally)) {
    ++tally.files;
    tally.bytes += e.length;
    return true;
  }
  const bool in_place = req.storage.in_place || !s.write;
  const std::string name = in_place ? final_name : temporary_name(final_name);
  std::unique_ptr<io::File> file;
  bool finished = false;
  try {
    timed(tally.open, [&] {
      file = s.backend.open(
          name,
          s.write ? open_mode(s, true, !in_place, in_place) : open_mode(s, false, false, false),
          false);
      return 0;
    });
    if (transfers(*file, e)) {
      if (s.write && req.storage.fsync) {
        timed(tally.flush, [&] {
          file->flush();
          return 0;
        });
      }
      timed(tally.close, [&] {
        release_file(s, *file, t);
        file->close();
        if (!in_place && rename(name.c_str(), final_name.c_str()) != 0) {
          throw io::IoError("cannot rename " + name + " to " + final_name + ": " +
                            std::strerror(errno));
        }
        return 0;
      });
      finished = true;
    }
  } catch (...) {
    if (file) release_file(s, *file, t);
    file.reset();
    if (s.write) unlink(name.c_str());  // never a short file under any name
    throw;
  }
  if (file) release_file(s, *file, t);
  file.reset();
  if (!finished && s.write) unlink(name.c_str());
  if (finished) ++tally.files;
  return finished;
}

// One pass over the rank's block of dataset files.
Interval dataset_pass(Share& s, report::Progress& progress, std::uint64_t& bytes_kept) {
  const Job& job = s.c.job;
  const int threads = s.c.team.size();
  const bool threaded = s.backend.threads_move_bytes();
  std::vector<Tally> tallies = make_tallies(s, static_cast<std::size_t>(threaded ? threads : 1));
  Interval run;
  run.start = job.now();
  std::string err;
  if (threaded) {
    // Thread t takes a contiguous block of the rank's files.
    err = run_on_team(s.c.team, [&](int t) {
      Tally& tally = tallies[static_cast<std::size_t>(t)];
      const buffer::Part mine = buffer::part_of(s.extents.size(), threads, t, 1);
      for (std::uint64_t k = mine.begin; k < mine.end && !s.c.team.stopped(); ++k) {
        const io::Extent& e = s.extents[k];
        const bool ok = dataset_file(s, e, tally, t, [&](io::File& f, const io::Extent& x) {
          return thread_transfers(s, f, x, {0, x.length}, t, tally, progress);
        });
        if (!ok) return;
      }
    });
  } else {
    try {
      for (const io::Extent& e : s.extents) {
        if (stop_signal() != 0) break;
        std::string transfer_error;
        const bool ok = dataset_file(s, e, tallies[0], 0, [&](io::File& f, const io::Extent& x) {
          transfer_error = main_thread_transfers(s, f, x, false, tallies[0], progress);
          if (!transfer_error.empty()) throw io::IoError(transfer_error);
          return stop_signal() == 0;
        });
        if (!ok) break;
      }
    } catch (const std::exception& x) {
      err = x.what();
    }
  }
  // New entries and renames reach storage when their directories are fsynced: once per
  // directory and pass, by the main thread (added whole to the flush time).
  double directory_flush = 0;
  if (err.empty() && s.write && s.c.request.storage.fsync) {
    std::set<std::uint64_t> dirs;
    for (const io::Extent& e : s.extents) dirs.insert(e.file / s.c.request.layout.files_per_dir);
    timed(directory_flush, [&] {
      for (std::uint64_t d : dirs) {
        const std::string any_file =
            io::file_path(s.c.request.layout, d * s.c.request.layout.files_per_dir);
        if (err.empty()) err = fsync_directory_of(any_file);
      }
      return 0;
    });
  }
  run.end = job.now();
  job.agree(with_progress(err, tallies, s.write), kIoErrorExit);
  fill_times(run, tallies, false);
  collect_findings(s, tallies);
  run.flush_seconds += directory_flush;
  // Only whole files count: a file cut short was removed.
  std::uint64_t files = 0;
  for (const Tally& t : tallies) {
    files += t.files;
    run.reused += t.reused;
  }
  run.bytes = files * s.c.request.layout.file_size;
  run.complete = run.bytes == s.bytes;
  bytes_kept = run.bytes;
  return run;
}

// The rank's prefix moved in a single-file pass: its parts in order, up to the first one not
// finished.
std::uint64_t moved_prefix(const Share& s, const std::vector<std::uint64_t>& done) {
  if (done.size() == 1) return done[0];
  std::uint64_t prefix = 0;
  const std::uint64_t length = s.extents.at(0).length;
  for (std::size_t t = 0; t < done.size(); ++t) {
    prefix += done[t];
    const buffer::Part p =
        buffer::part_of(length, static_cast<int>(done.size()), static_cast<int>(t), s.granule);
    if (done[t] < p.size()) break;
  }
  return prefix;
}

// Collective: the job's prefix that every rank wrote, on rank 0.
std::uint64_t job_prefix(const Job& job, std::uint64_t rank_prefix, std::uint64_t size) {
  std::vector<std::uint64_t> all(static_cast<std::size_t>(job.rank() == 0 ? job.size() : 0));
  check(MPI_Gather(&rank_prefix, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, 0, job.world()),
        "MPI_Gather");
  std::uint64_t total = 0;
  for (std::uint64_t p : all) {
    total += p;
    if (p < size) break;
  }
  return total;
}

// The stream in order to stdout or a FIFO: the team generates one chunk per thread, then the
// main thread writes them.
Measured write_stream(const RankContext& c, OutputFile& out) {
  const Job& job = c.job;
  const RunRequest& req = c.request;
  const std::uint64_t chunk = std::min(kChunk, req.size);
  const int threads = c.team.size();
  Measured m;
  report::Progress progress(req.progress && job.rank() == 0,
                            req.size * static_cast<std::uint64_t>(req.iterations), 1, "write");
  std::vector<std::vector<std::byte>> bufs(static_cast<std::size_t>(threads),
                                           std::vector<std::byte>(chunk));
  for (int it = 0; it < req.iterations; ++it) {
    job.sync();
    job.set_phase("write, iteration " + std::to_string(it + 1));
    Interval run;
    run.start = job.now();
    std::string err;
    try {
      for (std::uint64_t base = 0; base < req.size && stop_signal() == 0;
           base += chunk * static_cast<std::uint64_t>(threads)) {
        const double g0 = clock_seconds();
        c.team.run([&](int t) {
          const std::uint64_t x = base + chunk * static_cast<std::uint64_t>(t);
          if (x < req.size) {
            c.generator.generate(c.global_offset + x, {bufs[static_cast<std::size_t>(t)].data(),
                                                       std::min(chunk, req.size - x)});
          }
        });
        const double g1 = clock_seconds();
        run.generate_seconds += g1 - g0;
        bool stopped = false;
        for (int t = 0; t < threads && !stopped; ++t) {
          const std::uint64_t x = base + chunk * static_cast<std::uint64_t>(t);
          if (x >= req.size) break;
          const std::uint64_t n = std::min(chunk, req.size - x);
          const std::byte* p = bufs[static_cast<std::size_t>(t)].data();
          for (std::uint64_t left = n; left > 0;) {
            const ssize_t w = write(out.fd(), p, left);
            if (w < 0 && stop_signal() != 0) {
              stopped = true;
              break;
            }
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
              throw io::IoError("write to " + out.path() + " failed at offset " +
                                std::to_string(x + (n - left)) + ": " + std::strerror(errno));
            }
            p += w;
            left -= static_cast<std::uint64_t>(w);
          }
          if (stopped) break;
          run.bytes += n;
          progress.add(n);
        }
        run.io_seconds += clock_seconds() - g1;
      }
    } catch (const std::exception& e) {
      err = e.what();
    }
    run.end = job.now();
    run.complete = run.bytes == req.size;
    run.files = run.complete ? 1 : 0;
    m.runs.push_back(run);
    job.agree(err, kIoErrorExit);
    m.stop_signal = agreed_stop(job);
    if (m.stop_signal != 0) break;
  }
  out.commit(job, 0);
  return m;
}

std::string parent_of(const std::string& path) { return fs::absolute(path).parent_path().string(); }

// What a dataset holds after a stop or failure: its whole files (counted on disk when the
// pass could not count them), on rank 0. Collective.
report::OutputState dataset_state(const Share& s, bool complete, std::uint64_t files_kept) {
  const Job& job = s.c.job;
  const io::Layout& layout = s.c.request.layout;
  std::uint64_t total = 0;
  check(MPI_Reduce(&files_kept, &total, 1, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
  report::OutputState o;
  o.path = layout.path;
  o.files = total;
  o.bytes = total * layout.file_size;
  o.state = complete ? "complete" : "files";
  o.text = complete ? layout.path + " holds all " + std::to_string(total) + " files"
                    : layout.path + " keeps " + std::to_string(total) + " of " +
                          std::to_string(layout.files) +
                          " files, each whole (renamed when complete); a file being written "
                          "when the run ended was removed";
  return o;
}

// The rank's dataset files that stand whole (their length), counted after a failure.
std::uint64_t whole_files_on_disk(const Share& s) {
  std::uint64_t n = 0;
  struct stat st {};
  for (const io::Extent& e : s.extents) {
    if (stat(io::file_path(s.c.request.layout, e.file).c_str(), &st) == 0 &&
        static_cast<std::uint64_t>(st.st_size) == e.length)
      ++n;
  }
  return n;
}

// --verify: a file longer than the stream gives it holds bytes that are not the stream's.
void note_longer_files(Share& s, const std::vector<LongerFile>& longer) {
  const io::Layout& layout = s.c.request.layout;
  for (const LongerFile& f : longer) {
    verify::Mismatch m;
    // The stream offset where the file's bytes end: its extra bytes follow.
    m.offset = layout.kind == io::LayoutKind::kDataset ? (f.file + 1) * layout.file_size
               : layout.kind == io::LayoutKind::kFilePerRank
                   ? (f.file + 1) * layout.size_per_rank
                   : static_cast<std::uint64_t>(io::stream_length(layout, s.c.job.size()));
    m.length = f.found - f.expected;
    m.holds = "beyond the stream";
    m.file = f.file;
    m.file_offset = f.expected;
    s.found.wrong_bytes += m.length;
    s.found.wrong_blocks += (m.length + 4095) / 4096;
    s.found.ranges += 1;
    s.found.first.push_back(m);
  }
  s.found.first = verify::merge_mismatches(std::move(s.found.first), s.keep_mismatches);
}

// --resume of one file: rank 0 (or every rank for its own file) picks what to continue: the
// newest partial file of the job's seed, or the target itself when it is the seed's stream
// (repaired in place), or nothing (a fresh write). Collective for a shared file.
void choose_resume(const RankContext& c, const std::string& target, std::uint64_t length,
                   OutputRules& rules, std::string& from) {
  const bool owner = rules.per_rank || c.job.rank() == 0;
  int in_place = 0;
  if (owner && !rules.in_place) {
    const auto partials = io::find_partials(target, rules.seed, length);
    if (!partials.empty()) {
      rules.resume_from = partials.front();
      from = partials.front();
    } else if (io::inspect_target(target).kind == io::TargetKind::kRegular &&
               io::replace_problem("--output", target, rules.seed, rules.same_stream).empty()) {
      in_place = 1;
    }
  } else if (owner) {
    in_place = 1;  // --in-place --resume: the target is repaired where it stands
  }
  if (!rules.per_rank) check(MPI_Bcast(&in_place, 1, MPI_INT, 0, c.job.world()), "MPI_Bcast");
  if (in_place) {
    rules.in_place = true;
    rules.resume_in_place = true;
    from = target;
  }
}

}  // namespace

Measured run_storage(const RankContext& c) {
  const Job& job = c.job;
  const RunRequest& req = c.request;
  const io::Layout& layout = req.layout;
  const bool write = req.output.has_value();
  const std::string& path = layout.path;

  // --io: a row of the backend table (io/backends.cpp); one that cannot run on this node (io_uring
  // disabled) is refused on every rank, before anything is opened.
  const io::BackendRow* row = io::find_backend(req.storage.io);
  job.agree(row == nullptr ? "--io " + req.storage.io + ": no such backend" : row->available(),
            io::kUsageExit);
  std::unique_ptr<io::Backend> backend =
      row->make(io::BackendArgs{job.world(), req.storage.collective, &stop_signal});
  Share s(c, *backend);
  s.write = write;
  s.transfer = req.storage.transfer;
  s.direct = req.storage.direct;
  // --reorder: rank r reads what rank r + (ranks per node) wrote, IOR -C's shift.
  const int source =
      !write && req.storage.reorder ? (job.rank() + job.local_size()) % job.size() : job.rank();
  s.extents = io::rank_extents(layout, source, job.size());
  s.bytes = io::rank_bytes(layout, source, job.size());
  const std::uint64_t length =
      layout.kind == io::LayoutKind::kFilePerRank
          ? layout.size_per_rank
          : static_cast<std::uint64_t>(io::stream_length(layout, job.size()));

  Measured m;
  std::optional<OutputFile> out;
  std::vector<LongerFile> longer;
  report::Resume resumed;
  std::uint64_t removed_partials = 0;
  if (write && layout.kind != io::LayoutKind::kDataset) {
    const bool per_rank = layout.kind == io::LayoutKind::kFilePerRank;
    const std::uint64_t total = static_cast<std::uint64_t>(io::stream_length(layout, job.size()));
    const std::string target = per_rank ? io::file_path(layout, job.rank()) : path;
    const std::uint64_t base = per_rank ? c.global_offset : 0;  // stream offset of file offset 0
    OutputRules rules;
    rules.per_rank = per_rank;
    rules.in_place = req.storage.in_place;
    rules.overwrite = req.storage.overwrite;
    rules.seed = req.spec.seed;
    rules.same_stream = [&c, base, length](const std::byte* p, std::size_t n, std::uint64_t at) {
      if (at >= length) return false;
      std::vector<std::byte> want(std::min<std::uint64_t>(n, length - at));
      c.generator.generate(base + at, {want.data(), want.size()});
      return std::memcmp(p, want.data(), want.size()) == 0;
    };
    if (req.storage.resume) choose_resume(c, target, length, rules, resumed.from);
    out.emplace(job, target, total, std::move(rules));
    if (out->sequential()) return write_stream(c, *out);
    // Every rank must see rank 0's file: a shared file needs a file system the nodes share
    // (and an MPI-IO open that fails on some ranks only would leave the others in its close).
    struct stat st {};
    job.agree(layout.kind == io::LayoutKind::kSharedFile && stat(out->name().c_str(), &st) != 0
                  ? "--output " + path + ": rank 0's file " + out->name() +
                        " is not visible here (" + std::strerror(errno) +
                        "): a shared file needs a file system every node shares"
                  : "",
              2);
    int repair = req.storage.resume && !resumed.from.empty() ? 1 : 0;
    if (!per_rank) check(MPI_Bcast(&repair, 1, MPI_INT, 0, job.world()), "MPI_Bcast");
    s.repair = repair != 0;
  } else if (write) {
    check_dataset_target(c);
    check_dataset_replacements(c, s.extents);
    s.repair = req.storage.resume;
  } else {
    longer = check_inputs(c, s.extents);
  }

  io::DirectAlignment align;
  if (s.direct) {
    // Read, or written in place (a device, --in-place): the file itself; else a probe file in
    // the directory the files go to.
    const bool dataset_write = write && layout.kind == io::LayoutKind::kDataset;
    const bool existing = !dataset_write && (!write || !out->regular() || out->name() == path ||
                                             out->name() == out->path() || s.repair);
    std::error_code ec;
    const std::string probe = dataset_write ? (fs::is_directory(path, ec) ? path : parent_of(path))
                              : existing    ? (out ? out->name() : io::file_path(layout, 0))
                                            : parent_of(out->name());
    align = check_direct(c, probe, existing);
    s.granule = std::max<std::uint64_t>(4096, align.offset);
  }
  std::optional<DatasetDirectories> directories;
  if (write && layout.kind == io::LayoutKind::kDataset) {
    directories.emplace(c);
    if (s.repair && job.rank() == 0)
      removed_partials = io::remove_dataset_partials(layout, req.spec.seed);
  }
  // Bounded memory: --iodepth transfers per thread (each thread's queue keeps them in flight),
  // or two for the main thread's double buffer.
  {
    const bool threaded = backend->threads_move_bytes();
    s.depth = threaded ? req.storage.iodepth : 1;
    const int threads = c.team.size();
    const std::size_t count = threaded ? static_cast<std::size_t>(threads * s.depth) : 2;
    const std::uint64_t bytes =
        std::min<std::uint64_t>(s.transfer, std::max<std::uint64_t>(s.bytes, 1));
    const std::size_t alignment = std::max<std::uint64_t>(align.memory, 4096);
    for (std::size_t i = 0; i < count; ++i) {
      s.buffers.emplace_back(bytes, alignment);
      if (s.repair) s.scratch.emplace_back(bytes, alignment);
    }
    if (threaded) s.queues.resize(static_cast<std::size_t>(threads));
    // First touch by the threads that use them, on their NUMA node; each thread sets up its
    // queue over its buffers (an io_uring ring of its own, its buffers registered).
    const std::string err = run_on_team(c.team, [&](int t) {
      const std::size_t first = threaded ? static_cast<std::size_t>(t * s.depth) : 0;
      const std::size_t mine = threaded ? static_cast<std::size_t>(s.depth) : 2;
      if (!threaded && t != 0) return;
      std::vector<std::byte*> slots;
      for (std::size_t i = first; i < first + mine; ++i) {
        std::memset(s.buffers[i].data(), 0, bytes);
        slots.push_back(s.buffers[i].data());
      }
      for (std::size_t i = first; s.repair && i < first + mine; ++i) {
        std::memset(s.scratch[i].data(), 0, bytes);
        slots.push_back(s.scratch[i].data());
      }
      if (threaded) {
        s.queues[static_cast<std::size_t>(t)] = backend->make_queue(
            s.depth, slots.data(), static_cast<int>(slots.size()), static_cast<std::size_t>(bytes));
      }
    });
    job.agree(err, kIoErrorExit);
    // --verify: the stream's bytes are regenerated beside each buffer read, and compared.
    for (int i = 0; req.verify && i < (threaded ? threads : 1); ++i)
      s.expected.emplace_back(verify::kComparePiece, 4096);
  }
  std::optional<verify::LaneDecoder> decoder;
  if (req.verify) {
    decoder.emplace(req.spec, static_cast<std::uint64_t>(io::stream_length(layout, job.size())));
    s.decoder = &*decoder;
    s.keep_mismatches = req.max_mismatches;
  }

  report::Progress progress(req.progress && job.rank() == 0,
                            s.bytes * static_cast<std::uint64_t>(req.iterations), job.size(),
                            write ? "write" : "read");
  std::vector<std::uint64_t> done;
  std::uint64_t dataset_kept = 0;
  int completed = 0;  // iterations every rank completed
  try {
    for (int it = 0; it < req.iterations; ++it) {
      job.sync();  // a rank missing here is still in the previous phase
      job.set_phase(std::string(write ? "write" : "read") + ", iteration " +
                    std::to_string(it + 1));
      if (layout.kind == io::LayoutKind::kDataset) {
        m.runs.push_back(dataset_pass(s, progress, dataset_kept));
      } else {
        m.runs.push_back(single_file_pass(
            s, write ? out->name() : io::file_path(layout, s.extents[0].file), progress, done));
      }
      if (!write && s.decoder != nullptr) {
        note_longer_files(s, longer);
        s.found.pass = m.runs.back();
        m.verify = s.found;
      }
      m.stop_signal = agreed_stop(job);
      if (m.stop_signal != 0) break;
      ++completed;
      s.repair = false;  // a resumed file is whole after its first pass
    }
  } catch (const JobFailure& failure) {
    if (!write) throw;
    // Name what the failure left, as it is.
    std::string state;
    if (layout.kind == io::LayoutKind::kDataset) {
      const report::OutputState o = dataset_state(s, false, whole_files_on_disk(s));
      state = o.text;
    } else {
      if (!req.keep_partial || completed > 0) {
        if (completed > 0) {
          out->commit(job, length);  // an earlier iteration wrote every byte: the file is whole
        } else {
          out->discard();
        }
      }
      state = out->state().text;
      if (req.keep_partial && completed == 0 && !out->name().empty() && out->name() != path)
        state = "the partial output is kept as " + out->name() +
                " (what was written before the error; --resume continues it)";
    }
    throw JobFailure(std::string(failure.what()) + "; " + state, failure.exit_code());
  }
  m.io_component = backend->component();
  if (!write) return m;
  for (const Interval& run : m.runs) resumed.reused_bytes += run.reused;
  if (layout.kind == io::LayoutKind::kDataset) {
    // Completed files stay, whole; the one a thread was writing was removed.
    if (m.stop_signal == 0) directories->keep();
    std::uint64_t kept = completed > 0 ? s.bytes : dataset_kept;
    if (m.stop_signal != 0 && completed > 0 && req.storage.in_place) {
      // In place, the file being rewritten when the stop came was removed: count what is there.
      kept = whole_files_on_disk(s) * layout.file_size;
    }
    std::uint64_t total = 0;
    check(MPI_Reduce(&kept, &total, 1, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
    m.bytes_kept = total;
    m.output_state =
        dataset_state(s, m.stop_signal == 0, layout.file_size > 0 ? kept / layout.file_size : 0);
  } else if (m.stop_signal == 0 || completed > 0) {
    // A stop after a complete iteration keeps that iteration's file: the cut one rewrote the
    // same bytes.
    out->commit(job, length);
    m.bytes_kept = length;
  } else if (req.keep_partial) {
    const std::uint64_t mine = moved_prefix(s, done);
    if (layout.kind == io::LayoutKind::kFilePerRank) {
      out->keep_prefix(job, mine);
      std::uint64_t total = 0;
      check(MPI_Reduce(&mine, &total, 1, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
      m.bytes_kept = total;
    } else {
      const std::uint64_t prefix = job_prefix(job, mine, s.bytes);
      out->keep_prefix(job, prefix);
      m.bytes_kept = prefix;
    }
  } else {
    out->discard();
  }
  if (out) {
    const OutputState o = out->state();
    report::OutputState r;
    r.state = o.state;
    r.path = o.path;
    r.bytes = layout.kind == io::LayoutKind::kFilePerRank ? m.bytes_kept : o.bytes;
    r.text = o.text;
    if (m.stop_signal != 0 && completed > 0) {
      r.iteration = completed;
      r.text += " from iteration " + std::to_string(completed) + " of " +
                std::to_string(req.iterations) + " (the stop came in iteration " +
                std::to_string(completed + 1) + ", which rewrote the same bytes)";
    }
    m.output_state = r;
  }
  if (req.storage.resume) {
    std::uint64_t sums[2] = {resumed.reused_bytes, removed_partials};
    std::uint64_t all[2] = {0, 0};
    check(MPI_Reduce(sums, all, 2, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
    resumed.reused_bytes = all[0];
    resumed.removed_partials = all[1];
    const std::uint64_t written = m.runs.empty() ? 0 : m.runs.front().bytes;
    std::uint64_t job_written = 0;
    check(MPI_Reduce(&written, &job_written, 1, MPI_UINT64_T, MPI_SUM, 0, job.world()),
          "MPI_Reduce");
    resumed.written_bytes =
        job_written > resumed.reused_bytes ? job_written - resumed.reused_bytes : 0;
    if (layout.kind == io::LayoutKind::kDataset && layout.file_size > 0)
      resumed.reused_files = resumed.reused_bytes / layout.file_size;
    m.resume = resumed;
  }
  if (s.decoder != nullptr && m.stop_signal == 0) {
    // IOR -w -W: the files just committed are read back and compared, in the same job; with
    // --reorder each rank reads what the rank one node further on wrote.
    s.write = false;
    const int from =
        req.storage.reorder ? (job.rank() + job.local_size()) % job.size() : job.rank();
    s.extents = io::rank_extents(layout, from, job.size());
    s.bytes = io::rank_bytes(layout, from, job.size());
    report::Progress check_progress(req.progress && job.rank() == 0, s.bytes, job.size(), "verify");
    job.sync();
    job.set_phase("verify");
    std::uint64_t unused = 0;
    try {
      s.found.pass =
          layout.kind == io::LayoutKind::kDataset
              ? dataset_pass(s, check_progress, unused)
              : single_file_pass(s, io::file_path(layout, s.extents[0].file), check_progress, done);
    } catch (const JobFailure& failure) {
      throw JobFailure(std::string(failure.what()) + "; the read-back failed, the output is " +
                           "complete: " + m.output_state->text,
                       failure.exit_code());
    }
    m.verify = s.found;
    m.stop_signal = agreed_stop(job);
    if (m.stop_signal != 0 && m.output_state) {
      m.output_state->text += "; the stop came during its read-back (--verify), which is cut short";
    }
  }
  return m;
}

}  // namespace dgen::mpi
