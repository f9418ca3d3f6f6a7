// The io_uring backend (fio's ioengine=io_uring): files are opened as the posix backend opens
// them (O_DIRECT too); each thread keeps up to --iodepth transfers in flight on a ring of its
// own, with its buffers registered (IORING_REGISTER_BUFFERS: no page pinning per call) and the
// file it moves registered as fixed file 0. A short completion is continued from where it
// stopped; an error drains the ring before it is thrown, so no buffer is freed under the kernel.
#include <liburing.h>
#include <sched.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "io/backend.hpp"
#include "io/queue.hpp"
#include "io/watchdog.hpp"

namespace dgen::io {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Sets up a ring of `entries`, with completions run when the thread waits (COOP_TASKRUN: no
// interrupt of the thread per completion) where the kernel knows it, without on older kernels.
// Not SINGLE_ISSUER: a team smaller than planned runs a part on another thread.
int init_ring(unsigned entries, io_uring& ring) {
  io_uring_params p{};
  p.flags = IORING_SETUP_COOP_TASKRUN;
  int rc = io_uring_queue_init_params(entries, &ring, &p);
  if (rc == -EINVAL) {
    p = io_uring_params{};
    rc = io_uring_queue_init_params(entries, &ring, &p);
  }
  return rc;
}

class UringQueue final : public Queue {
 public:
  UringQueue(int depth, std::byte* const* buffers, int count, std::size_t bytes)
      : depth_(depth), slots_(static_cast<std::size_t>(count)) {
    if (const int rc = init_ring(static_cast<unsigned>(depth), ring_); rc < 0)
      throw IoError("--io uring: cannot set up a ring of " + std::to_string(depth) +
                    " entries: " + std::strerror(-rc));
    for (int i = 0; i < count; ++i) {
      iov_.push_back({buffers[i], bytes});
      slots_[static_cast<std::size_t>(i)].buffer = buffers[i];
    }
    // Registered buffers and a fixed file save the kernel a page walk and a file lookup per
    // call; where the kernel refuses them (RLIMIT_MEMLOCK, an old kernel) plain calls remain.
    fixed_buffers_ =
        io_uring_register_buffers(&ring_, iov_.data(), static_cast<unsigned>(iov_.size())) == 0;
    const int none = -1;
    fixed_file_ = io_uring_register_files(&ring_, &none, 1) == 0;
  }
  ~UringQueue() override {
    drain();
    io_uring_queue_exit(&ring_);
  }
  UringQueue(const UringQueue&) = delete;
  UringQueue& operator=(const UringQueue&) = delete;

  int depth() const override { return depth_; }
  int in_flight() const override { return in_flight_; }

  void start(File& file, bool write, int slot, std::uint64_t offset, std::size_t n,
             std::uint64_t tag) override {
    if (in_flight_ >= depth_) throw IoError(file.path() + ": more transfers than --iodepth");
    Slot& s = slots_.at(static_cast<std::size_t>(slot));
    s = Slot{s.buffer, &file, write, offset, n, 0, tag, now(), true};
    if (fixed_file_ && file.id() != registered_) {
      const int fd = file.fd();
      if (io_uring_register_files_update(&ring_, 0, &fd, 1) == 1) {
        registered_ = file.id();
      } else {
        fixed_file_ = false;
      }
    }
    ++in_flight_;
    submit(slot);
  }

  std::optional<Completion> wait() override {
    if (in_flight_ == 0) return std::nullopt;
    while (true) {
      io_uring_cqe* cqe = nullptr;
      int rc;
      {
        const Slot& oldest = oldest_slot();
        const IoCall call(oldest.write ? "io_uring write" : "io_uring read", oldest.file->path(),
                          oldest.offset + oldest.done, oldest.n - oldest.done);
        rc = io_uring_wait_cqe(&ring_, &cqe);
      }
      if (rc == -EINTR) continue;  // a signal: what is in flight completes all the same
      if (rc < 0) fail("io_uring_wait_cqe failed: " + std::string(std::strerror(-rc)));
      const int slot = static_cast<int>(io_uring_cqe_get_data64(cqe));
      const int res = cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
      Slot& s = slots_.at(static_cast<std::size_t>(slot));
      if (res == -EAGAIN || res == -EINTR) {
        submit(slot);
        continue;
      }
      if (res < 0) {
        s.busy = false;
        --in_flight_;
        fail(std::string(s.write ? "write to " : "read from ") + s.file->path() +
                 " failed at offset " + std::to_string(s.offset + s.done) + " (" +
                 std::to_string(s.done) + " of " + std::to_string(s.n) +
                 " bytes of the transfer moved): " + std::strerror(-res),
             -res);
      }
      if (res == 0 && s.write && s.done < s.n) {
        s.busy = false;
        --in_flight_;
        fail("write to " + s.file->path() + " at offset " + std::to_string(s.offset + s.done) +
             " wrote nothing (" + std::to_string(s.done) + " of " + std::to_string(s.n) +
             " bytes of the transfer written)");
      }
      s.done += static_cast<std::size_t>(res);
      if (res > 0 && s.done < s.n) {  // short: the rest from where it stopped
        submit(slot);
        continue;
      }
      s.busy = false;
      --in_flight_;
      return Completion{slot, s.tag, s.done, now() - s.started, s.write};
    }
  }

  void release(const File& file) noexcept override {
    if (!fixed_file_ || file.id() != registered_) return;
    drain();
    const int none = -1;
    if (io_uring_register_files_update(&ring_, 0, &none, 1) == 1) registered_ = 0;
  }

  void drain() noexcept override {
    while (in_flight_ > 0) {
      io_uring_cqe* cqe = nullptr;
      const int rc = io_uring_wait_cqe(&ring_, &cqe);
      if (rc == -EINTR) continue;
      if (rc < 0) break;
      const int slot = static_cast<int>(io_uring_cqe_get_data64(cqe));
      io_uring_cqe_seen(&ring_, cqe);
      slots_.at(static_cast<std::size_t>(slot)).busy = false;
      --in_flight_;
    }
  }

 private:
  struct Slot {
    std::byte* buffer = nullptr;
    File* file = nullptr;
    bool write = true;
    std::uint64_t offset = 0;
    std::size_t n = 0, done = 0;
    std::uint64_t tag = 0;
    double started = 0;
    bool busy = false;
  };

  const Slot& oldest_slot() const {
    const Slot* oldest = nullptr;
    for (const Slot& s : slots_)
      if (s.busy && (oldest == nullptr || s.started < oldest->started)) oldest = &s;
    return *oldest;
  }

  // Queues what is left of slot `i`'s transfer (counted in flight) and submits it. When that
  // fails the slot is no longer in flight, so that drain() waits only for what the kernel has.
  void submit(int i) {
    Slot& s = slots_.at(static_cast<std::size_t>(i));
    auto not_submitted = [&](const std::string& why) {
      s.busy = false;
      --in_flight_;
      fail(s.file->path() + ": " + why);
    };
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) not_submitted("the ring is full");
    std::byte* p = s.buffer + s.done;
    const unsigned n = static_cast<unsigned>(s.n - s.done);
    const std::uint64_t off = s.offset + s.done;
    const int fd = fixed_file_ ? 0 : s.file->fd();
    if (s.write) {
      if (fixed_buffers_) {
        io_uring_prep_write_fixed(sqe, fd, p, n, off, i);
      } else {
        io_uring_prep_write(sqe, fd, p, n, off);
      }
    } else if (fixed_buffers_) {
      io_uring_prep_read_fixed(sqe, fd, p, n, off, i);
    } else {
      io_uring_prep_read(sqe, fd, p, n, off);
    }
    if (fixed_file_) sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, static_cast<std::uint64_t>(i));
    // The kernel may make the call right in io_uring_enter (O_DIRECT on FUSE does): watched.
    const IoCall call(s.write ? "io_uring write (submit)" : "io_uring read (submit)",
                      s.file->path(), off, n);
    int rc;
    while ((rc = io_uring_submit(&ring_)) == -EINTR || rc == -EAGAIN) {
      if (rc == -EAGAIN) sched_yield();  // the kernel is short of resources: let it catch up
    }
    if (rc < 0) not_submitted(std::string("io_uring_submit failed: ") + std::strerror(-rc));
  }

  [[noreturn]] void fail(const std::string& message, int error = 0) {
    drain();
    throw IoError(message, error);
  }

  io_uring ring_{};
  int depth_;
  std::vector<iovec> iov_;
  std::vector<Slot> slots_;
  bool fixed_buffers_ = false, fixed_file_ = false;
  std::uint64_t registered_ = 0;  ///< the File (id) in fixed slot 0, 0 for none
  int in_flight_ = 0;
};

class UringBackend final : public Backend {
 public:
  explicit UringBackend(StopCheck stop) : posix_(make_posix_backend(stop)) {}
  const char* name() const override { return "uring"; }
  std::string component() const override {
    return "io_uring (a ring per thread, registered buffers, fixed file)";
  }
  bool threads_move_bytes() const override { return true; }
  std::unique_ptr<File> open(const std::string& path, const OpenMode& mode, bool shared) override {
    return posix_->open(path, mode, shared);
  }
  std::unique_ptr<Queue> make_queue(int depth, std::byte* const* buffers, int count,
                                    std::size_t bytes) override {
    return std::make_unique<UringQueue>(depth, buffers, count, bytes);
  }

 private:
  std::unique_ptr<Backend> posix_;
};

}  // namespace

std::unique_ptr<Backend> make_uring_backend(StopCheck stop) {
  return std::make_unique<UringBackend>(stop);
}

std::string uring_unavailable() {
  io_uring ring{};
  const int rc = init_ring(2, ring);
  if (rc == 0) {
    io_uring_queue_exit(&ring);
    return "";
  }
  std::string why = std::strerror(-rc);
  std::ifstream disabled("/proc/sys/kernel/io_uring_disabled");
  int value = 0;
  if (disabled >> value && value != 0)
    why += "; /proc/sys/kernel/io_uring_disabled is " + std::to_string(value);
  else if (rc == -EPERM)
    why += "; a seccomp filter (a container's) may forbid io_uring_setup";
  else if (rc == -ENOSYS)
    why += "; this kernel has no io_uring (Linux 5.1 or later, built with CONFIG_IO_URING)";
  return "io_uring is not available here: " + why;
}

}  // namespace dgen::io
