// How much memory this node can give the job: the kernel's estimate, the cgroup's limit and the
// process's address-space limit (ulimit -v).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dgen::topology {

struct MemoryLimits {
  std::uint64_t available = 0;                 ///< MemAvailable from /proc/meminfo
  std::optional<std::uint64_t> cgroup_free;    ///< cgroup limit minus usage (SLURM --mem), if any
  std::optional<std::uint64_t> address_space;  ///< ulimit -v minus what the process maps, if set
  /// What the job can allocate here: the smallest of the three.
  std::uint64_t usable() const;
  /// Every figure, for messages: "MemAvailable 20 GiB, cgroup limit 4 GiB free, ulimit -v ...".
  std::string describe() const;
};

/// Reads /proc/meminfo, the process's cgroup (v2 memory.max, or v1 memory.limit_in_bytes) and
/// RLIMIT_AS.
MemoryLimits read_memory_limits();

}  // namespace dgen::topology
