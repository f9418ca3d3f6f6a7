// The names an engine keeps its files under, IOR's aiori namespace calls (stat, remove, rename,
// mkdir, rmdir, statfs, access) and fio's ioengine_ops file calls (open_file, unlink_file,
// get_file_size): what a run creates, publishes, keeps and removes goes through these, never
// through raw system calls, so that an engine without POSIX names can bring its own. The POSIX
// namespace (posix_namespace.cpp) serves the posix, uring and mpiio rows. No MPI.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/errors.hpp"

namespace dgen::io {

/// What a name stands for, as stat(2) tells it.
struct Entry {
  /// The kind of object at the name.
  enum class Kind {
    kMissing,      ///< nothing there (ENOENT, or a component of the path is no directory)
    kRegular,      ///< a regular file
    kDirectory,    ///< a directory
    kBlockDevice,  ///< a disk, a partition, a loop device
    kCharDevice,   ///< a character device (a terminal, /dev/null)
    kFifo,         ///< a named pipe
    kSocket,       ///< a UNIX socket
    kSymlink,      ///< a symbolic link (only from lstat)
    kOther,        ///< anything else the file system reports
  };
  Kind kind = Kind::kMissing;
  std::uint64_t size = 0;  ///< st_size: a regular file's length (0 for a block device)
  std::uint32_t mode = 0;  ///< the permission bits (st_mode & 07777)
  dev_t device = 0;        ///< st_dev: the file system it is on
  ino_t inode = 0;         ///< st_ino
  dev_t rdev = 0;          ///< st_rdev: which device a device node names
  /// For kMissing: ENOENT, or ENOTDIR when a component of the path is no directory.
  int error = 0;

  bool exists() const { return kind != Kind::kMissing; }  ///< something stands at the name
};

/// The capacity of a file system and what an unprivileged writer may still use of it.
struct Space {
  std::uint64_t capacity = 0;   ///< 0 where the file system gives none (ramfs)
  std::uint64_t available = 0;  ///< bytes a non-root writer may still write
};

/// One engine's operations on names. Every call throws IoError naming the path (both paths for
/// rename) and the OS error, with IoError::error() the errno, unless it says otherwise.
class Namespace {
 public:
  virtual ~Namespace() = default;

  /// The object at `path`, links followed; kMissing (not an error) when nothing is there.
  virtual Entry stat(const std::string& path) const = 0;
  /// The object at `path` itself: a symbolic link is kSymlink; kMissing when nothing is there.
  virtual Entry lstat(const std::string& path) const = 0;
  /// Creates a regular file at `path` (permissions 0644 before the umask). `exclusive`: never
  /// opens what is there (O_EXCL: a temporary name nobody else holds). Returns true when this
  /// call made the file, false when one stood there (exclusive: nothing was touched; else it
  /// opened for writing).
  virtual bool create(const std::string& path, bool exclusive) const = 0;
  /// Removes the name `path` (unlink; a link itself, not what it names).
  virtual void remove(const std::string& path) const = 0;
  /// Publishes `from` as `to` in one step (rename(2)): `to`, if it exists, is replaced whole,
  /// so that a reader sees the old file or the new one, never a part.
  virtual void rename(const std::string& from, const std::string& to) const = 0;
  /// Makes directory `path` with `mode`. True when this call made it, false when a name stood
  /// there already (EEXIST: a run removes only the directories it made; what stands there is
  /// the caller's to check); throws when it cannot be made.
  virtual bool mkdir(const std::string& path, std::uint32_t mode = 0755) const = 0;
  /// Removes the empty directory `path`.
  virtual void rmdir(const std::string& path) const = 0;
  /// The names in directory `dir` (without . and ..), sorted.
  virtual std::vector<std::string> list(const std::string& dir) const = 0;
  /// The capacity and free bytes of the file system that holds `dir` (statvfs).
  virtual Space space(const std::string& dir) const = 0;
  /// Bytes a non-root writer may still write under `dir`.
  std::uint64_t free_space(const std::string& dir) const { return space(dir).available; }
  /// Cuts (or extends with a hole) the regular file `path` to `length` bytes.
  virtual void truncate(const std::string& path, std::uint64_t length) const = 0;
  /// Brings the file `path` to storage (fsync); a file that cannot be synced (a pipe, a
  /// device that refuses: EINVAL) has nothing cached to flush. The message on a failed fsync is
  /// "fsync of PATH failed: ERROR", on a failed open "cannot open PATH: ERROR".
  virtual void sync_file(const std::string& path) const = 0;
  /// Brings directory `dir`'s entries to storage (fsync of the directory: after a rename or a
  /// create, the name reaches storage only so); a file system that cannot (EINVAL) has none
  /// cached. The message on a failed fsync is "fsync of directory DIR failed: ERROR".
  virtual void sync_dir(const std::string& dir) const = 0;
  /// Whether this process may access `path` as `how` (access(2)'s R_OK, W_OK, X_OK, F_OK);
  /// false rather than a throw: the caller names the refusal.
  virtual bool access(const std::string& path, int how) const = 0;
};

/// The POSIX namespace: stat(2), open(2), unlink(2), rename(2), mkdir(2), rmdir(2), readdir(3),
/// statvfs(3), truncate(2), fsync(2), access(2). Every call that may block on storage is
/// registered with the watchdog (io/watchdog.hpp).
const Namespace& posix_namespace();

/// "a regular file", "a directory", "a FIFO", ...: for messages.
const char* describe(Entry::Kind kind);

}  // namespace dgen::io
