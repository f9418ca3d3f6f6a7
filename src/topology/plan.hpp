// The placement plan: which domains, cpus and memory nodes each rank of a node gets. A pure
// function of (machine, request), as in LLNL mpibind; binding is a separate step
// (topology/binding.hpp). The same plan serves `--plan` and real runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "topology/machine.hpp"

namespace dgen::topology {

/// Where a rank's buffer goes.
enum class MemoryPolicy {
  kLocal,    ///< bound to the domain(s) of the threads that fill it (default)
  kInherit,  ///< first touch only, under the policy the process started with (e.g. numactl)
  kHbm,      ///< the memory-only node nearest each thread's domain
};

struct PlanRequest {
  int ranks = 1;               ///< ranks on this node
  std::optional<int> threads;  ///< per rank; default one per cpu of the rank's share
  bool smt = false;            ///< every PU, not one per core
  MemoryPolicy memory = MemoryPolicy::kLocal;
};

/// One rank's share of the node.
struct RankPlan {
  int local_rank = 0;
  std::vector<int> domains;       ///< OS indices of its NUMA domain(s)
  std::vector<int> cpus;          ///< OS PU index per thread, in thread order
  std::vector<int> thread_nodes;  ///< OS node each thread's part of the buffer belongs on
  std::vector<int> memory_nodes;  ///< OS nodes its buffer is meant to be on
  bool oversubscribed = false;    ///< shares a cpu with another thread or rank
  int threads() const { return static_cast<int>(cpus.size()); }
};

/// Plans `request.ranks` ranks on `machine`:
///  - ranks <= domains: each rank whole domains, as evenly as possible and contiguous;
///  - ranks <= cores: each domain's cores split evenly between its ranks;
///  - more ranks than cores: one thread per rank, cores round-robin, oversubscribed.
/// Threads take one cpu per core (per PU with smt), spread over the rank's domains.
/// Throws std::invalid_argument when the request cannot be met (e.g. --memory hbm without HBM).
std::vector<RankPlan> plan_node(const Machine& machine, const PlanRequest& request);

/// "local", "inherit", "hbm"; and back (throws std::invalid_argument naming --memory).
std::string to_string(MemoryPolicy policy);
MemoryPolicy parse_memory_policy(const std::string& text);

}  // namespace dgen::topology
