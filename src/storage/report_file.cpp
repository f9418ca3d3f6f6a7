#include "storage/report_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "io/namespace.hpp"
#include "io/target.hpp"
#include "storage/names.hpp"

namespace dgen::storage {

namespace {

namespace fs = std::filesystem;
using Kind = io::Entry::Kind;

std::string os_error() { return std::strerror(errno); }

// What stands at `path`, links followed; kMissing also where it cannot be looked at (the open
// that follows names why).
io::Entry look(const io::Namespace& names, const std::string& path) {
  try {
    return names.stat(path);
  } catch (const io::IoError&) {
    return {};
  }
}

// The path a link at `path` ends on, its directories resolved where they exist.
std::string resolved(const std::string& path) {
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(io::follow_links(path), ec);
  return ec ? io::follow_links(path) : target.string();
}

// Writes all of `text` to `fd`; the error text, empty on success.
std::string write_all(int fd, const std::string& text, const std::string& prefix) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t w = write(fd, text.data() + done, text.size() - done);
    if (w < 0 && errno != EINTR) return prefix + "failed: " + os_error();
    if (w > 0) done += static_cast<std::size_t>(w);
  }
  return "";
}

}  // namespace

std::string report_path_problem(const std::string& path) {
  const io::Namespace& names = io::posix_namespace();
  const io::Entry e = look(names, path);
  if (e.exists()) {
    if (e.kind == Kind::kDirectory) return "is a directory";
    if (e.kind == Kind::kBlockDevice) return "is a block device: the report is never written there";
    if (e.kind == Kind::kSocket)
      return "is a socket: the report goes to a file, a FIFO that a process reads or a terminal";
    if (e.kind != Kind::kRegular) {
      // /dev/stdout, a FIFO: written directly; it must open for writing now.
      const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
      if (fd < 0 && errno == ENXIO && e.kind == Kind::kFifo) {
        return "is a FIFO that no process reads; opening it would wait for a reader without "
               "end: start the reader first";
      }
      if (fd < 0) return "cannot open it for writing: " + os_error();
      close(fd);
      return "";
    }
  }
  const std::string target = resolved(path);
  if (const std::string why = parent_directory_problem(target, names); !why.empty()) return why;
  // The report is written beside its path and renamed: a file must be creatable there.
  const std::string probe = temporary_name(target);
  const std::string dir = fs::path(target).parent_path().string();
  try {
    if (!names.create(probe, true))  // a name nobody holds: never another's file to remove
      return "cannot create a file in " + dir + ": " + std::strerror(EEXIST);
  } catch (const io::IoError& x) {
    return "cannot create a file in " + dir + ": " + std::strerror(x.error());
  }
  try {
    names.remove(probe);
  } catch (const io::IoError&) {
    // The probe is empty and carries the partial mark: --resume and the next run ignore it.
  }
  return "";
}

std::string write_whole_file(const std::string& path, const std::string& text) {
  const io::Namespace& names = io::posix_namespace();
  const io::Entry e = look(names, path);
  if (e.exists() && e.kind != Kind::kRegular && e.kind != Kind::kDirectory &&
      e.kind != Kind::kBlockDevice) {
    // A terminal, /dev/stdout, a FIFO: no rename, the bytes go there.
    const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return "cannot open it: " + os_error();
    std::string err = write_all(fd, text, "write ");
    if (close(fd) != 0 && err.empty()) err = "close failed: " + os_error();
    return err;
  }
  // A link is followed (also one that names no file yet): the file it names is replaced, the
  // link itself stays.
  const std::string target = resolved(path);
  const std::string temp = temporary_name(target);
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot create " + temp + ": " + os_error();
  std::string err = write_all(fd, text, "write to " + temp + " ");
  if (err.empty() && fsync(fd) != 0) err = "fsync of " + temp + " failed: " + os_error();
  if (close(fd) != 0 && err.empty()) err = "close of " + temp + " failed: " + os_error();
  if (err.empty()) {
    try {
      names.rename(temp, target);
    } catch (const io::IoError& x) {
      err = "cannot rename " + temp + ": " + std::strerror(x.error());
    }
  }
  if (!err.empty()) {
    try {
      names.remove(temp);
    } catch (const io::IoError&) {
      // Left behind with the partial mark; the error that matters is `err`.
    }
    return err;
  }
  return fsync_directory_of(target, names);
}

}  // namespace dgen::storage
