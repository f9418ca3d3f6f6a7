#include "mpi/latency_reduce.hpp"

#include <cstdint>
#include <vector>

namespace dgen::mpi {

namespace {

// The 128-bit sum travels as four 32-bit limbs, each in a uint64: MPI_SUM of a limb cannot
// overflow below 2^32 ranks, and the carries are resolved on rank 0. No user-defined MPI_Op.
constexpr int kLimbs = 4;

}  // namespace

report::LatencyHistogram reduce_histogram(const Job& job, const report::LatencyHistogram& mine) {
  std::vector<std::uint64_t> send(mine.counts());
  const std::size_t buckets = send.size();
  const report::NanoSum sum = mine.sum_ns();
  for (int l = 0; l < kLimbs; ++l)
    send.push_back(static_cast<std::uint64_t>((sum >> (32 * l)) & 0xFFFFFFFFu));
  std::vector<std::uint64_t> total(send.size(), 0);
  const MPI_Comm w = job.world();
  check(MPI_Reduce(send.data(), total.data(), static_cast<int>(send.size()), MPI_UINT64_T, MPI_SUM,
                   0, w),
        "MPI_Reduce(latency counts)");
  // min and -max in one MPI_MIN; an empty rank sends +inf for both (min_raw, -max_raw).
  const double extremes[2] = {mine.min_raw(), -mine.max_raw()};
  double least[2] = {0, 0};
  check(MPI_Reduce(extremes, least, 2, MPI_DOUBLE, MPI_MIN, 0, w), "MPI_Reduce(latency min/max)");
  if (job.rank() != 0) return {};
  report::NanoSum sum_all = 0;
  for (int l = 0; l < kLimbs; ++l)
    sum_all += static_cast<report::NanoSum>(total[buckets + l]) << (32 * l);
  total.resize(buckets);
  return report::LatencyHistogram::from_parts(std::move(total), sum_all, least[0], -least[1]);
}

}  // namespace dgen::mpi
