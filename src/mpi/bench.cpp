// Bench mode: the rank's buffer, bound and first-touched by its team, then `iterations` times
// in turn: filled by the generator, by memset and by a streaming-store fill of a constant (the
// two baselines: whichever is faster is the machine's write limit); then its pages checked.
#include <cstring>
#include <optional>

#include "buffer/page_buffer.hpp"
#include "dgen/size.hpp"
#include "kernels/kernel.hpp"
#include "mpi/modes.hpp"
#include "topology/memory.hpp"

namespace dgen::mpi {

namespace {

// Above this many bytes per thread the buffer cannot stay in cache: bypass it with
// non-temporal stores, as a large memset should.
constexpr std::uint64_t kStreamingBytesPerThread = 8ULL << 20;

}  // namespace

Measured run_bench(const RankContext& c, std::string& stores) {
  const Job& job = c.job;
  const RunRequest& req = c.request;
  const RankPlacement& place = c.place;
  Team& team = c.team;
  // With huge pages a thread's part starts on a 2 MiB boundary, so no huge page spans two
  // threads (and possibly two nodes).
  const std::uint64_t granule = req.hugepages ? (2ULL << 20) : buffer::page_size();
  job.agree(check_memory(job, req.size, "--size " + format_size(req.size) + " per rank"), 2);
  job.agree(check_node_memory(job, place, req.size, granule), 2);
  std::optional<buffer::PageBuffer> buf;
  {
    std::string err;
    try {
      buf.emplace(req.size, req.hugepages);
      // Each thread's part on its node before anything touches it.
      for (int t = 0; place.bind_memory && t < team.size(); ++t) {
        const auto part = part_of(c, t, granule);
        place.binder->bind_memory(buf->data() + part.begin, part.size(),
                                  {place.plan.thread_nodes[static_cast<std::size_t>(t)]});
      }
    } catch (const std::exception& e) {
      err = e.what();
    }
    job.agree(err);
  }
  std::byte* const data = buf->data();
  const StoreMode mode = req.size / team.size() > kStreamingBytesPerThread ? StoreMode::kStreaming
                                                                           : StoreMode::kCached;
  stores = mode == StoreMode::kStreaming ? "streaming" : "cached";
  Measured m;

  // First touch by the team that will fill the pages, with the same partition: each page is
  // placed on the node of the thread that writes it first.
  const std::size_t page = buffer::page_size();
  {
    job.sync();
    job.set_phase("first touch");
    const double t0 = job.now();
    const std::string err = run_on_team(team, [&](int t) {
      const buffer::Part part = part_of(c, t, granule);
      for (std::uint64_t x = part.begin; x < part.end; x += page) {
        *reinterpret_cast<volatile std::byte*>(data + x) = std::byte{0};
      }
    });
    m.first_touch_seconds = job.now() - t0;
    job.agree(err);
  }

  const kernels::CompiledKernel* kernel = kernels::find_kernel(c.generator.simd().name);
  const int passes = req.iterations * (req.baseline ? 3 : 1);
  report::Progress progress(req.progress && job.rank() == 0,
                            req.size * static_cast<std::uint64_t>(passes), job.size(), "generate");
  std::vector<std::uint64_t> done;
  // One timed pass of `fill` into `runs`; false when the job was stopped.
  auto timed = [&](const char* what, int it, std::vector<Interval>& runs, auto&& fill) {
    std::string err;
    runs.push_back(timed_pass(c, std::string(what) + ", iteration " + std::to_string(it + 1),
                              granule, progress, err, done, [&](std::uint64_t x, std::uint64_t n) {
                                fill(x, n);
                                return true;
                              }));
    job.agree(err);
    m.stop_signal = agreed_stop(job);
    return m.stop_signal == 0;
  };
  // Interleaved, so that generation and both baselines see the same machine (a VM's memory
  // bandwidth can change from one second to the next): generate, memset, streaming fill, and
  // again.
  bool going = true;
  for (int it = 0; going && it < req.iterations; ++it) {
    going = timed("generate", it, m.runs, [&](std::uint64_t x, std::uint64_t n) {
      c.generator.generate(c.global_offset + x, {data + x, n}, mode);
    });
    if (going && req.baseline) {
      going = timed("memset", it, m.memset_runs,
                    [&](std::uint64_t x, std::uint64_t n) { std::memset(data + x, it + 1, n); });
    }
    if (going && req.baseline) {
      going = timed("streaming fill", it, m.streaming_runs, [&](std::uint64_t x, std::uint64_t n) {
        kernel->stream_fill(reinterpret_cast<std::uint8_t*>(data + x), n,
                            static_cast<std::uint8_t>(0x80 + it));
      });
    }
  }
  if (!going) return m;  // a stopped job reports at once; the pages go unchecked

  // Where did the pages land? Each thread asks about its own part: pinned threads' pages
  // belong on their thread's node, floating threads' anywhere in the rank's memory nodes.
  std::vector<buffer::Locality> found(static_cast<std::size_t>(team.size()));
  job.agree(run_on_team(team, [&](int t) {
    const std::vector<int> intended =
        place.pin_threads ? std::vector<int>{place.plan.thread_nodes[static_cast<std::size_t>(t)]}
                          : place.plan.memory_nodes;
    const buffer::Part part = part_of(c, t, granule);
    found[static_cast<std::size_t>(t)] =
        buffer::page_locality(data + part.begin, part.size(), intended);
  }));
  m.locality.emplace();
  for (const auto& l : found) *m.locality += l;
  return m;
}

}  // namespace dgen::mpi
