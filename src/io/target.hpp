// What stands at a path a run writes or reads, and the rules that keep a run from destroying
// what it was not asked to touch (docs/storage.md, "What a write may replace"): kernel
// interface files are never written, devices only with --in-place and within their size, an
// existing file only when its own bytes show that this program wrote it for the job's seed (or
// with --overwrite), and one in-place writer at a time. No MPI: the callers agree.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace dgen::io {

/// What a path names (links followed).
enum class TargetKind {
  kMissing,      ///< nothing there (a new file)
  kRegular,      ///< a regular file
  kDirectory,    ///< a directory
  kBlockDevice,  ///< a disk, a partition, a loop device
  kCharDevice,   ///< a character device other than the null device
  kNullDevice,   ///< /dev/null (1:3): takes bytes, destroys nothing
  kStream,       ///< a FIFO: takes bytes in order
  kSocket,       ///< a UNIX socket: open() fails on it; never a file's place
};

/// "a regular file", "a block device", ...: for messages.
const char* describe(TargetKind kind);

/// A path as a run finds it.
struct Target {
  TargetKind kind = TargetKind::kMissing;
  std::uint64_t size = 0;  ///< a regular file's length; a block device's (BLKGETSIZE64)
  dev_t device = 0;        ///< st_dev
  ino_t inode = 0;         ///< st_ino
  int error = 0;           ///< errno of a stat that failed other than with ENOENT
  /// The kernel interface file system the path (or, for a new path, its directory) is on:
  /// "proc", "sysfs", "cgroup2", ...; empty for a file system that stores data.
  std::string kernel_fs;
};

/// Stats `path` (following links) and, for a new path, its directory. Never throws.
Target inspect_target(const std::string& path);

/// The path a chain of symbolic links at `path` ends on, as IOR, fio and dd write through a
/// link: the link's target when that is a regular file or nothing yet (a dangling link names
/// the file to create), so that a temporary file goes beside the target and is renamed onto
/// it, never onto the link. `path` itself when it is no link, or names a directory, a device
/// or a stream (written where it stands), or the chain cannot be read (the open names why).
std::string follow_links(const std::string& path);

/// Why the block device at `path` may not be written in place for `option`: the kernel holds
/// it (an exclusive open fails with EBUSY while it or one of its partitions is mounted, is a
/// swap area, or has device-mapper or md over it), naming each partition's mount point, swap
/// or holder that /proc/self/mountinfo, /proc/swaps and /sys/class/block tell. Empty when the
/// device is free.
std::string block_device_in_use(const std::string& option, const std::string& path);

/// Why a write may not go to `target` at `path` (given as `option`, e.g. "--output") for a
/// stream of `bytes`: a kernel interface file (never), a device without `in_place` (its
/// contents would be lost without asking), a block device smaller than `bytes`. Empty when the
/// write may go there (ownership of an existing regular file is checked apart: see
/// replace_problem).
std::string device_problem(const std::string& option, const std::string& path, const Target& target,
                           bool in_place, std::uint64_t bytes);

/// Reads the first data of the regular file at `path` (its first 8 KiB after any hole) and
/// says whether this program wrote it for `seed`: `same_options(p, n, offset)` is asked first
/// (true when the n bytes at file offset `offset` are this job's stream there, for files too
/// short to decode), then the lanes are decoded (verify::carries_stream_of), whatever the
/// ratios. Returns an empty string when the file may be replaced, else the sentence that
/// refuses it ("--output PATH: exists and does not hold ...; --overwrite replaces it"). An
/// empty file may always be replaced.
std::string replace_problem(
    const std::string& option, const std::string& path, std::uint64_t seed,
    const std::function<bool(const std::byte*, std::size_t, std::uint64_t)>& same_options);

/// An advisory write lock (flock) on a file or directory, held while the object lives, so
/// that two runs never write one target in place at once.
class WriteLock {
 public:
  WriteLock() = default;
  ~WriteLock();
  WriteLock(WriteLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  WriteLock& operator=(WriteLock&& other) noexcept;
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;

  /// Takes the lock on `path` without waiting. On failure returns the sentence that names the
  /// path and, when /proc/locks tells it, the process that holds it.
  static std::optional<WriteLock> take(const std::string& option, const std::string& path,
                                       std::string& error);
  bool held() const { return fd_ >= 0; }

 private:
  explicit WriteLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// The pid of the process holding an flock on (device, inode), from /proc/locks; 0 if none
/// is listed.
pid_t lock_holder(dev_t device, ino_t inode);

}  // namespace dgen::io
