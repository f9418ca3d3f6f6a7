#include "mpi/driver.hpp"

#include <fcntl.h>
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <system_error>

#include "buffer/page_buffer.hpp"
#include "buffer/page_locality.hpp"
#include "buffer/partition.hpp"
#include "dgen/generator.hpp"
#include "dgen/simd.hpp"
#include "dgen/size.hpp"
#include "mpi/placement.hpp"
#include "mpi/stop_signal.hpp"
#include "report/lists.hpp"
#include "report/progress.hpp"
#include "report/provenance.hpp"
#include "topology/memory.hpp"

namespace dgen::mpi {

namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kChunk = 16ULL << 20;  // progress and stop checks; write buffers
// Above this many bytes per thread the buffer cannot stay in cache: bypass it with
// non-temporal stores, as glibc's memset does for large fills.
constexpr std::uint64_t kStreamingBytesPerThread = 8ULL << 20;

/// One rank's timed pass: from right after the common barrier to its team's end, on rank 0's
/// clock (Job::now).
struct Interval {
  double start = 0, end = 0;
  double seconds() const { return end - start; }
};

/// What one rank measured.
struct Measured {
  double first_touch_seconds = 0;
  std::vector<Interval> runs;           ///< per iteration
  std::vector<Interval> baseline_runs;  ///< memset, same
  buffer::Locality locality;
};

std::vector<double> durations(const std::vector<Interval>& runs) {
  std::vector<double> out;
  for (const auto& r : runs) out.push_back(r.seconds());
  return out;
}

std::string interrupted(int sig) { return "interrupted by signal " + std::to_string(sig); }

/// Every thread of the rank's team, pinned to its planned cpu, runs `body(part, thread)` on its
/// static part of [0, size). Returns the first pinning error, if any.
template <class Body>
std::string for_each_part(const RankPlacement& place, std::uint64_t size, std::uint64_t granule,
                          Body&& body) {
  std::string error;
#pragma omp parallel num_threads(place.threads())
  {
    const int t = omp_get_thread_num();
    if (std::string e = pin_current_thread(place, t); !e.empty()) {
#pragma omp critical(dgen_pin_error)
      error = e;
    }
    body(buffer::part_of(size, place.threads(), t, granule), t);
  }
  return error;
}

/// Runs `fill(offset, n)` over one thread's part in chunks, counting progress, stopping early
/// when a stop signal arrives or `fill` returns false (it failed).
template <class Fill>
void in_chunks(const buffer::Part& part, report::Progress& progress, Fill&& fill) {
  for (std::uint64_t x = part.begin; x < part.end && stop_signal() == 0; x += kChunk) {
    const std::uint64_t n = std::min(kChunk, part.end - x);
    if (!fill(x, n)) return;
    progress.add(n);
  }
}

// ------------------------------------------------------------------ bench mode

Measured bench(const Job& job, const app::Options& o, const Generator& gen,
               const RankPlacement& place, std::string& stores) {
  const int threads = place.threads();
  // With huge pages a thread's part starts on a 2 MiB boundary, so no huge page spans two
  // threads (and possibly two nodes).
  const std::uint64_t granule = o.hugepages ? (2ULL << 20) : buffer::page_size();
  // Memory first: refuse with the numbers instead of being OOM-killed.
  {
    const auto limits = topology::read_memory_limits();
    // The node's ranks together; summed as doubles, since sizes near 2^64 would wrap.
    double need = static_cast<double>(o.size);
    check(MPI_Allreduce(MPI_IN_PLACE, &need, 1, MPI_DOUBLE, MPI_SUM, job.node()), "MPI_Allreduce");
    std::string err;
    if (need > static_cast<double>(limits.usable())) {
      const auto need_bytes = need >= 0x1p64 ? UINT64_MAX : static_cast<std::uint64_t>(need);
      err = "--size " + format_size(o.size) + " per rank: " + std::to_string(job.local_size()) +
            (job.local_size() == 1 ? " rank on this node needs " : " ranks on this node need ") +
            format_size(need_bytes) + " in all, but " + format_size(limits.usable()) +
            " is available (" + limits.source() + ")";
    }
    job.agree(err, 2);
  }
  job.agree(check_node_memory(job, place, o.size, granule), 2);
  std::optional<buffer::PageBuffer> buf;
  {
    std::string err;
    try {
      buf.emplace(o.size, o.hugepages);
      // Each thread's part on its node before anything touches it.
      for (int t = 0; place.bind_memory && t < threads; ++t) {
        const auto part = buffer::part_of(o.size, threads, t, granule);
        place.binder->bind_memory(buf->data() + part.begin, part.size(),
                                  {place.plan.thread_nodes[static_cast<std::size_t>(t)]});
      }
    } catch (const std::exception& e) {
      err = e.what();
    }
    job.agree(err);
  }
  std::byte* const data = buf->data();
  const std::uint64_t global = static_cast<std::uint64_t>(job.rank()) * o.size;
  const StoreMode mode =
      o.size / threads > kStreamingBytesPerThread ? StoreMode::kStreaming : StoreMode::kCached;
  stores = mode == StoreMode::kStreaming ? "streaming" : "cached";
  Measured m;

  // First touch by the team that will fill the pages, with the same partition: each page is
  // placed on the node of the thread that writes it first.
  const std::size_t page = buffer::page_size();
  check(MPI_Barrier(job.world()), "MPI_Barrier");
  const double t0 = job.now();
  const std::string pin_error =
      for_each_part(place, o.size, granule, [&](const buffer::Part& part, int) {
        for (std::uint64_t x = part.begin; x < part.end; x += page) {
          *reinterpret_cast<volatile std::byte*>(data + x) = std::byte{0};
        }
      });
  m.first_touch_seconds = job.now() - t0;
  job.agree(pin_error);

  const int passes = o.iterations * (o.baseline ? 2 : 1);
  report::Progress progress(o.progress.value_or(false) && job.rank() == 0,
                            o.size * static_cast<std::uint64_t>(passes), job.size(), "generate");
  // One timed pass of `fill` over the rank's buffer. IOR's timing: every rank starts its clock
  // right after the common barrier and stops it when its own team is done, both on rank 0's
  // clock; reduce_iterations makes the job's span MAX(stop) - MIN(start).
  auto timed_pass = [&](auto&& fill) {
    check(MPI_Barrier(job.world()), "MPI_Barrier");
    const double start = job.now();
    for_each_part(place, o.size, granule, [&](const buffer::Part& part, int) {
      in_chunks(part, progress, [&](std::uint64_t x, std::uint64_t n) {
        fill(x, n);
        return true;
      });
    });
    const Interval run{start, job.now()};
    job.agree(stop_signal() ? interrupted(stop_signal()) : "", 128 + stop_signal());
    return run;
  };
  for (int it = 0; it < o.iterations; ++it) {
    m.runs.push_back(timed_pass([&](std::uint64_t x, std::uint64_t n) {
      gen.generate(global + x, {data + x, n}, mode);
    }));
  }
  for (int it = 0; o.baseline && it < o.iterations; ++it) {
    m.baseline_runs.push_back(
        timed_pass([&](std::uint64_t x, std::uint64_t n) { std::memset(data + x, it + 1, n); }));
  }
  // Where did the pages land? Each thread asks about its own part: pinned threads' pages
  // belong on their thread's node, floating threads' anywhere in the rank's memory nodes.
  std::mutex mutex;
  for_each_part(place, o.size, granule, [&](const buffer::Part& part, int t) {
    const std::vector<int> intended =
        place.pin_threads ? std::vector<int>{place.plan.thread_nodes[static_cast<std::size_t>(t)]}
                          : place.plan.memory_nodes;
    const auto l = buffer::page_locality(data + part.begin, part.size(), intended);
    std::lock_guard<std::mutex> lock(mutex);
    m.locality += l;
  });
  return m;
}

// ------------------------------------------------------------------ write mode

/// Writes all of [p, p + n), which is stream offset `off`, retrying short writes: at that file
/// offset (pwrite) or, for streams, in order (write).
std::string write_bytes(int fd, bool at_offset, const std::byte* p, std::size_t n,
                        std::uint64_t off, const std::string& path) {
  while (n > 0) {
    const ssize_t w = at_offset ? pwrite(fd, p, n, static_cast<off_t>(off)) : write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR && stop_signal() == 0) continue;
      if (stop_signal() != 0) return interrupted(stop_signal());
      return "write to " + path + " failed at offset " + std::to_string(off) + ": " +
             std::strerror(errno);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
    off += static_cast<std::uint64_t>(w);
  }
  return "";
}

std::string pwrite_all(int fd, const std::byte* p, std::size_t n, std::uint64_t off,
                       const std::string& path) {
  return write_bytes(fd, true, p, n, off, path);
}

std::string write_all(int fd, const std::byte* p, std::size_t n, std::uint64_t off,
                      const std::string& path) {
  return write_bytes(fd, false, p, n, off, path);
}

/// Where the stream goes. A regular file (or a new one) is written under a temporary name and
/// renamed only when every rank is done, so that a failed or interrupted run leaves no file that
/// looks complete. Devices (/dev/null, a block device under test) are written in place; stdout
/// and FIFOs take the bytes in order.
struct OutputTarget {
  int fd = -1;
  std::string temp;         ///< the temporary name, empty when writing in place
  bool sequential = false;  ///< write() in stream order instead of pwrite() at offsets
};

OutputTarget open_output(const Job& job, const std::string& path, std::uint64_t bytes_per_rank) {
  enum Kind : int { kFile, kDevice, kSequential, kDirectory };
  int kind = kFile;
  if (path == "-") {
    kind = kSequential;
  } else if (job.rank() == 0) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) {
      kind = S_ISDIR(st.st_mode)                            ? kDirectory
             : S_ISREG(st.st_mode)                          ? kFile
             : (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ? kDevice
                                                            : kSequential;
    }
  }
  check(MPI_Bcast(&kind, 1, MPI_INT, 0, job.world()), "MPI_Bcast");
  if (kind == kDirectory) job.agree("--output " + path + ": is a directory", 2);
  if (kind == kSequential && job.size() > 1) {
    job.agree("--output " + path +
                  ": a stream (stdout or a pipe) takes one rank's bytes in order; with " +
                  std::to_string(job.size()) + " ranks give a file path",
              2);
  }
  if (kind == kFile) {
    // Refuse before writing when the file system cannot hold the stream.
    std::string err;
    if (job.rank() == 0) {
      const fs::path dir = fs::absolute(path).parent_path();
      std::error_code ec;
      const auto space = fs::space(dir, ec);
      const std::uint64_t need = bytes_per_rank * static_cast<std::uint64_t>(job.size());
      if (!ec && need > space.available) {
        err = "--output " + path + ": " + format_size(need) + " to write but " +
              format_size(space.available) + " is free on " + dir.string();
      }
    }
    job.agree(err, 2);
  }
  OutputTarget out;
  out.sequential = kind == kSequential;
  if (path == "-") {
    out.fd = STDOUT_FILENO;
    return out;
  }
  long long tag = getpid();
  check(MPI_Bcast(&tag, 1, MPI_LONG_LONG, 0, job.world()), "MPI_Bcast");
  if (kind == kFile) out.temp = path + ".dgen-partial-" + std::to_string(tag);
  const std::string& name = out.temp.empty() ? path : out.temp;
  std::string err;
  if (job.rank() == 0) {
    out.fd = kind == kFile ? open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                           : open(name.c_str(), O_WRONLY | O_CLOEXEC);
    if (out.fd < 0)
      err = "--output " + path + ": cannot create " + name + ": " + std::strerror(errno);
  }
  job.agree(err);
  if (job.rank() != 0) {
    out.fd = open(name.c_str(), O_WRONLY | O_CLOEXEC);
    if (out.fd < 0)
      err = "--output " + path + ": cannot open " + name + ": " + std::strerror(errno);
  }
  try {
    job.agree(err);
  } catch (const JobFailure&) {
    if (out.fd >= 0) close(out.fd);
    if (job.rank() == 0 && !out.temp.empty()) unlink(out.temp.c_str());
    throw;
  }
  return out;
}

Measured write_stream(const Job& job, const app::Options& o, const Generator& gen,
                      const RankPlacement& place) {
  const std::string& path = *o.output;
  const int threads = place.threads();
  const std::uint64_t global = static_cast<std::uint64_t>(job.rank()) * o.size;
  const OutputTarget target = open_output(job, path, o.size);
  const int fd = target.fd;
  const bool in_order = target.sequential;
  const std::uint64_t chunk = std::min(kChunk, o.size);
  Measured m;
  std::string error;
  std::mutex mutex;
  auto fail = [&](const std::string& e) {
    std::lock_guard<std::mutex> lock(mutex);
    if (error.empty()) error = e;
  };
  report::Progress progress(o.progress.value_or(false) && job.rank() == 0,
                            o.size * static_cast<std::uint64_t>(o.iterations), job.size(), "write");
  try {
    for (int it = 0; it < o.iterations; ++it) {
      check(MPI_Barrier(job.world()), "MPI_Barrier");
      const double t0 = job.now();
      if (in_order) {
        // Ordered output: the team generates one chunk each, then the main thread writes them.
        std::vector<std::vector<std::byte>> bufs(static_cast<std::size_t>(threads),
                                                 std::vector<std::byte>(chunk));
        for (std::uint64_t base = 0; base < o.size && error.empty(); base += chunk * threads) {
#pragma omp parallel num_threads(threads)
          {
            const int t = omp_get_thread_num();
            const std::uint64_t x = base + chunk * static_cast<std::uint64_t>(t);
            if (x < o.size) gen.generate(global + x, {bufs[t].data(), std::min(chunk, o.size - x)});
          }
          for (int t = 0; t < threads && error.empty(); ++t) {
            const std::uint64_t x = base + chunk * static_cast<std::uint64_t>(t);
            if (x >= o.size) break;
            const std::uint64_t n = std::min(chunk, o.size - x);
            if (auto e = write_all(fd, bufs[t].data(), n, x, path); !e.empty()) fail(e);
            progress.add(n);
          }
          if (stop_signal() != 0) fail(interrupted(stop_signal()));
        }
      } else {
        for_each_part(place, o.size, buffer::page_size(), [&](const buffer::Part& part, int) {
          std::vector<std::byte> buf(chunk);  // bounded memory: one chunk per thread
          in_chunks(part, progress, [&](std::uint64_t x, std::uint64_t n) {
            if (!error.empty()) return false;  // another thread failed: stop too
            gen.generate(global + x, {buf.data(), n});
            if (auto e = pwrite_all(fd, buf.data(), n, global + x, path); !e.empty()) {
              fail(e);
              return false;
            }
            return true;
          });
        });
        if (stop_signal() != 0) fail(interrupted(stop_signal()));
        // The data is on storage, not only in the page cache, before the clock stops.
        if (error.empty() && fsync(fd) != 0 && errno != EINVAL) {
          fail("fsync of " + path + " failed: " + std::string(std::strerror(errno)));
        }
      }
      m.runs.push_back({t0, job.now()});
      job.agree(error, stop_signal() ? 128 + stop_signal() : 1);
    }
  } catch (const JobFailure&) {
    if (fd != STDOUT_FILENO) close(fd);
    if (job.rank() == 0 && !target.temp.empty()) unlink(target.temp.c_str());
    throw;
  }
  if (fd != STDOUT_FILENO) {
    std::string err;
    if (close(fd) != 0) err = "close of " + path + " failed: " + std::strerror(errno);
    job.agree(err);
    if (job.rank() == 0 && !target.temp.empty() && rename(target.temp.c_str(), path.c_str()) != 0) {
      err = "--output " + path + ": cannot rename " + target.temp + ": " + std::strerror(errno);
      unlink(target.temp.c_str());
    }
    job.agree(err);
  }
  return m;
}

// ------------------------------------------------------------------ reduction

report::RankResult rank_result(const Job& job, const app::Options& o, const RankPlacement& place,
                               const std::string& simd, const Measured& m) {
  report::RankResult r;
  r.rank = job.rank();
  r.local_rank = job.local_rank();
  r.host = job.host();
  r.numa_node = place.numa_node();
  r.memory_nodes = place.plan.memory_nodes;
  r.cpus = place.plan.cpus;
  r.threads = place.threads();
  r.oversubscribed = place.plan.oversubscribed;
  r.binding = place.binding;
  r.simd = simd;
  r.seconds = durations(m.runs);
  auto best_rate = [&](const std::vector<double>& secs) {
    double best = 0;
    for (double s : secs) best = std::max(best, s > 0 ? o.size / s / 1e9 : 0.0);
    return best;
  };
  r.gbps = best_rate(durations(m.runs));
  r.baseline_gbps = best_rate(durations(m.baseline_runs));
  r.first_touch_seconds = m.first_touch_seconds;
  r.local_fraction = m.locality.local_fraction();
  r.pages_unknown = m.locality.unknown;
  return r;
}

/// Per iteration, IOR's reduction: every rank started its clock right after the common barrier
/// and stopped it when its team was done, on rank 0's clock (Job::now corrects each rank's
/// MPI_Wtime, which is not a global clock, by an offset measured against rank 0 at start-up).
/// The job's span is MAX(stop) - MIN(start) over the ranks, so it covers ranks that left the
/// barrier late too; aggregate = total bytes / span. Each rank's own rate (its bytes / its
/// duration) is reduced to MIN, SUM (for the mean) and MAX. Results land on rank 0.
std::vector<report::IterationResult> reduce_iterations(const Job& job, std::uint64_t bytes_per_rank,
                                                       const std::vector<Interval>& runs) {
  const int n = static_cast<int>(runs.size());
  std::vector<double> start, stop, rate;
  for (const auto& r : runs) {
    start.push_back(r.start);
    stop.push_back(r.end);
    rate.push_back(r.seconds() > 0 ? bytes_per_rank / r.seconds() / 1e9 : 0);
  }
  std::vector<double> first(runs.size()), last(runs.size()), rmin(runs.size()), rsum(runs.size()),
      rmax(runs.size());
  check(MPI_Reduce(start.data(), first.data(), n, MPI_DOUBLE, MPI_MIN, 0, job.world()),
        "MPI_Reduce");
  check(MPI_Reduce(stop.data(), last.data(), n, MPI_DOUBLE, MPI_MAX, 0, job.world()), "MPI_Reduce");
  check(MPI_Reduce(rate.data(), rmin.data(), n, MPI_DOUBLE, MPI_MIN, 0, job.world()), "MPI_Reduce");
  check(MPI_Reduce(rate.data(), rsum.data(), n, MPI_DOUBLE, MPI_SUM, 0, job.world()), "MPI_Reduce");
  check(MPI_Reduce(rate.data(), rmax.data(), n, MPI_DOUBLE, MPI_MAX, 0, job.world()), "MPI_Reduce");
  std::vector<report::IterationResult> out;
  const double total = static_cast<double>(bytes_per_rank) * job.size();
  for (int i = 0; job.rank() == 0 && i < n; ++i) {
    const double span = last[i] - first[i];
    out.push_back(
        {span, span > 0 ? total / span / 1e9 : 0, rmin[i], rsum[i] / job.size(), rmax[i]});
  }
  return out;
}

}  // namespace

report::Report run_job(const Job& job, const app::Options& o) {
  report::Report rep;
  rep.provenance = report::local_provenance();
  rep.provenance.start_time = report::utc_now();
  rep.provenance.command_line = o.argv;
  rep.provenance.host = job.host();
  install_stop_signals();

  // Every rank picks its kernel; a node without the asked-for target fails the job clearly.
  std::optional<Generator> gen;
  {
    std::string err;
    try {
      gen.emplace(o.spec, select_simd_target(o.simd));
    } catch (const std::invalid_argument& e) {
      err = e.what();
    }
    job.agree(err, 2);
  }
  RankPlacement place;
  std::vector<std::string> warnings;
  {
    std::string err;
    try {
      place = place_this_rank(job, o, warnings);
    } catch (const std::exception& e) {
      err = e.what();
    }
    job.agree(err, 2);
  }

  Measured m;
  if (o.output) {
    rep.mode = "write";
    rep.stores = "cached";
    rep.output = *o.output;
    m = write_stream(job, o, *gen, place);
  } else {
    rep.mode = "bench";
    m = bench(job, o, *gen, place, rep.stores);
  }
  const report::RankResult mine = rank_result(job, o, place, gen->simd().name, m);
  // Placement check: below 99% local pages, a warning; with --strict-placement, the job fails.
  std::string misplaced;
  if (mine.local_fraction < 0.99 && rep.mode == "bench") {
    char text[240];
    std::snprintf(text, sizeof text,
                  "only %.1f%% of the buffer's pages are on the NUMA node of the thread that "
                  "touched them (%llu remote, %llu unknown; meant for node(s) %s)",
                  100.0 * mine.local_fraction, static_cast<unsigned long long>(m.locality.remote),
                  static_cast<unsigned long long>(m.locality.unknown),
                  report::comma_list(place.plan.memory_nodes).c_str());
    misplaced = text;
    warnings.push_back(misplaced);
  }
  job.agree(o.strict_placement && !misplaced.empty() ? misplaced + " (--strict-placement)" : "", 3);

  rep.iterations = reduce_iterations(job, o.size, m.runs);
  if (o.baseline && rep.mode == "bench") {
    report::Baseline b;
    b.iterations = reduce_iterations(job, o.size, m.baseline_runs);
    rep.baseline = b;
  }
  std::string my_warnings;
  for (const auto& w : warnings) my_warnings += job.who() + ": " + w + "\n";
  const auto all_warnings = job.gather_strings(my_warnings);
  const auto all_ranks = job.gather_strings(nlohmann::json(mine).dump());
  if (job.rank() != 0) return report::Report{};

  rep.spec = o.spec;
  rep.bytes_per_rank = o.size;
  rep.total_bytes = o.size * static_cast<std::uint64_t>(job.size());
  rep.ranks = job.size();
  rep.nodes = job.nodes();
  rep.simd = gen->simd().name;
  for (const auto& text : all_ranks)
    rep.per_rank.push_back(nlohmann::json::parse(text).get<report::RankResult>());
  for (const auto& k : rep.per_rank) {
    rep.threads = std::max(rep.threads, k.threads);
    rep.first_touch_seconds = std::max(rep.first_touch_seconds, k.first_touch_seconds);
    if (k.simd != rep.simd) rep.simd = "mixed";
  }
  for (const auto& k : rep.per_rank) rep.oversubscribed = rep.oversubscribed || k.oversubscribed;
  for (const auto& block : all_warnings) {
    for (std::size_t a = 0, b; a < block.size(); a = b + 1) {
      b = block.find('\n', a);
      rep.warnings.push_back(block.substr(a, b - a));
    }
  }
  std::vector<double> rates;
  for (const auto& it : rep.iterations) rates.push_back(it.aggregate_gbps);
  rep.summary = report::statistics_of(rates);
  if (rep.baseline) {
    for (const auto& it : rep.baseline->iterations) {
      rep.baseline->aggregate_gbps = std::max(rep.baseline->aggregate_gbps, it.aggregate_gbps);
    }
    rep.baseline->ratio =
        rep.baseline->aggregate_gbps > 0 ? rep.summary.max / rep.baseline->aggregate_gbps : 0;
  }
  return rep;
}

}  // namespace dgen::mpi
