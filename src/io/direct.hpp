// O_DIRECT's rules: the alignment a file system wants for direct I/O, a probe that tells whether
// it takes O_DIRECT at all, and buffers aligned for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace dgen::io {

/// The direct-I/O alignment of files in `directory`, and where the figure came from.
struct DirectAlignment {
  std::uint64_t offset = 4096;  ///< file offsets and lengths are multiples of this
  std::uint64_t memory = 4096;  ///< buffer addresses are multiples of this
  std::string source;           ///< "statx", "logical block size of 7:0", "default"
};

/// Creates a probe file in `directory` with O_DIRECT, writes one aligned block through it and
/// removes it. Returns the error text (empty when direct I/O works) and fills `alignment`:
/// statx's STATX_DIOALIGN, else the device's logical block size, else 4 KiB.
std::string probe_direct_io(const std::string& directory, DirectAlignment& alignment);

/// The same for an existing file or device (read back, --in-place, a block device): opens it
/// with O_DIRECT and takes its alignment; writes nothing.
std::string probe_direct_existing(const std::string& path, DirectAlignment& alignment);

/// Memory aligned for direct I/O (and to a cache line at least), freed with free().
struct AlignedBuffer {
  AlignedBuffer() = default;
  AlignedBuffer(std::size_t bytes, std::size_t alignment);
  std::byte* data() const { return p_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  std::unique_ptr<std::byte, Free> p_;
  std::size_t size_ = 0;
};

}  // namespace dgen::io
