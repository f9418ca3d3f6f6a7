// The run itself, on every rank: plan -> buffer -> kernels -> reduce. Rank 0 gets the report.
#pragma once

#include "app/options.hpp"
#include "mpi/job.hpp"
#include "report/report.hpp"

namespace dgen::mpi {

/// Runs what the options ask for (bench mode, or writing with --output). Collective.
/// Returns the full report on rank 0 and an empty one elsewhere; throws JobFailure on every rank
/// when any rank fails.
report::Report run_job(const Job& job, const app::Options& options);

}  // namespace dgen::mpi
