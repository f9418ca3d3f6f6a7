// `dgen_mpi --plan`: the placement a node would get, shown before anything is allocated or
// bound, with the launcher command lines that produce it.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "topology/machine.hpp"
#include "topology/plan.hpp"

namespace dgen::report {

/// Launcher command lines (without the program and its options) that give `plans` on `machine`.
struct LaunchLines {
  std::string mpirun;
  std::string srun;
  std::string note;  ///< when no launcher option reproduces the plan exactly
};

LaunchLines launch_lines(const topology::Machine& machine, const topology::PlanRequest& request,
                         const std::vector<topology::RankPlan>& plans);

/// The plan for people: the machine, one line per rank, the launch lines.
std::string render_plan_table(const topology::Machine& machine,
                              const topology::PlanRequest& request,
                              const std::vector<topology::RankPlan>& plans);

/// The plan as JSON, with the run report's names (ranks, per_rank[].rank, numa_node, ...).
nlohmann::ordered_json plan_to_json(const topology::Machine& machine,
                                    const topology::PlanRequest& request,
                                    const std::vector<topology::RankPlan>& plans);

}  // namespace dgen::report
