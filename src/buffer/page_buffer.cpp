#include "buffer/page_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "dgen/size.hpp"

namespace dgen::buffer {

std::size_t page_size() { return static_cast<std::size_t>(sysconf(_SC_PAGESIZE)); }

namespace {
constexpr std::size_t kHugePage = 2 << 20;
}

PageBuffer::PageBuffer(std::size_t size, bool huge) : size_(size) {
  // Huge pages need a 2 MiB-aligned start: map a little more and use the aligned part.
  map_size_ = huge ? size + kHugePage : size;
  void* p = mmap(nullptr, map_size_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot map a buffer of " + format_size(size));
  }
  map_ = p;
  auto start = reinterpret_cast<std::uintptr_t>(p);
  if (huge) start = (start + kHugePage - 1) / kHugePage * kHugePage;
  data_ = reinterpret_cast<std::byte*>(start);
  // Transparent huge pages where asked; without, keep the kernel's default (THP may be "always").
  if (huge && madvise(data_, size, MADV_HUGEPAGE) != 0) {
    const int err = errno;
    munmap(map_, map_size_);
    throw std::system_error(err, std::generic_category(), "--hugepages: madvise(MADV_HUGEPAGE)");
  }
}

PageBuffer::~PageBuffer() {
  if (map_ != nullptr) munmap(map_, map_size_);
}

}  // namespace dgen::buffer
