// Binding: applying a plan to this process, its threads and its memory with hwloc, and the
// `--bind auto` decision of whether the launcher's binding already does what the plan says.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "topology/machine.hpp"
#include "topology/plan.hpp"

struct hwloc_topology;

namespace dgen::topology {

/// How ranks get bound.
enum class BindPolicy {
  kAuto,      ///< keep the launcher's binding when it matches the plan, else bind to the plan
  kLauncher,  ///< keep whatever the launcher did; threads spread over the cpus it gave
  kNone,      ///< bind nothing: threads float, pages go where the kernel puts them
};

std::string to_string(BindPolicy policy);
BindPolicy parse_bind_policy(const std::string& text);  ///< throws naming --bind

/// Keep the launcher's binding? Yes when it bound the ranks at all (not every rank on all of
/// the machine's cpus) and, for every rank of the node, its cpus hold all of the rank's planned
/// cpus and lie inside the rank's planned domains. Pure: launcher_cpus[i] is local rank i's
/// binding (OS PU indices).
bool launcher_binding_matches(const Machine& machine, const std::vector<RankPlan>& plans,
                              const std::vector<std::vector<int>>& launcher_cpus);

/// `machine` with only the given PUs (a launcher's cpuset): domains without any are dropped.
Machine restrict_to(const Machine& machine, const std::vector<int>& pus);

/// This machine's hwloc topology, to bind with.
class Binder {
 public:
  Binder();
  ~Binder();
  Binder(const Binder&) = delete;
  Binder& operator=(const Binder&) = delete;

  /// This machine as placement sees it, from the topology the binder holds.
  Machine machine() const;

  /// The cpus (OS PU indices) the process may run on now.
  std::vector<int> process_cpus() const;
  /// Binds every thread of the process to `cpus`. Throws std::runtime_error on failure.
  void bind_process(const std::vector<int>& cpus) const;
  /// Binds the calling thread to one cpu. Throws std::runtime_error on failure.
  void bind_thread(int cpu) const;
  /// Binds [addr, addr + len) to the NUMA nodes (OS indices); pages are placed at first touch.
  void bind_memory(void* addr, std::size_t len, const std::vector<int>& nodes) const;

 private:
  hwloc_topology* topo_ = nullptr;
};

}  // namespace dgen::topology
