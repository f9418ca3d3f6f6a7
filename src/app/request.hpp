// From the command line to the run request and the placement request: built here once, so that
// `--plan` shows exactly the placement a run with the same options uses.
#pragma once

#include "app/options.hpp"
#include "mpi/request.hpp"
#include "topology/plan.hpp"

namespace dgen::app {

/// The placement request of these options: --threads, else OMP_NUM_THREADS, else one thread
/// per core; --smt; --memory. `ranks` is 1: the node's rank count is set where it is known
/// (--ranks for --plan, the launcher's ranks on the node for a run).
topology::PlanRequest plan_request(const Options& options);

/// The run request of these options (with plan_request inside).
mpi::RunRequest run_request(const Options& options);

}  // namespace dgen::app
