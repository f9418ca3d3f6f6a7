#include "mpi/pass.hpp"

#include "mpi/stop_signal.hpp"

namespace dgen::mpi {

buffer::Part part_of(const RankContext& c, int t, std::uint64_t granule) {
  return buffer::part_of(c.request.size, c.team.size(), t, granule);
}

int agreed_stop(const Job& job) { return job.combine(stop_signal(), MPI_MAX); }

}  // namespace dgen::mpi
