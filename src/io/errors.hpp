// One rule for the exit code of a failed system call, so that one cause gives one exit code in
// every mode (write, read, verify, analyze): a path that cannot be used as asked (missing, no
// permission, read-only, not a directory) is the user's input, exit 2; a call that fails on a
// usable path (EIO, ENOSPC, a quota) is an I/O error, exit 4 (docs/reliability.md).
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace dgen::io {

/// The exit code of bad input: an option, a value, or a path that cannot be used as asked.
inline constexpr int kUsageExit = 2;
/// The exit code of an I/O error (a write, read, fsync, close or rename that failed).
inline constexpr int kIoExit = 4;

/// kUsageExit for errors that say the path cannot be used as asked, kIoExit for the rest.
constexpr int exit_code_for_errno(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
    case EROFS:
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case ENAMETOOLONG:
    case ELOOP:
    case ENXIO:
    case EEXIST:
      return kUsageExit;
    default:
      return kIoExit;
  }
}

/// An I/O error; the text names the path, the offset, the bytes moved and the OS or MPI error.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  /// `error`: the OS error of the failed call (errno), 0 when none applies.
  IoError(const std::string& what, int error) : std::runtime_error(what), error_(error) {}
  int error() const { return error_; }  ///< the OS error (errno), 0 when none applies

 private:
  int error_ = 0;
};

}  // namespace dgen::io
