// Write mode with POSIX I/O: every thread of every rank generates its part chunk by chunk and
// pwrite()s it at its stream offset; a stream (stdout, a FIFO) takes the chunks in order from
// the main thread. Interrupted, the output is removed, or with --keep-partial cut to the prefix
// every rank completed.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "mpi/modes.hpp"
#include "mpi/output_file.hpp"
#include "mpi/stop_signal.hpp"

namespace dgen::mpi {

namespace {

// Thread parts of a write start on page boundaries (no page is written by two threads).
constexpr std::uint64_t kWriteGranule = 4096;

/// Writes all of [p, p + n), which is file offset `off`, retrying short writes: at that offset
/// (pwrite) or, for streams, in order (write). Returns false when a stop signal interrupted
/// it; throws std::runtime_error naming path, offset and the OS error.
bool write_bytes(int fd, bool at_offset, const std::byte* p, std::size_t n, std::uint64_t off,
                 const std::string& path) {
  while (n > 0) {
    const ssize_t w = at_offset ? pwrite(fd, p, n, static_cast<off_t>(off)) : write(fd, p, n);
    if (w < 0) {
      if (stop_signal() != 0) return false;
      if (errno == EINTR) continue;
      throw std::runtime_error("write to " + path + " failed at offset " + std::to_string(off) +
                               ": " + std::strerror(errno));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
    off += static_cast<std::uint64_t>(w);
  }
  return true;
}

// The rank's prefix that is written: its parts in order, up to the first one not finished.
std::uint64_t written_prefix(const RankContext& c, const std::vector<std::uint64_t>& done) {
  std::uint64_t prefix = 0;
  for (int t = 0; t < c.team.size(); ++t) {
    prefix += done[static_cast<std::size_t>(t)];
    if (done[static_cast<std::size_t>(t)] < part_of(c, t, kWriteGranule).size()) break;
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

}  // namespace

Measured run_write(const RankContext& c) {
  const Job& job = c.job;
  const RunRequest& req = c.request;
  const std::string& path = *req.output;
  OutputFile out(job, path, req.size * static_cast<std::uint64_t>(job.size()));
  const std::uint64_t chunk = std::min(kChunk, req.size);
  const int threads = c.team.size();
  Measured m;
  report::Progress progress(req.progress && job.rank() == 0,
                            req.size * static_cast<std::uint64_t>(req.iterations), job.size(),
                            "write");
  std::vector<std::uint64_t> done;
  bool any_complete = false;
  for (int it = 0; it < req.iterations; ++it) {
    std::string err;
    const std::string phase = "write, iteration " + std::to_string(it + 1);
    if (out.sequential()) {
      // In order: the team generates one chunk each, then the main thread writes them.
      job.sync();
      job.set_phase(phase);
      Interval run;
      run.start = job.now();
      std::vector<std::vector<std::byte>> bufs(static_cast<std::size_t>(threads),
                                               std::vector<std::byte>(chunk));
      try {
        for (std::uint64_t base = 0; base < req.size && stop_signal() == 0;
             base += chunk * static_cast<std::uint64_t>(threads)) {
          c.team.run([&](int t) {
            const std::uint64_t x = base + chunk * static_cast<std::uint64_t>(t);
            if (x < req.size) {
              c.generator.generate(c.global_offset + x, {bufs[static_cast<std::size_t>(t)].data(),
                                                         std::min(chunk, req.size - x)});
            }
          });
          for (int t = 0; t < threads; ++t) {
            const std::uint64_t x = base + chunk * static_cast<std::uint64_t>(t);
            if (x >= req.size) break;
            const std::uint64_t n = std::min(chunk, req.size - x);
            if (!write_bytes(out.fd(), false, bufs[static_cast<std::size_t>(t)].data(), n, x, path))
              break;
            run.bytes += n;
            progress.add(n);
          }
        }
      } catch (const std::exception& e) {
        err = e.what();
      }
      run.end = job.now();
      run.complete = run.bytes == req.size;
      done.assign(1, run.bytes);
      m.runs.push_back(run);
    } else {
      m.runs.push_back(timed_pass(
          c, phase, kWriteGranule, progress, err, done, [&](std::uint64_t x, std::uint64_t n) {
            thread_local std::vector<std::byte> buf;  // bounded memory: one chunk per thread
            buf.resize(chunk);
            c.generator.generate(c.global_offset + x, {buf.data(), n});
            return write_bytes(out.fd(), true, buf.data(), n, c.global_offset + x, path);
          }));
      // The data is on storage, not only in the page cache, before the clock stops.
      if (err.empty() && stop_signal() == 0 && fsync(out.fd()) != 0 && errno != EINVAL) {
        err = "fsync of " + path + " failed: " + std::string(std::strerror(errno));
      }
      m.runs.back().end = job.now();
    }
    job.agree(err);  // an I/O error ends the job, and the destructor removes the file
    m.stop_signal = agreed_stop(job);
    if (m.stop_signal != 0) break;
    any_complete = true;
  }
  if (m.stop_signal == 0) {
    out.commit(job);
  } else if (req.keep_partial && !out.sequential()) {
    // A previous iteration wrote every byte; the cut one rewrote some of the same bytes.
    const std::uint64_t prefix =
        job_prefix(job, any_complete ? req.size : written_prefix(c, done), req.size);
    out.keep_prefix(job, prefix);
    m.bytes_kept = prefix;
  } else {
    out.discard();
  }
  return m;
}

}  // namespace dgen::mpi
