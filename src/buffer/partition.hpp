// The static partition of a rank's bytes among its threads: the same for first touch,
// generation, memset and writing, so that each thread touches the pages it later fills.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dgen::buffer {

/// Bytes [begin, end) of a range of `size` bytes that thread `t` of `threads` owns.
struct Part {
  std::uint64_t begin;
  std::uint64_t end;
  std::uint64_t size() const { return end - begin; }
};

/// Contiguous parts, as even as page granularity allows: every boundary but the last is a
/// multiple of `granule` (a page), so no page is shared by two threads.
constexpr Part part_of(std::uint64_t size, int threads, int t, std::uint64_t granule = 4096) {
  auto boundary = [&](int i) -> std::uint64_t {
    if (i >= threads) return size;
    const std::uint64_t pages = (size + granule - 1) / granule;
    const std::uint64_t b = static_cast<std::uint64_t>(
                                (static_cast<unsigned __int128>(pages) * static_cast<unsigned>(i)) /
                                static_cast<unsigned>(threads)) *
                            granule;
    return b < size ? b : size;
  };
  return {boundary(t), boundary(t + 1)};
}

}  // namespace dgen::buffer
