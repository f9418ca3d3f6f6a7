// The POSIX backend: every thread pwrite()s and pread()s its transfers on one descriptor per
// file (pwrite at an offset is safe from many threads at once). Each call that may block on
// storage is registered with the watchdog (io/watchdog.hpp); a call a stop signal interrupts
// (EINTR) returns false when the caller's stop check says the run is stopping.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/backend.hpp"
#include "io/watchdog.hpp"

namespace dgen::io {

namespace {

std::string os_error(int e) { return std::strerror(e); }

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path, StopCheck stop)
      : fd_(fd), path_(std::move(path)), stop_(stop) {}
  ~PosixFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  bool write_at(std::uint64_t off, const std::byte* p, std::size_t n) override {
    std::uint64_t done = 0;
    while (n > 0) {
      ssize_t w;
      {
        const IoCall call("pwrite", path_, off, n);
        w = pwrite(fd_, p, n, static_cast<off_t>(off));
      }
      if (w < 0) {
        const int e = errno;
        if (stop_ != nullptr && stop_() != 0) return false;
        if (e == EINTR) continue;
        throw IoError("write to " + path_ + " failed at offset " + std::to_string(off) + " (" +
                          std::to_string(done) + " of " + std::to_string(done + n) +
                          " bytes of the transfer written): " + os_error(e),
                      e);
      }
      if (w == 0) {
        throw IoError("write to " + path_ + " at offset " + std::to_string(off) +
                      " wrote nothing (" + std::to_string(done) + " of " +
                      std::to_string(done + n) + " bytes of the transfer written)");
      }
      p += w;
      n -= static_cast<std::size_t>(w);
      off += static_cast<std::uint64_t>(w);
      done += static_cast<std::uint64_t>(w);
    }
    return true;
  }

  bool read_at(std::uint64_t off, std::byte* p, std::size_t n) override {
    while (n > 0) {
      ssize_t r;
      {
        const IoCall call("pread", path_, off, n);
        r = pread(fd_, p, n, static_cast<off_t>(off));
      }
      if (r < 0) {
        const int e = errno;
        if (stop_ != nullptr && stop_() != 0) return false;
        if (e == EINTR) continue;
        throw IoError("read from " + path_ + " failed at offset " + std::to_string(off) + ": " +
                      os_error(e));
      }
      if (r == 0) {
        throw IoError("read from " + path_ + " at offset " + std::to_string(off) +
                      ": the file ends there (" + std::to_string(n) + " more bytes expected)");
      }
      p += r;
      n -= static_cast<std::size_t>(r);
      off += static_cast<std::uint64_t>(r);
    }
    return true;
  }

  std::optional<std::size_t> read_upto(std::uint64_t off, std::byte* p, std::size_t n) override {
    std::size_t got = 0;
    while (got < n) {
      ssize_t r;
      {
        const IoCall call("pread", path_, off + got, n - got);
        r = pread(fd_, p + got, n - got, static_cast<off_t>(off + got));
      }
      if (r < 0) {
        const int e = errno;
        if (stop_ != nullptr && stop_() != 0) return std::nullopt;
        if (e == EINTR) continue;
        throw IoError("read from " + path_ + " failed at offset " + std::to_string(off + got) +
                      ": " + os_error(e));
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    return got;
  }

  void flush() override {
    // EINVAL: the file cannot be synced (a pipe, /dev/null): nothing is cached to flush. EINTR
    // (a FUSE or NFS call interrupted by a signal that is no stop) is tried again.
    const IoCall call("fsync", path_);
    while (fsync(fd_) != 0) {
      const int e = errno;
      if (e == EINVAL) return;
      if (e == EINTR && (stop_ == nullptr || stop_() == 0)) continue;
      throw IoError("fsync of " + path_ + " failed: " + os_error(e));
    }
  }

  void set_size(std::uint64_t bytes) override {
    const IoCall call("ftruncate", path_);
    if (ftruncate(fd_, static_cast<off_t>(bytes)) != 0)
      throw IoError("cannot set the size of " + path_ + " to " + std::to_string(bytes) +
                    " bytes: " + os_error(errno));
  }

  std::uint64_t size() override {
    struct stat st {};
    if (fstat(fd_, &st) != 0) throw IoError("cannot stat " + path_ + ": " + os_error(errno));
    return static_cast<std::uint64_t>(st.st_size);
  }

  int fd() const override { return fd_; }
  const std::string& path() const override { return path_; }

  void close() override {
    const int fd = fd_;
    fd_ = -1;
    const IoCall call("close", path_);
    if (fd >= 0 && ::close(fd) != 0)
      throw IoError("close of " + path_ + " failed: " + os_error(errno));
  }

 private:
  int fd_;
  std::string path_;
  StopCheck stop_;
};

class PosixBackend final : public Backend {
 public:
  explicit PosixBackend(StopCheck stop) : stop_(stop) {}
  const char* name() const override { return "posix"; }
  std::string component() const override { return "pwrite/pread"; }
  bool threads_move_bytes() const override { return true; }

  std::unique_ptr<File> open(const std::string& path, const OpenMode& m, bool) override {
    int flags = (m.write ? (m.read_too ? O_RDWR : O_WRONLY) : O_RDONLY) | O_CLOEXEC;
    if (m.create) flags |= O_CREAT;
    if (m.create && m.exclusive) flags |= O_EXCL;
    if (m.truncate) flags |= O_TRUNC;
    if (m.direct) flags |= O_DIRECT;
    int fd;
    {
      const IoCall call(m.create ? "open (create)" : "open", path);
      fd = ::open(path.c_str(), flags, 0644);
    }
    if (fd < 0) {
      const int e = errno;
      if (m.direct && e == EINVAL)
        throw IoError(path + ": the file system refuses O_DIRECT (--direct): " + os_error(e));
      throw IoError(
          "cannot " + std::string(m.create ? "create " : "open ") + path + ": " + os_error(e), e);
    }
    return std::make_unique<PosixFile>(fd, path, stop_);
  }

 private:
  StopCheck stop_;
};

}  // namespace

std::unique_ptr<Backend> make_posix_backend(StopCheck stop) {
  return std::make_unique<PosixBackend>(stop);
}

}  // namespace dgen::io
