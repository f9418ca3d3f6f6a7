#include "buffer/page_locality.hpp"

#include <numaif.h>

#include <algorithm>

#include "buffer/page_buffer.hpp"

namespace dgen::buffer {

Locality page_locality(const std::byte* data, std::size_t size, const std::vector<int>& intended) {
  Locality result;
  const std::size_t page = page_size();
  constexpr std::size_t kBatch = 4096;
  std::vector<void*> pages;
  std::vector<int> status(kBatch);
  pages.reserve(kBatch);
  const auto first = reinterpret_cast<std::uintptr_t>(data) / page * page;
  const auto end = reinterpret_cast<std::uintptr_t>(data) + size;
  for (std::uintptr_t p = first; p < end;) {
    pages.clear();
    for (; p < end && pages.size() < kBatch; p += page) pages.push_back(reinterpret_cast<void*>(p));
    // pid 0 = this process; nodes = NULL only queries, moving nothing.
    if (move_pages(0, pages.size(), pages.data(), nullptr, status.data(), 0) != 0) {
      result.unknown += pages.size();
      continue;
    }
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (status[i] < 0) {
        ++result.unknown;
      } else if (std::find(intended.begin(), intended.end(), status[i]) != intended.end()) {
        ++result.local;
      } else {
        ++result.remote;
      }
    }
  }
  return result;
}

}  // namespace dgen::buffer
