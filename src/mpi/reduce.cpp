#include "mpi/reduce.hpp"

#include <algorithm>

namespace dgen::mpi {

namespace {

double rate_gbps(std::uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e9 : 0;
}

std::vector<double> durations(const std::vector<Interval>& runs) {
  std::vector<double> out;
  for (const auto& r : runs) out.push_back(r.seconds());
  return out;
}

// The best rate of the complete passes (a cut pass is no measure of the machine).
double best_rate(const std::vector<Interval>& runs) {
  double best = 0;
  for (const auto& r : runs) {
    if (r.complete) best = std::max(best, rate_gbps(r.bytes, r.seconds()));
  }
  return best;
}

}  // namespace

report::RankResult rank_result(const RankContext& c, const Measured& m) {
  const RankPlacement& place = c.place;
  report::RankResult r;
  r.rank = c.job.rank();
  r.local_rank = c.job.local_rank();
  r.host = c.job.host();
  r.numa_node = place.numa_node();
  r.memory_nodes = place.plan.memory_nodes;
  r.cpus = place.plan.cpus;
  r.threads = c.team.size();
  r.oversubscribed = place.plan.oversubscribed;
  r.binding = place.binding;
  r.simd = c.generator.simd().name;
  r.seconds = durations(m.runs);
  for (const auto& run : m.runs) r.bytes.push_back(run.bytes);
  r.gbps = best_rate(m.runs);
  r.memset_gbps = best_rate(m.memset_runs);
  r.streaming_gbps = best_rate(m.streaming_runs);
  r.first_touch_seconds = m.first_touch_seconds;
  for (const auto& run : m.runs) {
    r.generate_seconds += run.generate_seconds;
    r.io_seconds += run.io_seconds;
    if (run.stonewalled) {
      r.wall_moved = run.wall_moved;
      r.wall_bytes = run.wall_bytes;
      r.notice_seconds = run.notice_seconds;
    }
  }
  if (m.locality) {
    r.local_fraction = m.locality->local_fraction();
    r.pages_unknown = m.locality->unknown;
  }
  return r;
}

std::vector<report::IterationResult> reduce_iterations(const Job& job,
                                                       const std::vector<Interval>& runs) {
  // Every rank has the same number of passes: they stop together (agreed_stop).
  const int n = static_cast<int>(runs.size());
  std::vector<double> start, stop, rate;
  std::vector<unsigned long long> bytes;
  std::vector<int> complete;
  for (const auto& r : runs) {
    start.push_back(r.start);
    stop.push_back(r.end);
    rate.push_back(rate_gbps(r.bytes, r.seconds()));
    bytes.push_back(r.bytes);
    complete.push_back(r.complete ? 1 : 0);
  }
  const std::size_t k = runs.size();
  std::vector<double> first(k), last(k), rmin(k), rsum(k), rmax(k);
  std::vector<unsigned long long> total(k);
  std::vector<int> all_complete(k);
  const MPI_Comm w = job.world();
  check(MPI_Reduce(start.data(), first.data(), n, MPI_DOUBLE, MPI_MIN, 0, w), "MPI_Reduce");
  check(MPI_Reduce(stop.data(), last.data(), n, MPI_DOUBLE, MPI_MAX, 0, w), "MPI_Reduce");
  check(MPI_Reduce(rate.data(), rmin.data(), n, MPI_DOUBLE, MPI_MIN, 0, w), "MPI_Reduce");
  check(MPI_Reduce(rate.data(), rsum.data(), n, MPI_DOUBLE, MPI_SUM, 0, w), "MPI_Reduce");
  check(MPI_Reduce(rate.data(), rmax.data(), n, MPI_DOUBLE, MPI_MAX, 0, w), "MPI_Reduce");
  check(MPI_Reduce(bytes.data(), total.data(), n, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, w),
        "MPI_Reduce");
  check(MPI_Reduce(complete.data(), all_complete.data(), n, MPI_INT, MPI_MIN, 0, w), "MPI_Reduce");
  // Per step, the slowest rank's time (5 values per iteration), and the files all completed.
  std::vector<double> steps, slowest(5 * k);
  std::vector<unsigned long long> files, all_files(k);
  for (const auto& r : runs) {
    steps.insert(steps.end(), {r.open_seconds, r.io_seconds, r.flush_seconds, r.close_seconds,
                               r.generate_seconds});
    files.push_back(r.files);
  }
  check(MPI_Reduce(steps.data(), slowest.data(), 5 * n, MPI_DOUBLE, MPI_MAX, 0, w), "MPI_Reduce");
  check(MPI_Reduce(files.data(), all_files.data(), n, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, w),
        "MPI_Reduce");
  // --duration: the stonewall's figures (every rank has them when any has: one request).
  const bool walled = !runs.empty() && runs.front().stonewalled;
  std::vector<unsigned long long> moved, moved_min(k), moved_max(k), moved_sum(k), wall_sum(k);
  std::vector<double> notice, wear, notice_max(k), wear_max(k), measured, measured_max(k);
  std::vector<int> reached, reached_any(k);
  std::vector<std::pair<double, int>> wall_bytes, wall_min(k);  // MPI_DOUBLE_INT for MINLOC
  if (walled) {
    for (const auto& r : runs) {
      moved.push_back(r.wall_moved);
      wall_bytes.push_back({static_cast<double>(r.wall_bytes), job.rank()});
      notice.push_back(r.notice_seconds);
      wear.push_back(r.wear_out_seconds);
      measured.push_back(r.wall_seconds);
      reached.push_back(r.wall_reached ? 1 : 0);
    }
    std::vector<unsigned long long> wb;
    for (const auto& r : runs) wb.push_back(r.wall_bytes);
    check(MPI_Reduce(moved.data(), moved_min.data(), n, MPI_UNSIGNED_LONG_LONG, MPI_MIN, 0, w),
          "MPI_Reduce");
    check(MPI_Reduce(moved.data(), moved_max.data(), n, MPI_UNSIGNED_LONG_LONG, MPI_MAX, 0, w),
          "MPI_Reduce");
    check(MPI_Reduce(moved.data(), moved_sum.data(), n, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, w),
          "MPI_Reduce");
    check(MPI_Reduce(wb.data(), wall_sum.data(), n, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, w),
          "MPI_Reduce");
    // A double holds byte counts exactly up to 2^53 (8 PiB per rank): enough to name the rank.
    struct DoubleInt {
      double v;
      int i;
    };
    std::vector<DoubleInt> in(k), lo(k);
    for (std::size_t i = 0; i < k; ++i) in[i] = {wall_bytes[i].first, wall_bytes[i].second};
    check(MPI_Reduce(in.data(), lo.data(), n, MPI_DOUBLE_INT, MPI_MINLOC, 0, w), "MPI_Reduce");
    for (std::size_t i = 0; i < k; ++i) wall_min[i] = {lo[i].v, lo[i].i};
    check(MPI_Reduce(notice.data(), notice_max.data(), n, MPI_DOUBLE, MPI_MAX, 0, w), "MPI_Reduce");
    check(MPI_Reduce(wear.data(), wear_max.data(), n, MPI_DOUBLE, MPI_MAX, 0, w), "MPI_Reduce");
    check(MPI_Reduce(measured.data(), measured_max.data(), n, MPI_DOUBLE, MPI_MAX, 0, w),
          "MPI_Reduce");
    check(MPI_Reduce(reached.data(), reached_any.data(), n, MPI_INT, MPI_MAX, 0, w), "MPI_Reduce");
  }
  std::vector<report::IterationResult> out;
  for (int i = 0; job.rank() == 0 && i < n; ++i) {
    report::IterationResult it;
    if (walled) {
      report::Stonewall sw;
      sw.limit_seconds = runs[static_cast<std::size_t>(i)].wall;
      sw.reached = reached_any[i] != 0;
      // IOR's stonewall time, measured; never the limit itself (a run that finished in 0.06 s
      // of a 10 s limit moved its bytes in 0.06 s).
      sw.seconds = measured_max[i];
      sw.moved_min = moved_min[i];
      sw.moved_max = moved_max[i];
      sw.moved_mean = static_cast<double>(moved_sum[i]) / job.size();
      sw.bytes_min = static_cast<std::uint64_t>(wall_min[i].first);
      sw.slowest_rank = wall_min[i].second;
      sw.bytes = wall_sum[i];
      // At the wall, what every rank had surely moved (the slowest rank's count, IOR's); before
      // it, everything every rank moved.
      const double bytes = sw.reached ? static_cast<double>(sw.bytes_min) * job.size()
                                      : static_cast<double>(sw.bytes);
      const double moved = sw.reached ? static_cast<double>(sw.moved_min) * job.size()
                                      : static_cast<double>(moved_sum[i]);
      sw.gbps = sw.seconds > 0 ? bytes / sw.seconds / 1e9 : 0;
      sw.moved_per_second = sw.seconds > 0 ? moved / sw.seconds : 0;
      sw.notice_seconds = notice_max[i];
      sw.wear_out = wear_max[i] > 0;
      sw.wear_out_seconds = wear_max[i];
      sw.file_system_full = runs[static_cast<std::size_t>(i)].full;  // agreed: the same on all
      it.stonewall = sw;
    }
    it.seconds = last[i] - first[i];
    it.bytes = total[i];
    it.complete = all_complete[i] == 1;
    it.aggregate_gbps = rate_gbps(total[i], it.seconds);
    it.rank_min_gbps = rmin[i];
    it.rank_mean_gbps = rsum[i] / job.size();
    it.rank_max_gbps = rmax[i];
    const std::size_t at = 5 * static_cast<std::size_t>(i);
    it.open_seconds = slowest[at];
    it.io_seconds = slowest[at + 1];
    it.flush_seconds = slowest[at + 2];
    it.close_seconds = slowest[at + 3];
    it.generate_seconds = slowest[at + 4];
    it.files = all_files[i];
    it.files_per_second = it.seconds > 0 ? static_cast<double>(it.files) / it.seconds : 0;
    it.unflushed_gbps = rate_gbps(total[i], std::max(it.seconds - it.flush_seconds, 0.0));
    out.push_back(it);
  }
  return out;
}

}  // namespace dgen::mpi
