// Latency histograms from every rank to one on rank 0: bucket counts summed, never percentiles
// averaged, so the job's percentiles are those of all its transfers.
#pragma once

#include "mpi/job.hpp"
#include "report/latency.hpp"

namespace dgen::mpi {

/// Collective (every rank calls it, with its threads' histograms merged into `mine`): counts and
/// the nanosecond sum by MPI_SUM, min by MPI_MIN, max by MPI_MAX. The result, on rank 0, equals
/// merging every rank's histogram there; other ranks get an empty histogram.
report::LatencyHistogram reduce_histogram(const Job& job, const report::LatencyHistogram& mine);

}  // namespace dgen::mpi
