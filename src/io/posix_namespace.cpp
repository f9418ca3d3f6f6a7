// The POSIX namespace: the calls on names that the posix, uring and mpiio engines share (their
// files are files of the local or mounted file system). Each call that may block on storage is
// registered with the watchdog, as the transfers are: a hung NFS or FUSE server stops a rename
// or an fsync of a directory as well as a pwrite.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/namespace.hpp"
#include "io/watchdog.hpp"

namespace dgen::io {

namespace {

[[noreturn]] void fail(const std::string& what, int e) {
  throw IoError(what + ": " + std::strerror(e), e);
}

Entry::Kind kind_of(mode_t m) {
  if (S_ISREG(m)) return Entry::Kind::kRegular;
  if (S_ISDIR(m)) return Entry::Kind::kDirectory;
  if (S_ISBLK(m)) return Entry::Kind::kBlockDevice;
  if (S_ISCHR(m)) return Entry::Kind::kCharDevice;
  if (S_ISFIFO(m)) return Entry::Kind::kFifo;
  if (S_ISSOCK(m)) return Entry::Kind::kSocket;
  if (S_ISLNK(m)) return Entry::Kind::kSymlink;
  return Entry::Kind::kOther;
}

Entry entry_of(int rc, const struct stat& st, const std::string& path) {
  Entry e;
  if (rc != 0) {
    const int err = errno;
    if (err != ENOENT && err != ENOTDIR) fail("cannot stat " + path, err);
    e.error = err;
    return e;
  }
  e.kind = kind_of(st.st_mode);
  e.size = static_cast<std::uint64_t>(st.st_size);
  e.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  e.device = st.st_dev;
  e.inode = st.st_ino;
  e.rdev = st.st_rdev;
  return e;
}

// Opens `path` with `flags` (O_CLOEXEC added), retrying a call a signal interrupted.
int open_retrying(const std::string& path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// fsync of an open descriptor: EINVAL (nothing that can be synced) is no error, EINTR is tried
// again. Returns the errno of a failure, 0 on success.
int fsync_fd(int fd) {
  while (::fsync(fd) != 0) {
    if (errno == EINTR) continue;
    return errno == EINVAL ? 0 : errno;
  }
  return 0;
}

class PosixNamespace final : public Namespace {
 public:
  Entry stat(const std::string& path) const override {
    const IoCall call("stat", path);
    struct stat st {};
    const int rc = ::stat(path.c_str(), &st);
    return entry_of(rc, st, path);
  }

  Entry lstat(const std::string& path) const override {
    const IoCall call("lstat", path);
    struct stat st {};
    const int rc = ::lstat(path.c_str(), &st);
    return entry_of(rc, st, path);
  }

  bool create(const std::string& path, bool exclusive) const override {
    const IoCall call("open (create)", path);
    int fd = open_retrying(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    bool made = fd >= 0;
    if (fd < 0 && errno == EEXIST) {
      if (exclusive) return false;
      fd = open_retrying(path, O_WRONLY);
      if (fd < 0 && errno == ENOENT) return create(path, exclusive);  // removed meanwhile
    }
    if (fd < 0) fail("cannot create " + path, errno);
    ::close(fd);
    return made;
  }

  void remove(const std::string& path) const override {
    const IoCall call("unlink", path);
    if (::unlink(path.c_str()) != 0) fail("cannot remove " + path, errno);
  }

  void rename(const std::string& from, const std::string& to) const override {
    const IoCall call("rename", to);
    if (::rename(from.c_str(), to.c_str()) != 0) fail("cannot rename " + from + " to " + to, errno);
  }

  bool mkdir(const std::string& path, std::uint32_t mode) const override {
    const IoCall call("mkdir", path);
    if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0) return true;
    if (errno == EEXIST) return false;
    fail("cannot create directory " + path, errno);
  }

  void rmdir(const std::string& path) const override {
    const IoCall call("rmdir", path);
    if (::rmdir(path.c_str()) != 0) fail("cannot remove directory " + path, errno);
  }

  std::vector<std::string> list(const std::string& dir) const override {
    const IoCall call("readdir", dir);
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) fail("cannot list " + dir, errno);
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) fail("cannot list " + dir, err);
    std::sort(names.begin(), names.end());
    return names;
  }

  Space space(const std::string& dir) const override {
    const IoCall call("statvfs", dir);
    struct statvfs v {};
    if (::statvfs(dir.c_str(), &v) != 0) fail("cannot stat the file system of " + dir, errno);
    Space s;
    s.capacity = static_cast<std::uint64_t>(v.f_blocks) * v.f_frsize;
    s.available = static_cast<std::uint64_t>(v.f_bavail) * v.f_frsize;
    return s;
  }

  void truncate(const std::string& path, std::uint64_t length) const override {
    const IoCall call("truncate", path);
    int rc;
    do {
      rc = ::truncate(path.c_str(), static_cast<off_t>(length));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) fail("cannot cut " + path + " to " + std::to_string(length) + " bytes", errno);
  }

  void sync_file(const std::string& path) const override {
    const IoCall call("fsync", path);
    const int fd = open_retrying(path, O_WRONLY);
    if (fd < 0) fail("cannot open " + path, errno);
    const int err = fsync_fd(fd);
    ::close(fd);
    if (err != 0) fail("fsync of " + path + " failed", err);
  }

  void sync_dir(const std::string& dir) const override {
    const IoCall call("fsync of the directory", dir);
    const int fd = open_retrying(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) fail("cannot open directory " + dir, errno);
    const int err = fsync_fd(fd);
    ::close(fd);
    if (err != 0) fail("fsync of directory " + dir + " failed", err);
  }

  bool access(const std::string& path, int how) const override {
    const IoCall call("access", path);
    return ::access(path.c_str(), how) == 0;
  }
};

}  // namespace

const Namespace& posix_namespace() {
  static const PosixNamespace names;
  return names;
}

const char* describe(Entry::Kind kind) {
  switch (kind) {
    case Entry::Kind::kMissing:
      return "nothing";
    case Entry::Kind::kRegular:
      return "a regular file";
    case Entry::Kind::kDirectory:
      return "a directory";
    case Entry::Kind::kBlockDevice:
      return "a block device";
    case Entry::Kind::kCharDevice:
      return "a character device";
    case Entry::Kind::kFifo:
      return "a FIFO";
    case Entry::Kind::kSocket:
      return "a socket";
    case Entry::Kind::kSymlink:
      return "a symbolic link";
    case Entry::Kind::kOther:
      break;
  }
  return "an object of another kind";
}

}  // namespace dgen::io
