// A machine as placement sees it: NUMA domains (nodes with cores the job may use), their cores
// and PUs, and memory-only nodes (HBM, CXL). Plain data, read from hwloc: from this machine or
// from an hwloc XML file describing another.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct hwloc_topology;

namespace dgen::topology {

/// One core: the OS indices of its PUs (hardware threads) that the job may use.
struct Core {
  std::vector<int> pus;
};

/// A NUMA node with cores: where ranks and their threads go.
struct Domain {
  int os_index = -1;       ///< the kernel's node number (what numactl and move_pages use)
  int logical_index = -1;  ///< hwloc's logical index (what Open MPI's reports print: NM<n>)
  std::uint64_t memory_bytes = 0;
  std::vector<Core> cores;            ///< in hwloc logical order
  std::vector<int> near_memory_only;  ///< OS indices of memory-only nodes beside this domain
};

/// A NUMA node without cores (HBM in flat mode, CXL memory): a memory target, never a domain.
struct MemoryOnlyNode {
  int os_index = -1;
  int logical_index = -1;
  std::uint64_t memory_bytes = 0;
  std::string subtype;  ///< hwloc's subtype ("HBM", ...) when the topology gives one
};

struct Machine {
  std::string source;           ///< "this machine" or the XML file
  std::vector<Domain> domains;  ///< in hwloc logical order
  std::vector<MemoryOnlyNode> memory_only;

  int cores() const;
  int pus() const;
  /// The domain with this OS index, or nullptr.
  const Domain* domain(int os_index) const;
};

/// Reads this machine (xml_file empty) or an hwloc XML file. Only resources the process may use
/// count (hwloc drops disallowed PUs: a SLURM allocation may hold part of a node). A NUMA node
/// is memory-only when the kernel lists it without CPUs (live machine), when hwloc gives it a
/// memory subtype such as HBM, or when it shares its parent (and so its cpuset) with a node of
/// lower OS index, as flat-mode HBM does. Throws std::runtime_error with hwloc's reason.
Machine load_machine(const std::optional<std::string>& xml_file = std::nullopt);

/// The same, from a topology already loaded (xml_file empty: it describes this machine).
Machine machine_of(hwloc_topology* topology, const std::string& xml_file);

}  // namespace dgen::topology
