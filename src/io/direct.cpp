#include "io/direct.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>

namespace dgen::io {

namespace {

// The logical block size of the device a file lives on, from sysfs; 0 when unknown (tmpfs and
// other file systems without a block device).
std::uint64_t logical_block_size(dev_t dev, std::string& which) {
  char dir[96];
  std::snprintf(dir, sizeof dir, "/sys/dev/block/%u:%u", major(dev), minor(dev));
  for (const char* file : {"/queue/logical_block_size", "/../queue/logical_block_size"}) {
    std::ifstream in(std::string(dir) + file);  // a partition's queue/ is its disk's
    std::uint64_t v = 0;
    if (in >> v && v > 0) {
      which = std::to_string(major(dev)) + ":" + std::to_string(minor(dev));
      return v;
    }
  }
  return 0;
}

DirectAlignment alignment_of(int fd) {
  DirectAlignment a;
  a.source = "default";
#ifdef STATX_DIOALIGN
  struct statx sx {};
  if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN) &&
      sx.stx_dio_offset_align > 0) {
    a.offset = sx.stx_dio_offset_align;
    a.memory = std::max<std::uint64_t>(sx.stx_dio_mem_align, 1);
    a.source = "statx";
    return a;
  }
#endif
  struct stat st {};
  if (fstat(fd, &st) == 0) {
    std::string dev;
    // A block device's own queue, else the device the file lives on.
    const dev_t d = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
    if (const std::uint64_t b = logical_block_size(d, dev); b > 0) {
      a.offset = a.memory = b;
      a.source = "logical block size of device " + dev;
    }
  }
  return a;
}

}  // namespace

std::string probe_direct_existing(const std::string& path, DirectAlignment& a) {
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    if (e == EINVAL)
      return path + ": the file system refuses O_DIRECT (open: " + std::strerror(e) + ")";
    return path + ": cannot open with O_DIRECT: " + std::strerror(e);
  }
  a = alignment_of(fd);
  close(fd);
  return "";
}

void AlignedBuffer::Free::operator()(std::byte* p) const { std::free(p); }

AlignedBuffer::AlignedBuffer(std::size_t bytes, std::size_t alignment) : size_(bytes) {
  alignment = std::max<std::size_t>(alignment, 64);
  const std::size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  void* p = std::aligned_alloc(alignment, std::max<std::size_t>(rounded, alignment));
  if (p == nullptr) throw std::bad_alloc();
  p_.reset(static_cast<std::byte*>(p));
}

std::string probe_direct_io(const std::string& directory, DirectAlignment& a) {
  std::uint64_t tag = 0;
  if (getrandom(&tag, sizeof tag, 0) != static_cast<ssize_t>(sizeof tag)) tag = getpid();
  char name[64];
  std::snprintf(name, sizeof name, "/.dgen-direct-probe-%016llx",
                static_cast<unsigned long long>(tag));
  const std::string probe = directory + name;
  // ramfs creates the file and then refuses the open with EINVAL: remove it either way.
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
  const int open_errno = errno;
  if (fd < 0) {
    if (open_errno != EEXIST) unlink(probe.c_str());  // ramfs made it before refusing the open
    if (open_errno == EINVAL)
      return directory + ": the file system refuses O_DIRECT (open: " + std::strerror(open_errno) +
             ")";
    return directory + ": cannot create a file to probe O_DIRECT: " + std::strerror(open_errno);
  }
  a = alignment_of(fd);
  std::string err;
  {
    AlignedBuffer block(a.offset, std::max<std::uint64_t>(a.memory, 4096));
    std::memset(block.data(), 0, block.size());
    if (pwrite(fd, block.data(), block.size(), 0) != static_cast<ssize_t>(block.size())) {
      err = directory + ": a direct write of " + std::to_string(a.offset) +
            " aligned bytes failed: " + std::strerror(errno);
      if (errno == EINVAL) err = directory + ": the file system refuses O_DIRECT writes (EINVAL)";
    }
  }
  close(fd);
  unlink(probe.c_str());
  return err;
}

}  // namespace dgen::io
