// Every rank's bandwidth timeline to rank 0, once, at the end of the run.
#pragma once

#include <cstdint>
#include <vector>

#include "mpi/job.hpp"
#include "report/timeline.hpp"

namespace dgen::mpi {

/// Collective (every rank, with its threads' timelines merged into `mine`): rank 0 gets one row
/// per rank, in rank order, each as long as that rank's; other ranks get nothing. MPI_Gatherv;
/// point to point instead when the rows together pass MPI's int counts.
std::vector<std::vector<std::uint64_t>> gather_timelines(const Job& job,
                                                         const report::Timeline& mine);

/// The same, point to point once the rows together pass `gatherv_limit` values (INT_MAX above):
/// so that tests reach that path without 2^31 intervals.
std::vector<std::vector<std::uint64_t>> gather_timelines(const Job& job,
                                                         const report::Timeline& mine,
                                                         long long gatherv_limit);

}  // namespace dgen::mpi
