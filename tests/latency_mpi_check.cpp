// Run under mpirun (test_mpi.cpp, Mpi.LatencyAndTimelineReductionsEqualTheLocalMerge): every
// rank records known latencies and bytes, the MPI helpers bring them to rank 0, and rank 0
// checks them against merging every rank's own histogram and row itself. With 3 ranks or more
// the last rank records nothing. Exit 0 when all agree; else rank 0 names what differs.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "mpi/job.hpp"
#include "mpi/latency_reduce.hpp"
#include "mpi/timeline_gather.hpp"
#include "report/latency.hpp"
#include "report/timeline.hpp"

namespace {

using dgen::report::LatencyHistogram;
using dgen::report::Timeline;

bool idle(int rank, int size) { return size > 2 && rank == size - 1; }

LatencyHistogram histogram_of(int rank, int size) {
  LatencyHistogram h;
  if (idle(rank, size)) return h;
  std::mt19937_64 rng(1000 + rank);
  std::uniform_real_distribution<double> exponent(-7, 4);  // 0.1 us to 3 h
  for (int i = 0; i < 5000 + 100 * rank; ++i) h.add(std::pow(10.0, exponent(rng)));
  return h;
}

Timeline timeline_of(int rank, int size) {
  Timeline t(0.25, 10.0);
  if (idle(rank, size)) return t;
  for (int k = 0; k < 3 * (rank + 1); ++k) t.add(10.0 + 0.3 * k, 1000u * rank + k);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  dgen::mpi::Job job(&argc, &argv);
  const int rank = job.rank(), size = job.size();
  const LatencyHistogram reduced = dgen::mpi::reduce_histogram(job, histogram_of(rank, size));
  const auto gathered = dgen::mpi::gather_timelines(job, timeline_of(rank, size));
  const auto point_to_point = dgen::mpi::gather_timelines(job, timeline_of(rank, size), 0);
  if (rank != 0) return 0;
  std::vector<std::string> wrong;
  LatencyHistogram merged;
  for (int r = 0; r < size; ++r) merged.merge(histogram_of(r, size));
  if (reduced.counts() != merged.counts()) wrong.push_back("bucket counts");
  if (reduced.count() != merged.count()) wrong.push_back("count");
  if (reduced.sum_ns() != merged.sum_ns()) wrong.push_back("sum");
  if (reduced.min() != merged.min()) wrong.push_back("min");
  if (reduced.max() != merged.max()) wrong.push_back("max");
  for (double p : dgen::report::kReportedPercentiles) {
    if (reduced.percentile(p) != merged.percentile(p))
      wrong.push_back("percentile " + std::to_string(p));
  }
  if (gathered.size() != static_cast<std::size_t>(size)) wrong.push_back("timeline rows");
  for (int r = 0; r < size && gathered.size() == static_cast<std::size_t>(size); ++r) {
    if (gathered[r] != timeline_of(r, size).bytes())
      wrong.push_back("timeline of rank " + std::to_string(r));
  }
  if (point_to_point != gathered) wrong.push_back("timelines sent point to point");
  for (const auto& w : wrong) std::fprintf(stderr, "latency_mpi_check: %s differ\n", w.c_str());
  std::printf("latency_mpi_check: %d ranks, %llu latencies, %s\n", size,
              static_cast<unsigned long long>(reduced.count()), wrong.empty() ? "ok" : "WRONG");
  return wrong.empty() ? 0 : 1;
}
