#include "mpi/timeline_gather.hpp"

#include <algorithm>
#include <climits>

namespace dgen::mpi {

std::vector<std::vector<std::uint64_t>> gather_timelines(const Job& job,
                                                         const report::Timeline& mine) {
  return gather_timelines(job, mine, INT_MAX);
}

std::vector<std::vector<std::uint64_t>> gather_timelines(const Job& job,
                                                         const report::Timeline& mine,
                                                         long long gatherv_limit) {
  const MPI_Comm w = job.world();
  const int ranks = job.size();
  // Every rank learns every length: all then agree whether MPI_Gatherv's int displacements
  // hold the whole (a long run on many ranks need not fit).
  const int n = static_cast<int>(mine.bytes().size());  // at most Timeline::kMaxIntervals
  std::vector<int> lengths(static_cast<std::size_t>(ranks), 0);
  check(MPI_Allgather(&n, 1, MPI_INT, lengths.data(), 1, MPI_INT, w), "MPI_Allgather(timeline)");
  long long all = 0;
  for (int len : lengths) all += len;
  std::vector<std::vector<std::uint64_t>> rows;
  if (job.rank() == 0) {
    rows.resize(static_cast<std::size_t>(ranks));
    for (int r = 0; r < ranks; ++r) rows[r].resize(static_cast<std::size_t>(lengths[r]));
  }
  if (all <= std::min<long long>(gatherv_limit, INT_MAX)) {
    std::vector<int> displs(static_cast<std::size_t>(ranks), 0);
    for (int r = 1; r < ranks; ++r) displs[r] = displs[r - 1] + lengths[r - 1];
    std::vector<std::uint64_t> flat(job.rank() == 0 ? static_cast<std::size_t>(all) : 0);
    check(MPI_Gatherv(mine.bytes().data(), n, MPI_UINT64_T, flat.data(), lengths.data(),
                      displs.data(), MPI_UINT64_T, 0, w),
          "MPI_Gatherv(timeline)");
    for (int r = 0; job.rank() == 0 && r < ranks; ++r) {
      std::copy(flat.begin() + displs[r], flat.begin() + displs[r] + lengths[r], rows[r].begin());
    }
    return rows;
  }
  constexpr int kTag = 0xD6E7;
  if (job.rank() == 0) {
    rows[0] = mine.bytes();
    for (int r = 1; r < ranks; ++r) {
      check(MPI_Recv(rows[r].data(), lengths[r], MPI_UINT64_T, r, kTag, w, MPI_STATUS_IGNORE),
            "MPI_Recv(timeline)");
    }
  } else {
    check(MPI_Send(mine.bytes().data(), n, MPI_UINT64_T, 0, kTag, w), "MPI_Send(timeline)");
  }
  return rows;
}

}  // namespace dgen::mpi
