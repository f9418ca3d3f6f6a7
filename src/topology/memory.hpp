// How much memory this node can give the job: the kernel's estimate and the cgroup's limit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dgen::topology {

struct MemoryLimits {
  std::uint64_t available = 0;               ///< MemAvailable from /proc/meminfo
  std::optional<std::uint64_t> cgroup_free;  ///< cgroup limit minus usage (SLURM --mem), if any
  /// What the job can allocate here: the smaller of the two.
  std::uint64_t usable() const {
    return cgroup_free && *cgroup_free < available ? *cgroup_free : available;
  }
  /// Names where `usable()` comes from, for messages.
  std::string source() const {
    return cgroup_free && *cgroup_free < available ? "cgroup memory limit" : "MemAvailable";
  }
};

/// Reads /proc/meminfo and the process's cgroup (v2 memory.max, or v1 memory.limit_in_bytes).
MemoryLimits read_memory_limits();

}  // namespace dgen::topology
