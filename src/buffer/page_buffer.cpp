#include "buffer/page_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "dgen/size.hpp"

namespace dgen::buffer {

std::size_t page_size() { return static_cast<std::size_t>(sysconf(_SC_PAGESIZE)); }

PageBuffer::PageBuffer(std::size_t size, bool huge) : size_(size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot map a buffer of " + format_size(size));
  }
  data_ = static_cast<std::byte*>(p);
  // Transparent huge pages where asked; without, keep the kernel's default (THP may be "always").
  if (huge) madvise(p, size, MADV_HUGEPAGE);
}

PageBuffer::~PageBuffer() {
  if (data_ != nullptr) munmap(data_, size_);
}

}  // namespace dgen::buffer
