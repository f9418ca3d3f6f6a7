// Where the kernel put a buffer's pages: move_pages(2) with nodes = NULL asks, page by page.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace dgen::buffer {

struct Locality {
  std::uint64_t local = 0;    ///< pages on an intended node
  std::uint64_t remote = 0;   ///< pages on another node
  std::uint64_t unknown = 0;  ///< pages the kernel gave a negative status for (not counted above)
  /// local / (local + remote); none when no page had a known node (never "100% local" for
  /// pages nobody could place).
  std::optional<double> local_fraction() const {
    if (local + remote == 0) return std::nullopt;
    return static_cast<double>(local) / static_cast<double>(local + remote);
  }
  Locality& operator+=(const Locality& o) {
    local += o.local;
    remote += o.remote;
    unknown += o.unknown;
    return *this;
  }
};

/// Asks the kernel for the node of every page in [data, data + size) and counts those on one of
/// `intended_nodes` (OS indices). Pages under automatic NUMA balancing's sampling or not yet
/// touched come back with a negative status (-EFAULT, -ENOENT) and count as unknown.
Locality page_locality(const std::byte* data, std::size_t size,
                       const std::vector<int>& intended_nodes);

}  // namespace dgen::buffer
