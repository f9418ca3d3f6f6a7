#include "mpi/storage_pass.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <set>

#include "io/errors.hpp"
#include "io/transfers.hpp"
#include "io/watchdog.hpp"
#include "mpi/stop_signal.hpp"
#include "storage/metadata.hpp"

namespace dgen::mpi {

namespace {

using storage::timed;

// Fresh tallies for a pass, their mismatch logs keeping the first `keep`, their timelines on
// the rank's origin.
std::vector<Tally> make_tallies(const Share& s, std::size_t n) {
  std::vector<Tally> t(n);
  for (Tally& x : t) {
    x.log = verify::MismatchLog(s.keep_mismatches);
    x.timeline.emplace(s.interval, s.timeline_start);
  }
  return t;
}

// After a pass: the threads' latencies and bytes over time into the rank's, what each thread
// moved and when it finished (the stonewall's figures).
void keep_records(Share& s, const std::vector<Tally>& tallies) {
  s.moved.clear();
  s.last_done.clear();
  for (const Tally& t : tallies) {
    PhaseLatency& latency = s.phase_latency();
    for (int op = 0; op < kOps; ++op) latency[op].merge(t.latency[op]);
    if (t.timeline) {
      if (!s.timeline) s.timeline.emplace(s.interval, s.timeline_start);
      s.timeline->merge(*t.timeline);
    }
    s.moved.push_back(t.moved);
    s.last_done.push_back(t.last_done);
  }
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

// Whether a thread may start another transfer: no stop, no other thread's error, before the
// deadline.
bool keep_going(const Share& s) {
  return !s.c.team.stopped() && (s.deadline <= 0 || s.now() < s.deadline) &&
         !s.full.load(std::memory_order_relaxed);
}

// A time-bounded write (--duration) that meets a full file system stops there, as at the wall:
// IOR's habit of a block larger than the storage with a time limit.
bool full_before_the_wall(Share& s, const io::IoError& e) {
  if (!s.write || s.deadline <= 0 || e.error() != ENOSPC) return false;
  s.full.store(true, std::memory_order_relaxed);
  return true;
}

// A transfer (or a file) completed: its latency, its bytes on the timeline, the progress line.
void completed(const Share& s, Tally& tally, bool write, std::uint64_t bytes, double seconds,
               report::Progress& progress) {
  tally.latency[write ? kWriteOp : kReadOp].add(seconds);
  tally.last_done = s.now();
  if (tally.timeline) tally.timeline->add(tally.last_done, bytes);
  progress.add(bytes);
}

// Generates n bytes at stream offset `at` into p with the whole team (the main-thread path).
void team_generate(const Share& s, std::uint64_t at, std::byte* p, std::uint64_t n) {
  s.c.team.run([&](int t) {
    const buffer::Part part = buffer::part_of(n, s.c.team.size(), t, 4096);
    if (part.size() > 0) s.c.generator.generate(at + part.begin, {p + part.begin, part.size()});
  });
}

// Writes `n` bytes of `buf` at `off` with the main thread (part 0 of the team) while the
// team's other threads generate the next transfer `next` into `into`: MPI-IO's blocking calls
// overlap generation without nonblocking requests (Open MPI 4.1's OMPIO crashes in MPI_Wait
// on a failed MPI_File_iwrite_at: a null file in ompi_errhandler_request_invoke). The write's
// latency goes into `latency`. Returns false when a stop signal cut the write short.
bool write_while_generating(const Share& s, io::File& file, std::uint64_t off, const std::byte* buf,
                            std::uint64_t n, const io::Extent* next, std::byte* into, double& io,
                            double& generate, report::LatencyHistogram& latency) {
  const int helpers = s.c.team.size() - 1;
  if (helpers == 0 || next == nullptr) {
    const bool ok = timed(io, latency, [&] { return file.write_at(off, buf, n); });
    if (next != nullptr) {
      timed(generate, [&] {
        team_generate(s, next->stream_offset, into, next->length);
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
      ok = timed(write_seconds, latency, [&] { return file.write_at(off, buf, n); });
      return;
    }
    timed(generate_seconds[static_cast<std::size_t>(t - 1)], [&] {
      const buffer::Part part = buffer::part_of(next->length, helpers, t - 1, 4096);
      if (part.size() > 0)
        s.c.generator.generate(next->stream_offset + part.begin, {into + part.begin, part.size()});
      return 0;
    });
  });
  io += write_seconds;
  generate += *std::max_element(generate_seconds.begin(), generate_seconds.end());
  return ok;
}

// The main thread moves transfers [first, first + count) of `seq` of `file` (io/transfers.hpp);
// the team generates them. `collective`: every rank makes the same number of calls, agreed on
// before each (with --timeout the agreement names a rank that does not come to it:
// Job::combine).
std::string main_thread_transfers(Share& s, io::File& file, const io::TransferSequence& seq,
                                  std::uint64_t first, std::uint64_t count, bool collective,
                                  Tally& tally, report::Progress& progress) {
  const Job& job = s.c.job;
  io::InTurnHooks hooks;
  if (collective) {
    hooks.most = [&](std::uint64_t mine) {
      std::uint64_t most = mine;
      check(MPI_Allreduce(&mine, &most, 1, MPI_UINT64_T, MPI_MAX, job.world()), "MPI_Allreduce");
      return most;
    };
    hooks.agree = [&](int mine) {
      if (job.timeout() > 0) return job.combine(mine, MPI_MAX);
      int all = 0;
      check(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MAX, job.world()), "MPI_Allreduce");
      return all;
    };
  }
  hooks.stopped = [] { return stop_signal() != 0; };
  hooks.in_time = [&] { return s.deadline <= 0 || s.now() < s.deadline; };
  hooks.generate = [&](const io::Extent& x, std::byte* into) {
    team_generate(s, x.stream_offset, into, x.length);
  };
  report::LatencyHistogram padding;  // zero-byte calls: no transfer, no latency
  hooks.write = [&](io::File& f, std::uint64_t off, const std::byte* buf, std::uint64_t n,
                    const io::Extent* next, std::byte* into, double& io, double& generate) {
    return write_while_generating(s, f, off, buf, n, next, into, io, generate,
                                  n > 0 ? tally.latency[kWriteOp] : padding);
  };
  if (s.decoder != nullptr) {
    hooks.verify = [&](const io::Extent& x, const std::byte* got) {
      verify::compare_with_stream(s.c.generator, tally.log, got, x.length, x.stream_offset, x.file,
                                  x.file_offset, s.expected[0].data(), *s.decoder);
    };
  }
  hooks.read_latency = [&](double seconds) { tally.latency[kReadOp].add(seconds); };
  hooks.completed = [&](std::uint64_t n) {
    tally.last_done = s.now();
    if (tally.timeline) tally.timeline->add(tally.last_done, n);
    progress.add(n);
  };
  std::byte* const buffers[2] = {s.buffers[0].data(), s.buffers[1].data()};
  io::TransferCounts counts;
  const std::string err = io::move_transfers_in_turn(
      file, s.write, s.repair, count, [&](std::uint64_t i) { return seq.at(first + i); }, buffers,
      s.repair ? s.scratch[0].data() : nullptr, hooks, counts);
  tally.add(counts);
  return err;
}

// `file` is about to be closed: thread t's queue (every thread's for t < 0) lets go of it.
void release_file(Share& s, const io::File& file, int t) {
  for (std::size_t q = 0; q < s.queues.size(); ++q)
    if (t < 0 || q == static_cast<std::size_t>(t)) s.queues[q]->release(file);
  for (std::size_t q = 0; q < s.check_queues.size(); ++q)
    if (t < 0 || q == static_cast<std::size_t>(t)) s.check_queues[q]->release(file);
}

// Thread t's transfers [first, first + count) of `seq` of `file`, through its queue (up to
// --iodepth in flight). `repair`: --resume reads each first (not for a file just created or
// truncated, which holds nothing to keep).
bool thread_transfers(Share& s, io::File& file, const io::TransferSequence& seq,
                      std::uint64_t first, std::uint64_t count, int t, Tally& tally,
                      report::Progress& progress, bool stop_at_deadline, bool repair) {
  auto at = [&](std::uint64_t i) { return seq.at(first + i); };
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
  hooks.keep_going = [&] { return stop_at_deadline ? keep_going(s) : !s.c.team.stopped(); };
  hooks.completed = [&](bool write, std::uint64_t n, double seconds) {
    completed(s, tally, write, n, seconds, progress);
  };
  io::TransferCounts counts;
  bool all = false;
  auto add = [&] { tally.add(counts); };
  // Reads that are checked overlap the compare with the next read (a read-ahead queue).
  io::Queue& queue = !s.write && s.decoder != nullptr && !s.check_queues.empty()
                         ? *s.check_queues[static_cast<std::size_t>(t)]
                         : *s.queues[static_cast<std::size_t>(t)];
  try {
    all = io::move_transfers(queue, file, s.write, repair, count, at, buffers.data(),
                             scratch.data(), s.depth, hooks, counts);
  } catch (const io::IoError& e) {
    add();
    if (full_before_the_wall(s, e)) return false;
    throw;
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

// The range [first, limit) of thread t's sequence of `size` this pass moves.
std::pair<std::uint64_t, std::uint64_t> range_of(const Share& s, int t, std::uint64_t size) {
  const auto i = static_cast<std::size_t>(t);
  const std::uint64_t first = i < s.first.size() ? std::min(s.first[i], size) : 0;
  const std::uint64_t limit = i < s.limit.size() ? std::min(s.limit[i], size) : size;
  return {first, std::max(first, limit)};
}

// One file of a dataset (storage/dataset_file.hpp), its bytes moved by `transfers`.
bool dataset_file(Share& s, const io::Extent& e, Tally& tally, int t,
                  const std::function<bool(io::File&)>& transfers) {
  const RunRequest& req = s.c.request;
  storage::DatasetFileRules rules;
  rules.write = s.write;
  rules.in_place = req.storage.in_place;
  rules.fsync = req.storage.fsync;
  rules.keep_partial = req.keep_partial;
  rules.repair = s.repair;
  rules.write_mode = open_mode(s, true, !req.storage.in_place, req.storage.in_place,
                               io::file_length(req.layout, e.file, s.c.job.size()));
  rules.existing_mode = open_mode(s, false, false, false);
  rules.transfer = s.transfer;
  storage::DatasetFileHooks hooks;
  hooks.transfers = transfers;
  hooks.release = [&s, t](const io::File& f) { release_file(s, f, t); };
  if (s.repair) {
    hooks.generate = [&s](std::uint64_t at, std::byte* into, std::uint64_t n) {
      s.c.generator.generate(at, {into, n});
    };
    hooks.buffer = s.buffers[static_cast<std::size_t>(t * s.depth)].data();
    hooks.scratch = s.scratch[static_cast<std::size_t>(t * s.depth)].data();
  }
  return storage::move_dataset_file(s.backend, req.layout, e, rules, hooks, s.kept_partials, tally);
}

}  // namespace

PhaseLatency& Share::phase_latency() {
  for (auto& [name, histograms] : latency)
    if (name == phase) return histograms;
  latency.emplace_back(phase, PhaseLatency{});
  return latency.back().second;
}

io::TransferSequence Share::sequence(int threads, int t) const {
  return io::TransferSequence(extents, dataset(), transfer, granule, threads, t, order, order_seed,
                              source_rank);
}

io::OpenMode open_mode(const Share& s, bool create, bool exclusive, bool truncate,
                       std::uint64_t length) {
  io::OpenMode m;
  m.length = length;
  m.write = s.write;
  m.create = create;
  m.exclusive = exclusive;
  m.truncate = truncate;
  m.direct = s.direct;
  m.read_too = s.write && s.repair;
  return m;
}

Interval single_file_pass(Share& s, const std::string& name, report::Progress& progress,
                          std::vector<std::uint64_t>& done) {
  const Job& job = s.c.job;
  const int threads = s.c.team.size();
  const bool threaded = s.backend.threads_move_bytes();
  std::vector<Tally> tallies = make_tallies(s, static_cast<std::size_t>(threaded ? threads : 1));
  Interval run;
  run.start = job.now();
  std::unique_ptr<io::File> file;
  std::string err;
  // --verify of a file per rank that is missing: nothing to open or read (its bytes are named
  // missing); the rank still joins every agreement.
  const bool absent = !s.write && !s.shared() && s.extents.empty();
  try {
    if (!absent) {
      const io::Layout& layout = s.c.request.layout;
      const std::uint64_t length = io::file_length(
          layout, io::rank_files(layout, s.source_rank, job.size()).first, job.size());
      timed(tallies[0].open, tallies[0].latency[kOpenOp], [&] {
        file = s.backend.open(name, open_mode(s, false, false, false, length), s.shared());
        return 0;
      });
    }
  } catch (const std::exception& x) {
    err = x.what();
  }
  job.agree(err, kIoErrorExit);
  if (absent) {
    // Nothing to move.
  } else if (threaded) {
    err = run_on_team(s.c.team, [&](int t) {
      const io::TransferSequence seq = s.sequence(threads, t);
      const auto [first, limit] = range_of(s, t, seq.size());
      thread_transfers(s, *file, seq, first, limit - first, t, tallies[static_cast<std::size_t>(t)],
                       progress, true, s.repair);
    });
  } else {
    const io::TransferSequence seq = s.sequence(1, 0);
    const auto [first, limit] = range_of(s, 0, seq.size());
    err = main_thread_transfers(s, *file, seq, first, limit - first, file->collective(), tallies[0],
                                progress);
  }
  done.clear();
  for (const Tally& t : tallies) done.push_back(t.prefix);
  // Every rank flushes and closes, also after an error: both are collective on a shared
  // MPI-IO file. The error is agreed on after the clock stops.
  err = with_progress(err, tallies, s.write);
  if (s.write && s.c.request.storage.fsync && file) {
    try {
      timed(tallies[0].flush, tallies[0].latency[kFsyncOp], [&] {
        file->flush();  // the data is on storage, not only in the page cache
        return 0;
      });
    } catch (const std::exception& x) {
      if (err.empty()) err = x.what();
    }
  }
  try {
    if (file) {
      timed(tallies[0].close, tallies[0].latency[kCloseOp], [&] {
        release_file(s, *file, -1);
        file->close();
        return 0;
      });
    }
  } catch (const std::exception& x) {
    if (err.empty()) err = x.what();
  }
  run.end = job.now();
  job.agree(err, kIoErrorExit);
  fill_times(run, tallies, true);
  collect_findings(s, tallies);
  keep_records(s, tallies);
  for (const Tally& t : tallies) {
    run.bytes += t.bytes;
    run.reused += t.reused;
  }
  run.complete = run.bytes == s.bytes;
  run.files = run.complete && (!s.shared() || job.rank() == 0) ? 1 : 0;
  return run;
}

Interval dataset_pass(Share& s, report::Progress& progress, std::uint64_t& bytes_kept) {
  const Job& job = s.c.job;
  const int threads = s.c.team.size();
  const bool threaded = s.backend.threads_move_bytes();
  std::vector<Tally> tallies = make_tallies(s, static_cast<std::size_t>(threaded ? threads : 1));
  Interval run;
  run.start = job.now();
  std::string err;
  // Thread t's files, in the order its pattern gives; a deadline stops it between files (a
  // file begun is finished: never a short one).
  if (threaded) {
    err = run_on_team(s.c.team, [&](int t) {
      Tally& tally = tallies[static_cast<std::size_t>(t)];
      const io::TransferSequence seq = s.sequence(threads, t);
      const auto [first, limit] = range_of(s, t, seq.pieces());
      for (std::uint64_t k = first; k < limit && keep_going(s); ++k) {
        const auto range = seq.piece_transfers(k);
        const std::uint64_t a = range.first, b = range.second;
        bool ok = false;
        try {
          ok = dataset_file(s, seq.piece(k), tally, t, [&](io::File& f) {
            // The file's transfers all go, whatever the deadline: it is finished or removed. A
            // file written again was created or truncated: nothing in it to read first.
            return thread_transfers(s, f, seq, a, b - a, t, tally, progress, false, false);
          });
        } catch (const io::IoError& e) {
          if (!full_before_the_wall(s, e)) throw;  // a create that found no room: as the wall
        }
        if (!ok) return;
      }
    });
  } else {
    try {
      const io::TransferSequence seq = s.sequence(1, 0);
      const auto [first, limit] = range_of(s, 0, seq.pieces());
      for (std::uint64_t k = first; k < limit; ++k) {
        if (stop_signal() != 0 || (s.deadline > 0 && s.now() >= s.deadline)) break;
        const auto range = seq.piece_transfers(k);
        const std::uint64_t a = range.first, b = range.second;
        const bool ok = dataset_file(s, seq.piece(k), tallies[0], 0, [&](io::File& f) {
          const double saved = s.deadline;
          const bool repair = s.repair;
          s.deadline = 0;    // the file begun is finished
          s.repair = false;  // and was created or truncated: nothing in it to read first
          const std::string transfer_error =
              main_thread_transfers(s, f, seq, a, b - a, false, tallies[0], progress);
          s.deadline = saved;
          s.repair = repair;
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
    // The directories of the files this pass completed (each thread's, in its order from the
    // start of its range), not of every file the rank has: a time-bounded pass over a billion
    // files touches few.
    std::set<std::string> dirs;
    const int movers = threaded ? threads : 1;
    for (int t = 0; t < movers; ++t) {
      const io::TransferSequence seq = s.sequence(movers, t);
      const std::uint64_t first = range_of(s, t, seq.pieces()).first;
      const std::uint64_t files = tallies[static_cast<std::size_t>(t)].files;
      for (std::uint64_t k = first; k < first + files && k < seq.pieces(); ++k) {
        const std::string path = io::file_path(s.c.request.layout, seq.piece(k).file);
        dirs.insert(path.substr(0, path.rfind('/')));
      }
    }
    timed(directory_flush, [&] {
      for (const std::string& d : dirs) {
        if (err.empty()) err = storage::fsync_directory_of(d + "/.", s.backend.names());
      }
      return 0;
    });
  }
  run.end = job.now();
  job.agree(with_progress(err, tallies, s.write), kIoErrorExit);
  fill_times(run, tallies, false);
  collect_findings(s, tallies);
  // Files are counted, not transfers, for what each thread moved (the stonewall of a dataset).
  for (Tally& t : tallies) t.moved = t.files;
  keep_records(s, tallies);
  // Only whole files count: a file cut short was removed. A read counts what it read (with
  // --verify, a short file's present bytes).
  std::uint64_t files = 0, read = 0;
  for (const Tally& t : tallies) {
    files += t.files;
    read += t.bytes;
    run.reused += t.reused;
  }
  run.bytes = s.write ? files * s.c.request.layout.file_size : read;
  run.complete = run.bytes == s.bytes;
  bytes_kept = run.bytes;
  return run;
}

namespace {

// One metadata call per file of the rank (stat, unlink), spread over its threads as its data
// would be; timed, counted, errors agreed.
Interval metadata_pass(Share& s, Op op, void (*call)(const io::Namespace&, const std::string&)) {
  const Job& job = s.c.job;
  const int threads = s.c.team.size();
  std::vector<Tally> tallies = make_tallies(s, static_cast<std::size_t>(threads));
  Interval run;
  run.start = job.now();
  const std::string err = run_on_team(s.c.team, [&](int t) {
    Tally& tally = tallies[static_cast<std::size_t>(t)];
    const io::TransferSequence seq = s.sequence(threads, t);
    // A time-bounded create (s.limit): the files it made, no more.
    const auto [first, limit] = range_of(s, t, seq.pieces());
    tally.expected = limit - first;
    for (std::uint64_t k = first; k < limit && !s.c.team.stopped(); ++k) {
      const std::string path = io::file_path(s.c.request.layout, seq.piece(k).file);
      const double t0 = clock_seconds();
      try {
        call(s.backend.names(), path);
      } catch (const io::IoError& e) {
        tally.failed_errno = e.error();  // this thread's: the exit code follows it
        throw;
      }
      const double took = clock_seconds() - t0;
      tally.open += took;
      tally.latency[op].add(took);
      ++tally.files;
      ++tally.moved;
      tally.last_done = s.now();
    }
  });
  run.end = job.now();
  int failed_errno = 0;
  for (const Tally& t : tallies) failed_errno = failed_errno != 0 ? failed_errno : t.failed_errno;
  job.agree(err, io::exit_code_for_errno(failed_errno));
  PhaseLatency& latency = s.phase_latency();
  for (const Tally& t : tallies) latency[op].merge(t.latency[op]);
  std::uint64_t expected = 0;
  for (const Tally& t : tallies) run.files += t.files;
  for (const Tally& t : tallies) expected += t.expected;
  double movers = 0;
  for (const Tally& t : tallies) movers += t.files > 0 ? 1 : 0;
  for (const Tally& t : tallies) run.open_seconds += t.open / std::max(movers, 1.0);
  run.complete = run.files == expected;
  return run;
}

}  // namespace

Interval stat_pass(Share& s) { return metadata_pass(s, kStatOp, storage::stat_file); }

Interval delete_pass(Share& s) {
  Interval run = metadata_pass(s, kUnlinkOp, storage::remove_file);
  // The directories this run made, deepest first, once every rank has removed its files:
  // rmdir removes only empty ones, so a file that is not the dataset's keeps its directory, and
  // one that stood before the run is not in the list.
  s.c.job.barrier();
  if (s.c.job.rank() == 0) storage::remove_made_directories(s.backend.names(), s.made_directories);
  run.end = s.c.job.now();
  return run;
}

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
            // --transfer: the bytes per write call, as on a file.
            const ssize_t w =
                ::write(out.fd(), p, std::min<std::uint64_t>(left, req.storage.transfer));
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

}  // namespace dgen::mpi
