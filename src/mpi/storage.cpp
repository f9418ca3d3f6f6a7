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
#include "io/layout.hpp"
#include "mpi/modes.hpp"
#include "mpi/output_file.hpp"
#include "mpi/stop_signal.hpp"
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
  double verify = 0;        ///< regenerating and comparing what was read (--verify)
  std::uint64_t bytes = 0;  ///< completed, in order within the thread's share
  std::uint64_t files = 0;
  verify::MismatchLog log;  ///< --verify: what this thread found wrong, in stream order
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
  std::vector<io::AlignedBuffer> buffers;        ///< one per thread (posix) or two (mpiio)
  std::vector<io::AlignedBuffer> expected;       ///< --verify: the stream's bytes, one per buffer
  const verify::LaneDecoder* decoder = nullptr;  ///< --verify, else null
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
  return m;
}

// Generates n bytes at stream offset `at` into p with the whole team (the main-thread path).
void team_generate(const Share& s, std::uint64_t at, std::byte* p, std::uint64_t n) {
  s.c.team.run([&](int t) {
    const buffer::Part part = buffer::part_of(n, s.c.team.size(), t, 4096);
    if (part.size() > 0) s.c.generator.generate(at + part.begin, {p + part.begin, part.size()});
  });
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
        timed(tally.io, [&] {
          file.start_write_at(off, buf, n);
          return 0;
        });
        if (active && i + 1 < count) {  // overlaps the write in flight
          timed(tally.generate, [&] {
            team_generate(s, e.stream_offset + (i + 1) * s.transfer, s.buffers[(i + 1) % 2].data(),
                          length_of(i + 1));
            return 0;
          });
        }
        if (!timed(tally.io, [&] { return file.wait(); })) active = false;
      } else if (!timed(tally.io, [&] { return file.read_at(off, buf, n); })) {
        active = false;
      } else if (s.decoder != nullptr && n > 0) {
        verify_read(s, tally, buf, n, e.stream_offset + i * s.transfer, e.file, off,
                    s.expected[0].data());
      }
    } catch (const std::exception& x) {
      note(x);
      try {
        file.wait();  // a write in flight completes before its buffer is reused or freed
      } catch (const std::exception&) {
      }
      continue;
    }
    if (n > 0 && active) {
      tally.bytes += n;
      progress.add(n);
    }
  }
  return err;
}

// Thread t's transfers of [part.begin, part.end) of extent `e` of `file`.
bool thread_transfers(Share& s, io::File& file, const io::Extent& e, buffer::Part part, int t,
                      Tally& tally, report::Progress& progress) {
  std::byte* buf = s.buffers[static_cast<std::size_t>(t)].data();
  for (std::uint64_t x = part.begin; x < part.end && !s.c.team.stopped(); x += s.transfer) {
    const std::uint64_t n = std::min(s.transfer, part.end - x);
    bool ok;
    if (s.write) {
      timed(tally.generate, [&] {
        s.c.generator.generate(e.stream_offset + x, {buf, n});
        return 0;
      });
      ok = timed(tally.io, [&] { return file.write_at(e.file_offset + x, buf, n); });
    } else {
      ok = timed(tally.io, [&] { return file.read_at(e.file_offset + x, buf, n); });
      if (ok && s.decoder != nullptr) {
        verify_read(s, tally, buf, n, e.stream_offset + x, e.file, e.file_offset + x,
                    s.expected[static_cast<std::size_t>(t)].data());
      }
    }
    if (!ok) return false;
    tally.bytes += n;
    progress.add(n);
  }
  return !s.c.team.stopped();
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
    for (const Tally& t : tallies) done.push_back(t.bytes);
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
  for (const Tally& t : tallies) run.bytes += t.bytes;
  run.complete = run.bytes == s.bytes;
  run.files = run.complete && (!s.shared() || job.rank() == 0) ? 1 : 0;
  return run;
}

// One file of a dataset: created under a temporary name (or in place), written, flushed,
// closed and renamed; read back: opened, read, closed. A file cut short is removed.
bool dataset_file(Share& s, const io::Extent& e, Tally& tally,
                  const std::function<bool(io::File&, const io::Extent&)>& transfers) {
  const RunRequest& req = s.c.request;
  const std::string final_name = io::file_path(req.layout, e.file);
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
    file.reset();
    if (s.write) unlink(name.c_str());  // never a short file under any name
    throw;
  }
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
        const bool ok = dataset_file(s, e, tally, [&](io::File& f, const io::Extent& x) {
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
        const bool ok = dataset_file(s, e, tallies[0], [&](io::File& f, const io::Extent& x) {
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
  for (const Tally& t : tallies) files += t.files;
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

std::string multiple_rule(const char* option, std::uint64_t value, const io::DirectAlignment& a,
                          const std::string& where) {
  if (value % a.offset == 0) return "";
  return std::string("--direct: ") + option + " " + std::to_string(value) +
         " is not a multiple of " + format_size(a.offset) + ", the direct-I/O alignment of " +
         where + " (" + a.source + ")";
}

// Collective: the direct-I/O alignment of the target and the rules it puts on the sizes; the
// job ends with exit code 2 where the file system refuses O_DIRECT or a size breaks the rule.
io::DirectAlignment check_direct(const RankContext& c, const std::string& probe_path,
                                 bool existing) {
  const RunRequest& req = c.request;
  io::DirectAlignment a;
  std::string err;
  if (c.job.rank() == 0) {
    err = existing ? io::probe_direct_existing(probe_path, a) : io::probe_direct_io(probe_path, a);
    if (!err.empty()) err = "--direct: " + err;
    if (err.empty()) err = multiple_rule("--transfer", req.storage.transfer, a, probe_path);
    if (err.empty() && req.layout.kind == io::LayoutKind::kDataset)
      err = multiple_rule("--file-size", req.layout.file_size, a, probe_path);
    if (err.empty() && req.layout.kind != io::LayoutKind::kDataset)
      err = multiple_rule("--size", req.size, a, probe_path);
  }
  c.job.agree(err, 2);
  std::uint64_t v[2] = {a.offset, a.memory};
  check(MPI_Bcast(v, 2, MPI_UINT64_T, 0, c.job.world()), "MPI_Bcast");
  a.offset = v[0];
  a.memory = v[1];
  return a;
}

// Collective: the dataset's directory is a directory or can be made (its parent exists).
void check_dataset_target(const RankContext& c) {
  const io::Layout& layout = c.request.layout;
  std::string err;
  struct stat st {};
  std::error_code ec;
  if (c.job.rank() == 0 && stat(layout.path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    err = "--output " + layout.path + ": is not a directory (--files writes a dataset there)";
  } else if (c.job.rank() == 0) {
    if (const std::string why = parent_directory_problem(layout.path); !why.empty())
      err = "--output " + layout.path + ": " + why;
  }
  c.job.agree(err, 2);
}

// The dataset's directories, made by rank 0; those left empty by a failed or stopped run are
// removed again (rmdir removes only empty ones; completed files keep theirs).
class DatasetDirectories {
 public:
  explicit DatasetDirectories(const RankContext& c) {
    const io::Layout& layout = c.request.layout;
    std::string err;
    if (c.job.rank() == 0) {
      if (mkdir(layout.path.c_str(), 0755) == 0) {
        made_.push_back(layout.path);
      } else if (errno != EEXIST) {
        err = "--output " + layout.path + ": cannot create it: " + std::strerror(errno);
      }
      for (const std::string& d : io::dataset_directories(layout)) {
        if (!err.empty()) break;
        if (mkdir(d.c_str(), 0755) == 0) {
          made_.push_back(d);
        } else if (errno != EEXIST) {
          err = "--output " + layout.path + ": cannot create " + d + ": " + std::strerror(errno);
        }
      }
      if (err.empty()) {
        err = space_problem(layout.path, layout.path,
                            static_cast<std::uint64_t>(io::stream_length(layout, c.job.size())));
      }
    }
    try {
      c.job.agree(err, 2);
    } catch (const JobFailure&) {
      remove_empty();
      throw;
    }
  }
  ~DatasetDirectories() {
    if (!complete_) remove_empty();
  }
  DatasetDirectories(const DatasetDirectories&) = delete;
  DatasetDirectories& operator=(const DatasetDirectories&) = delete;
  void keep() { complete_ = true; }

 private:
  void remove_empty() noexcept {
    for (auto d = made_.rbegin(); d != made_.rend(); ++d) rmdir(d->c_str());
    made_.clear();
  }
  std::vector<std::string> made_;
  bool complete_ = false;
};

// Collective: every file this rank reads exists and is long enough.
void check_inputs(const RankContext& c, const std::vector<io::Extent>& extents) {
  const io::Layout& layout = c.request.layout;
  std::string err;
  std::uint64_t checked = UINT64_MAX;
  for (const io::Extent& e : extents) {
    if (e.file == checked) continue;
    checked = e.file;
    const std::string path = io::file_path(layout, e.file);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      err = "--input " + path + ": cannot open: " + std::strerror(errno);
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      err = "--input " + path + ": is a directory" +
            (layout.kind == io::LayoutKind::kDataset ? "" : " (a dataset needs --files N)");
      break;
    }
    const std::uint64_t expected = io::file_length(layout, e.file, c.job.size());
    if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) < expected) {
      err = "--input " + path + ": " + std::to_string(expected) + " bytes expected (" +
            format_size(expected) + "), " + std::to_string(st.st_size) + " found";
      break;
    }
  }
  c.job.agree(err, 2);
}

}  // namespace

Measured run_storage(const RankContext& c) {
  const Job& job = c.job;
  const RunRequest& req = c.request;
  const io::Layout& layout = req.layout;
  const bool write = req.output.has_value();
  const std::string& path = layout.path;

  std::unique_ptr<io::Backend> backend =
      req.storage.io == "mpiio" ? io::make_mpiio_backend(job.world(), req.storage.collective)
                                : io::make_posix_backend();
  Share s(c, *backend);
  s.write = write;
  s.transfer = req.storage.transfer;
  s.direct = req.storage.direct;
  // --reorder: rank r reads what rank r + (ranks per node) wrote, IOR -C's shift.
  const int source =
      !write && req.storage.reorder ? (job.rank() + job.local_size()) % job.size() : job.rank();
  s.extents = io::rank_extents(layout, source, job.size());
  s.bytes = io::rank_bytes(layout, source, job.size());

  std::optional<OutputFile> out;
  if (write && layout.kind != io::LayoutKind::kDataset) {
    const std::uint64_t total = static_cast<std::uint64_t>(io::stream_length(layout, job.size()));
    out.emplace(
        job, layout.kind == io::LayoutKind::kFilePerRank ? io::file_path(layout, job.rank()) : path,
        total, OutputRules{layout.kind == io::LayoutKind::kFilePerRank, req.storage.in_place});
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
  } else if (write) {
    check_dataset_target(c);
  } else {
    check_inputs(c, s.extents);
  }

  io::DirectAlignment align;
  if (s.direct) {
    // Read, or written in place (a device, --in-place): the file itself; else a probe file in
    // the directory the files go to.
    const bool dataset_write = write && layout.kind == io::LayoutKind::kDataset;
    const bool existing = !dataset_write && (!write || !out->regular() || req.storage.in_place);
    std::error_code ec;
    const std::string probe = dataset_write ? (fs::is_directory(path, ec) ? path : parent_of(path))
                              : existing    ? (out ? out->name() : io::file_path(layout, 0))
                                            : parent_of(out->name());
    align = check_direct(c, probe, existing);
    s.granule = std::max<std::uint64_t>(4096, align.offset);
  }
  std::optional<DatasetDirectories> directories;
  if (write && layout.kind == io::LayoutKind::kDataset) directories.emplace(c);
  // Bounded memory: a transfer per thread, or two for the main thread's double buffer.
  {
    const std::size_t count =
        backend->threads_move_bytes() ? static_cast<std::size_t>(c.team.size()) : 2;
    const std::uint64_t bytes =
        std::min<std::uint64_t>(s.transfer, std::max<std::uint64_t>(s.bytes, 1));
    for (std::size_t i = 0; i < count; ++i)
      s.buffers.emplace_back(bytes, std::max<std::uint64_t>(align.memory, 4096));
    // First touch by the threads that use them, on their NUMA node.
    c.team.run([&](int t) {
      if (static_cast<std::size_t>(t) < count)
        std::memset(s.buffers[static_cast<std::size_t>(t)].data(), 0, bytes);
    });
    if (!backend->threads_move_bytes()) std::memset(s.buffers[1].data(), 0, bytes);
    // --verify: the stream's bytes are regenerated beside each buffer read, and compared.
    for (std::size_t i = 0; req.verify && i < (backend->threads_move_bytes() ? count : 1); ++i)
      s.expected.emplace_back(verify::kComparePiece, 4096);
  }
  std::optional<verify::LaneDecoder> decoder;
  if (req.verify) {
    decoder.emplace(req.spec, static_cast<std::uint64_t>(io::stream_length(layout, job.size())));
    s.decoder = &*decoder;
    s.keep_mismatches = req.max_mismatches;
  }

  Measured m;
  report::Progress progress(req.progress && job.rank() == 0,
                            s.bytes * static_cast<std::uint64_t>(req.iterations), job.size(),
                            write ? "write" : "read");
  std::vector<std::uint64_t> done;
  std::uint64_t dataset_kept = 0;
  bool any_complete = false;
  for (int it = 0; it < req.iterations; ++it) {
    job.sync();  // a rank missing here is still in the previous phase
    job.set_phase(std::string(write ? "write" : "read") + ", iteration " + std::to_string(it + 1));
    if (layout.kind == io::LayoutKind::kDataset) {
      m.runs.push_back(dataset_pass(s, progress, dataset_kept));
    } else {
      m.runs.push_back(single_file_pass(
          s, write ? out->name() : io::file_path(layout, s.extents[0].file), progress, done));
    }
    if (!write && s.decoder != nullptr) {
      s.found.pass = m.runs.back();
      m.verify = s.found;
    }
    m.stop_signal = agreed_stop(job);
    if (m.stop_signal != 0) break;
    any_complete = true;
  }
  m.io_component = backend->component();
  if (!write) return m;
  const std::uint64_t length =
      layout.kind == io::LayoutKind::kFilePerRank
          ? layout.size_per_rank
          : static_cast<std::uint64_t>(io::stream_length(layout, job.size()));
  if (layout.kind == io::LayoutKind::kDataset) {
    // Completed files stay, whole; the one a thread was writing was removed.
    if (m.stop_signal == 0) directories->keep();
    std::uint64_t kept = any_complete ? s.bytes : dataset_kept;
    if (m.stop_signal != 0 && any_complete && req.storage.in_place) {
      // In place, the file being rewritten when the stop came was removed: count what is there.
      kept = 0;
      struct stat st {};
      for (const io::Extent& e : s.extents) {
        if (stat(io::file_path(layout, e.file).c_str(), &st) == 0 &&
            static_cast<std::uint64_t>(st.st_size) == e.length)
          kept += e.length;
      }
    }
    std::uint64_t total = 0;
    check(MPI_Reduce(&kept, &total, 1, MPI_UINT64_T, MPI_SUM, 0, job.world()), "MPI_Reduce");
    m.bytes_kept = total;
  } else if (m.stop_signal == 0) {
    out->commit(job, length);
  } else if (req.keep_partial) {
    // A previous iteration wrote every byte; the cut one rewrote some of the same bytes.
    const std::uint64_t mine = any_complete ? s.bytes : moved_prefix(s, done);
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
    s.found.pass =
        layout.kind == io::LayoutKind::kDataset
            ? dataset_pass(s, check_progress, unused)
            : single_file_pass(s, io::file_path(layout, s.extents[0].file), check_progress, done);
    m.verify = s.found;
    m.stop_signal = agreed_stop(job);
  }
  return m;
}

}  // namespace dgen::mpi
