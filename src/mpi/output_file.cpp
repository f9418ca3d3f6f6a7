#include "mpi/output_file.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "dgen/size.hpp"
#include "io/errors.hpp"
#include "io/watchdog.hpp"
#include "mpi/stop_signal.hpp"

namespace dgen::mpi {

namespace {

namespace fs = std::filesystem;

std::string os_error() { return std::strerror(errno); }

// 64 random bits for the temporary name: the pid alone repeats across containers and pid
// namespaces on one file system.
std::uint64_t random_tag() {
  std::uint64_t tag = 0;
  if (getrandom(&tag, sizeof tag, 0) != static_cast<ssize_t>(sizeof tag)) {
    tag = static_cast<std::uint64_t>(getpid()) ^ (static_cast<std::uint64_t>(time(nullptr)) << 20);
  }
  return tag;
}

std::string hex(std::uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string parent_directory_problem(const std::string& path) {
  const fs::path dir = fs::absolute(path).parent_path();
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0) {
    return S_ISDIR(st.st_mode)
               ? ""
               : dir.string() + " is not a directory (" + std::strerror(ENOTDIR) + ")";
  }
  if (errno == ENOTDIR) {
    // The nearest ancestor that exists is a file.
    for (fs::path up = dir.parent_path(); !up.empty() && up != up.parent_path();
         up = up.parent_path()) {
      if (stat(up.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        return up.string() + " is not a directory (" + std::strerror(ENOTDIR) + ")";
    }
  }
  if (errno == ENOENT || errno == ENOTDIR)
    return "its directory " + dir.string() + " does not exist (" + std::strerror(ENOENT) + ")";
  return "";  // EACCES and the like: the create that follows names the OS error
}

std::string space_problem(const std::string& path, const std::string& dir, std::uint64_t bytes,
                          std::uint64_t reusable) {
  std::error_code ec;
  const auto space = fs::space(dir, ec);
  if (ec || space.capacity == 0 || bytes <= space.available + reusable) return "";
  return "--output " + path + ": " + format_size(bytes) + " to write but " +
         format_size(space.available) + " is free on " + dir;
}

std::string temporary_name(const std::string& path) {
  const std::string tag = io::kPartialMark + hex(random_tag());
  const fs::path p(path);
  if (p.filename().string().size() + tag.size() <= NAME_MAX) return path + tag;
  // The user's name stays whole: the temporary file is named by the mark alone.
  return (p.parent_path() / tag).string();
}

std::string fsync_directory_of(const std::string& path) {
  const std::string dir = fs::absolute(path).parent_path().string();
  const io::IoCall call("fsync of the directory", dir);
  const int d = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return path + ": cannot open its directory " + dir + ": " + os_error();
  std::string err;
  if (fsync(d) != 0 && errno != EINVAL)
    err = "fsync of directory " + dir + " failed: " + os_error();
  close(d);
  return err;
}

std::string report_path_problem(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return "is a directory";
    if (S_ISBLK(st.st_mode)) return "is a block device: the report is never written there";
    if (S_ISSOCK(st.st_mode))
      return "is a socket: the report goes to a file, a FIFO that a process reads or a terminal";
    if (!S_ISREG(st.st_mode)) {
      // /dev/stdout, a FIFO: written directly; it must open for writing now.
      const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
      if (fd < 0 && errno == ENXIO && S_ISFIFO(st.st_mode)) {
        return "is a FIFO that no process reads; opening it would wait for a reader without "
               "end: start the reader first";
      }
      if (fd < 0) return "cannot open it for writing: " + os_error();
      close(fd);
      return "";
    }
  }
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(io::follow_links(path), ec);
  const std::string resolved = ec ? io::follow_links(path) : target.string();
  if (const std::string why = parent_directory_problem(resolved); !why.empty()) return why;
  // The report is written beside its path and renamed: a file must be creatable there.
  const std::string probe = temporary_name(resolved);
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return "cannot create a file in " + fs::path(resolved).parent_path().string() + ": " +
           os_error();
  }
  close(fd);
  unlink(probe.c_str());
  return "";
}

std::string write_whole_file(const std::string& path, const std::string& text) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
      !S_ISBLK(st.st_mode)) {
    // A terminal, /dev/stdout, a FIFO: no rename, the bytes go there.
    const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return "cannot open it: " + os_error();
    std::string err;
    for (std::size_t done = 0; done < text.size() && err.empty();) {
      const ssize_t w = write(fd, text.data() + done, text.size() - done);
      if (w < 0 && errno != EINTR) err = "write failed: " + os_error();
      if (w > 0) done += static_cast<std::size_t>(w);
    }
    if (close(fd) != 0 && err.empty()) err = "close failed: " + os_error();
    return err;
  }
  // A link is followed (also one that names no file yet): the file it names is replaced, the
  // link itself stays.
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(io::follow_links(path), ec);
  const std::string target = ec ? io::follow_links(path) : resolved.string();
  const std::string temp = temporary_name(target);
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot create " + temp + ": " + os_error();
  std::string err;
  for (std::size_t done = 0; done < text.size() && err.empty();) {
    const ssize_t w = write(fd, text.data() + done, text.size() - done);
    if (w < 0 && errno != EINTR) err = "write to " + temp + " failed: " + os_error();
    if (w > 0) done += static_cast<std::size_t>(w);
  }
  if (err.empty() && fsync(fd) != 0) err = "fsync of " + temp + " failed: " + os_error();
  if (close(fd) != 0 && err.empty()) err = "close of " + temp + " failed: " + os_error();
  if (err.empty() && rename(temp.c_str(), target.c_str()) != 0) {
    err = "cannot rename " + temp + ": " + os_error();
  }
  if (!err.empty()) {
    unlink(temp.c_str());
    return err;
  }
  return fsync_directory_of(target);
}

OutputFile::OutputFile(const Job& job, const std::string& path, std::uint64_t total_bytes,
                       OutputRules rules)
    : job_(job), path_(path), rules_(std::move(rules)) {
  enum Kind : int { kFile, kDevice, kSequential, kDirectory, kMissingDirectory };
  int kind = kFile;
  int existed = 0;
  bool null_device = false;  // /dev/null destroys nothing and takes any number of writers
  std::string refused;       // a rule that forbids writing there (exit code 2)
  if (path == "-") {
    kind = kSequential;
  } else if (owner()) {
    const io::Target t = io::inspect_target(path);
    existed = t.kind != io::TargetKind::kMissing;
    null_device = t.kind == io::TargetKind::kNullDevice;
    switch (t.kind) {
      case io::TargetKind::kDirectory:
        kind = kDirectory;
        break;
      case io::TargetKind::kRegular:
        kind = kFile;
        break;
      case io::TargetKind::kBlockDevice:
      case io::TargetKind::kCharDevice:
      case io::TargetKind::kNullDevice:
        kind = kDevice;
        break;
      case io::TargetKind::kStream:
        kind = kSequential;
        // open() of a FIFO waits for a reader without end: one that has it open is looked for
        // for up to 2 s (a reader started just before), then the FIFO is refused.
        for (int tries = 0; tries < 200 && fd_ < 0; ++tries) {
          fd_ = open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
          if (fd_ >= 0 || errno != ENXIO || stop_signal() != 0) break;
          struct timespec pause {
            0, 10'000'000
          };
          nanosleep(&pause, nullptr);
        }
        if (fd_ >= 0) {
          fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) & ~O_NONBLOCK);  // writes wait for the reader
        } else if (errno == ENXIO) {
          refused = "--output " + path +
                    ": is a FIFO that no process reads; opening it would wait for a reader "
                    "without end: start the reader first, or give --output - and a pipe";
        }
        break;
      case io::TargetKind::kSocket:
        refused = "--output " + path +
                  ": is a socket; --output writes a file, a device (--in-place), a FIFO that a "
                  "process reads, or stdout (-)";
        break;
      case io::TargetKind::kMissing:
        if (const std::string missing = parent_directory_problem(path); !missing.empty()) {
          kind = kMissingDirectory;
          refused = "--output " + path + ": " + missing;
        }
        break;
    }
    if (refused.empty() && kind != kDirectory)
      refused = io::device_problem("--output", path, t, rules_.in_place, total_bytes);
    // An existing file is the user's until its own bytes show otherwise.
    const bool resuming = !rules_.resume_from.empty();
    if (refused.empty() && t.kind == io::TargetKind::kRegular && !rules_.overwrite && !resuming) {
      refused = io::replace_problem("--output", path, rules_.seed,
                                    rules_.same_stream ? rules_.same_stream : SameStream{});
    }
  }
  if (!rules_.per_rank) {
    int header[2] = {kind, existed};
    check(MPI_Bcast(header, 2, MPI_INT, 0, job.world()), "MPI_Bcast");
    kind = header[0];
    existed = header[1];
  }
  existed_ = existed != 0;
  auto refuse = [&](bool bad, const std::string& why) {
    job.agree(bad ? "--output " + path + ": " + why : "", io::kUsageExit);
  };
  refuse(kind == kDirectory, "is a directory");
  job.agree(refused, io::kUsageExit);
  refuse(kind == kSequential && (job.size() > 1 || rules_.per_rank),
         "a stream (stdout or a pipe) takes one rank's bytes in order; with " +
             std::to_string(job.size()) + " ranks give a file path");
  refuse(kind == kSequential && rules_.in_place,
         "--in-place is for files and devices, not streams");
  {
    // Refuse before writing when the file system cannot hold the stream.
    std::string short_of_space;
    if (kind == kFile && owner()) {
      std::uintmax_t existing = 0;  // in place, the file's own blocks are reused
      if (std::error_code missing; rules_.in_place || !rules_.resume_from.empty()) {
        existing = fs::file_size(rules_.in_place ? path : rules_.resume_from, missing);
        if (missing) existing = 0;
      }
      short_of_space =
          space_problem(path, fs::absolute(path).parent_path().string(),
                        rules_.space_bytes > 0 ? rules_.space_bytes : total_bytes, existing);
    }
    job.agree(short_of_space, io::kUsageExit);
  }
  sequential_ = kind == kSequential;
  regular_ = kind == kFile;
  device_ = kind == kDevice;
  std::string err;
  int err_code = io::kUsageExit;
  if (path == "-") {
    fd_ = STDOUT_FILENO;
  } else if (kind == kSequential) {
    if (fd_ < 0) fd_ = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) {
      err_code = io::exit_code_for_errno(errno);
      err = "--output " + path + ": cannot open: " + os_error();
    }
  } else if (kind == kFile && owner()) {
    if (!rules_.resume_from.empty()) {
      temp_ = rules_.resume_from;  // --resume: the partial file of an earlier run
    } else if (rules_.in_place) {
      // The target itself: created when missing, its bytes overwritten, cut at commit.
      created_ = !existed_;
      const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) {
        err_code = io::exit_code_for_errno(errno);
        err = "--output " + path + ": cannot open: " + os_error();
      }
      if (fd >= 0) close(fd);
    } else {
      // A name nobody else holds: O_EXCL fails rather than share a file with another run.
      int fd = -1;
      for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
        temp_ = temporary_name(path);
        fd = open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
      }
      if (fd < 0) {
        err_code = io::exit_code_for_errno(errno);
        err = "--output " + path + ": cannot create " + temp_ + ": " + os_error();
        temp_.clear();
      } else {
        close(fd);
      }
    }
  }
  // One writer at a time where the target itself is written.
  if (err.empty() && owner() && !null_device &&
      (kind == kDevice || (kind == kFile && temp_.empty()))) {
    lock_ = io::WriteLock::take("--output", path, err);
    if (!lock_) err_code = io::kUsageExit;
  }
  char name_buf[4096] = {};
  if (!rules_.per_rank && kind == kFile) {
    if (job.rank() == 0 && temp_.size() >= sizeof name_buf) err = "--output " + path + ": too long";
    if (job.rank() == 0) std::snprintf(name_buf, sizeof name_buf, "%s", temp_.c_str());
  }
  try {
    job.agree(err, err_code);
  } catch (const JobFailure&) {
    discard();
    throw;
  }
  if (!rules_.per_rank && kind == kFile) {
    check(MPI_Bcast(name_buf, sizeof name_buf, MPI_CHAR, 0, job.world()), "MPI_Bcast");
    if (job.rank() != 0) temp_ = name_buf;
  }
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() noexcept {
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
  fd_ = -1;
  if (committed_ || kept_ || discarded_) return;
  discarded_ = true;
  // A partial file an earlier run left (--resume) is not this run's to remove.
  if (owner() && !temp_.empty() && rules_.resume_from.empty()) unlink(temp_.c_str());
  if (owner() && rules_.in_place && regular_ && temp_.empty() && !rules_.resume_in_place) {
    if (created_) {
      unlink(path_.c_str());
    } else if (truncate(path_.c_str(), 0) == 0) {
      cut_ = true;  // it held old and new bytes mixed: nothing that looks complete stays
    }
  }
}

void OutputFile::commit(const Job& job, std::uint64_t length) {
  std::string err;
  if (fd_ >= 0 && fd_ != STDOUT_FILENO && close(fd_) != 0)
    err = "close of " + path_ + " failed: " + os_error();
  fd_ = -1;
  try {
    job.agree(err, io::kIoExit);
    if (owner() && regular_ && temp_.empty() &&
        truncate(path_.c_str(), static_cast<off_t>(length)) != 0) {
      err = "--output " + path_ + ": cannot cut it to the stream's " + std::to_string(length) +
            " bytes: " + os_error();
    }
    if (err.empty() && owner() && !temp_.empty()) {
      if (!rules_.resume_from.empty() && truncate(temp_.c_str(), static_cast<off_t>(length)) != 0) {
        err = "--resume: cannot cut " + temp_ + " to the stream's " + std::to_string(length) +
              " bytes: " + os_error();
      } else if (rename(temp_.c_str(), path_.c_str()) != 0) {
        err = "--output " + path_ + ": cannot rename " + temp_ + ": " + os_error();
      } else {
        temp_.clear();
        err = fsync_directory_of(path_);
      }
    }
    job.agree(err, io::kIoExit);
  } catch (const JobFailure&) {
    discard();
    throw;
  }
  temp_.clear();
  committed_ = true;
  committed_bytes_ = length;
}

void OutputFile::keep_prefix(const Job& job, std::uint64_t bytes) {
  std::string err;
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
  fd_ = -1;
  if (owner() && regular_) {
    const int fd = open(name().c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
      err = "--keep-partial: cannot cut " + name() + " to " + std::to_string(bytes) +
            " bytes: " + os_error();
    } else if (fsync(fd) != 0 && errno != EINVAL) {
      err = "fsync of " + name() + " failed: " + os_error();
    }
    if (fd >= 0) close(fd);
  }
  agree_kept(job, err, bytes, false);
}

void OutputFile::agree_kept(const Job& job, const std::string& err, std::uint64_t bytes,
                            bool whole) {
  try {
    job.agree(err, io::kIoExit);
  } catch (const JobFailure&) {
    discard();
    throw;
  }
  kept_ = true;
  kept_whole_ = whole;
  kept_bytes_ = bytes;
}

void OutputFile::keep_whole(const Job& job) {
  std::string err;
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
  fd_ = -1;
  std::uint64_t size = 0;
  if (owner() && regular_) {
    const int fd = open(name().c_str(), O_WRONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0) {
      err = "--keep-partial: cannot open " + name() + ": " + os_error();
    } else {
      size = static_cast<std::uint64_t>(st.st_size);
      if (fsync(fd) != 0 && errno != EINVAL) err = "fsync of " + name() + " failed: " + os_error();
    }
    if (fd >= 0) close(fd);
  }
  agree_kept(job, err, size, true);
  // Nothing was written: an empty temporary file keeps nothing (--resume would not take it).
  if (owner() && regular_ && size == 0 && !temp_.empty() && rules_.resume_from.empty()) {
    kept_ = false;
    discard();
  }
}

OutputState OutputFile::state() const {
  OutputState s;
  s.path = path_;
  const std::string where =
      rules_.per_rank ? "each rank's file (" + path_ + " for this one)" : path_;
  if (sequential_) {
    s.state = "none";
    s.text = "the bytes went to a stream";
  } else if (committed_) {
    s.state = "complete";
    s.bytes = committed_bytes_;
    s.text = where + " holds the whole stream (" + std::to_string(committed_bytes_) + " bytes)";
  } else if (kept_) {
    s.state = "partial";
    s.path = name();
    s.bytes = kept_bytes_;
    if (device_) {
      s.text = "the device " + path_ + " holds the stream's first " + std::to_string(kept_bytes_) +
               " bytes; what follows is what it held before";
    } else if (temp_.empty() && kept_whole_) {
      s.text = path_ + " (written in place) holds the transfers written, at their offsets, over " +
               "what it held before (" + std::to_string(kept_bytes_) + " bytes long)";
    } else if (temp_.empty()) {
      s.text = path_ + " (written in place) was cut to the stream's first " +
               std::to_string(kept_bytes_) + " bytes";
    } else if (kept_whole_) {
      s.text = "the partial output is kept as " + temp_ +
               " (the transfers written, at their offsets; --resume continues it); " + path_ +
               (existed_ ? " is untouched" : " was not created");
    } else {
      s.text = "the partial output is kept as " + temp_ + " (the stream's first " +
               std::to_string(kept_bytes_) + " bytes; --resume continues it); " + path_ +
               (existed_ ? " is untouched" : " was not created");
    }
  } else if (device_) {
    s.state = "device";
    s.text = "the device " + path_ + " holds part of the stream over what it held before";
  } else if (rules_.in_place && regular_) {
    s.state = created_ ? "removed" : cut_ ? "cut" : "untouched";
    s.text = created_ ? path_ + " (created by this run) was removed"
             : cut_   ? path_ +
                          " (written in place) was cut to 0 bytes: it held old and new "
                          "bytes mixed"
                    : path_ + " is as it was";
  } else if (!rules_.resume_from.empty()) {
    s.state = "partial";
    s.path = rules_.resume_from;
    s.text = "the partial file " + rules_.resume_from +
             " is kept with what it held and what this run wrote (--resume continues it); " +
             path_ + (existed_ ? " is untouched" : " was not created");
  } else if (existed_) {
    s.state = "untouched";
    s.text = "the temporary file was removed; " + where + " is untouched";
  } else {
    s.state = "removed";
    s.text = "the temporary file was removed; nothing was created at " + where;
  }
  return s;
}

}  // namespace dgen::mpi
