// A rank's buffer: anonymous pages from mmap, optionally huge, touched first by the threads
// that will fill them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dgen::buffer {

class PageBuffer {
 public:
  /// Reserves `size` bytes (no page is touched yet). `huge` asks for transparent huge pages.
  /// Throws std::system_error naming the size when the mapping fails.
  PageBuffer(std::size_t size, bool huge);
  ~PageBuffer();
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

/// The kernel's page size.
std::size_t page_size();

}  // namespace dgen::buffer
