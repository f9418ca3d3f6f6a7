// From what each rank measured to the job's figures on rank 0, the way IOR reduces them.
#pragma once

#include <vector>

#include "mpi/pass.hpp"
#include "report/report.hpp"

namespace dgen::mpi {

/// This rank's row of the report.
report::RankResult rank_result(const RankContext& context, const Measured& measured);

/// Per iteration, IOR's reduction: every rank started its clock right after the common sync
/// and stopped it when its team was done, on rank 0's clock. The job's span is MAX(stop) -
/// MIN(start) over the ranks, so it covers ranks that left the sync late too; aggregate = the
/// bytes all ranks completed / span. Each rank's own rate (its bytes / its duration) is reduced
/// to MIN, SUM (for the mean) and MAX. Collective; results land on rank 0.
std::vector<report::IterationResult> reduce_iterations(const Job& job,
                                                       const std::vector<Interval>& runs);

}  // namespace dgen::mpi
