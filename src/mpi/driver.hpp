// The run itself, on every rank: request -> plan -> team -> mode -> reduce. Rank 0 gets the
// report.
#pragma once

#include "mpi/job.hpp"
#include "mpi/request.hpp"
#include "report/report.hpp"

namespace dgen::mpi {

/// Runs what the request asks for (bench mode, or writing with an output). Collective.
/// Returns the full report on rank 0 and an empty one elsewhere; an interrupted run returns
/// its partial report (complete = false). Throws JobFailure on every rank when any rank fails.
report::Report run_job(const Job& job, const RunRequest& request);

}  // namespace dgen::mpi
