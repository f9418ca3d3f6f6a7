// This rank's placement for the run: the node's plan (topology/plan.hpp), the `--bind`
// decision taken together with the node's other ranks, and the binding itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mpi/job.hpp"
#include "mpi/request.hpp"
#include "topology/binding.hpp"
#include "topology/machine.hpp"
#include "topology/plan.hpp"

namespace dgen::mpi {

struct RankPlacement {
  topology::RankPlan plan;       ///< domains, cpu and node per thread, memory nodes
  std::string binding = "none";  ///< launcher | self | none: who bound this rank
  bool pin_threads = false;      ///< pin each OpenMP thread to its planned cpu
  bool bind_memory = false;      ///< bind each thread's part of the buffer to its node
  int node_count = 1;            ///< NUMA nodes of the machine (domains + memory-only)
  std::shared_ptr<const topology::Binder> binder;

  int threads() const { return plan.threads(); }
  int numa_node() const { return plan.domains.empty() ? -1 : plan.domains.front(); }
};

/// Plans the node, decides the binding with the node's other ranks (collective) and binds this
/// process. Appends warnings for the report. Throws std::runtime_error or invalid_argument.
RankPlacement place_this_rank(const Job& job, const RunRequest& request,
                              std::vector<std::string>& warnings);

/// The placement cut to the first `threads` threads (the team OpenMP really gave).
void keep_threads(RankPlacement& place, int threads);

/// Pins the calling thread to thread t's cpu when the placement says so (once per thread and
/// cpu). Throws std::runtime_error naming the cpu when the kernel refuses.
void pin_current_thread(const RankPlacement& place, int t);

/// Checks that the node's ranks' buffers fit the free memory of each NUMA node they are bound
/// to (collective on the node). Returns this rank's error message, empty when they fit.
/// Refuses, with the numbers, memory the node cannot hold, instead of being OOM-killed: the
/// `bytes` this rank needs, summed over the node's ranks, against what the node can give
/// (topology::read_memory_limits). `what` names them ("--size 1 GiB per rank"). Collective
/// over the node's ranks; "" when they fit.
std::string check_memory(const Job& job, std::uint64_t bytes, const std::string& what);

std::string check_node_memory(const Job& job, const RankPlacement& place, std::uint64_t size,
                              std::uint64_t granule);

}  // namespace dgen::mpi
