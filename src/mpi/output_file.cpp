#include "mpi/output_file.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "dgen/size.hpp"

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
  return path + ".dgen-partial-" + hex(random_tag());
}

std::string fsync_directory_of(const std::string& path) {
  const std::string dir = fs::absolute(path).parent_path().string();
  const int d = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return path + ": cannot open its directory " + dir + ": " + os_error();
  std::string err;
  if (fsync(d) != 0 && errno != EINVAL)
    err = "fsync of directory " + dir + " failed: " + os_error();
  close(d);
  return err;
}

std::string write_whole_file(const std::string& path, const std::string& text) {
  const std::string temp = temporary_name(path);
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
  if (err.empty() && rename(temp.c_str(), path.c_str()) != 0) {
    err = "cannot rename " + temp + ": " + os_error();
  }
  if (!err.empty()) {
    unlink(temp.c_str());
    return err;
  }
  return fsync_directory_of(path);
}

OutputFile::OutputFile(const Job& job, const std::string& path, std::uint64_t total_bytes,
                       OutputRules rules)
    : job_(job), path_(path), rules_(rules) {
  enum Kind : int { kFile, kDevice, kSequential, kDirectory, kMissingDirectory };
  int kind = kFile;
  std::string missing;
  if (path == "-") {
    kind = kSequential;
  } else if (owner()) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) {
      kind = S_ISDIR(st.st_mode)                            ? kDirectory
             : S_ISREG(st.st_mode)                          ? kFile
             : (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ? kDevice
                                                            : kSequential;
    } else if (missing = parent_directory_problem(path); !missing.empty()) {
      kind = kMissingDirectory;
    }
  }
  if (!rules.per_rank) check(MPI_Bcast(&kind, 1, MPI_INT, 0, job.world()), "MPI_Bcast");
  auto refuse = [&](bool bad, const std::string& why) {
    job.agree(bad ? "--output " + path + ": " + why : "", 2);
  };
  refuse(kind == kDirectory, "is a directory");
  refuse(kind == kMissingDirectory, missing.empty() ? "its directory is missing" : missing);
  refuse(kind == kSequential && (job.size() > 1 || rules.per_rank),
         "a stream (stdout or a pipe) takes one rank's bytes in order; with " +
             std::to_string(job.size()) + " ranks give a file path");
  refuse(kind == kSequential && rules.in_place, "--in-place is for files and devices, not streams");
  {
    // Refuse before writing when the file system cannot hold the stream.
    std::string short_of_space;
    if (kind == kFile && job.rank() == 0) {
      std::uintmax_t existing = 0;  // in place, the file's own blocks are reused
      if (std::error_code missing; rules.in_place && !rules.per_rank) {
        existing = fs::file_size(path, missing);
        if (missing) existing = 0;
      }
      short_of_space =
          space_problem(path, fs::absolute(path).parent_path().string(), total_bytes, existing);
    }
    job.agree(short_of_space, 2);
  }
  sequential_ = kind == kSequential;
  regular_ = kind == kFile;
  std::string err;
  if (path == "-") {
    fd_ = STDOUT_FILENO;
  } else if (kind == kSequential) {
    fd_ = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) err = "--output " + path + ": cannot open: " + os_error();
  } else if (kind == kFile && owner()) {
    if (rules.in_place) {
      // The target itself: created when missing, its bytes overwritten, cut at commit.
      created_ = access(path.c_str(), F_OK) != 0;
      const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) err = "--output " + path + ": cannot open: " + os_error();
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
        err = "--output " + path + ": cannot create " + temp_ + ": " + os_error();
        temp_.clear();
      } else {
        close(fd);
      }
    }
  }
  char name_buf[4096] = {};
  if (!rules.per_rank && kind == kFile) {
    if (job.rank() == 0 && temp_.size() >= sizeof name_buf) err = "--output " + path + ": too long";
    if (job.rank() == 0) std::snprintf(name_buf, sizeof name_buf, "%s", temp_.c_str());
  }
  try {
    job.agree(err, kIoErrorExit);
  } catch (const JobFailure&) {
    discard();
    throw;
  }
  if (!rules.per_rank && kind == kFile) {
    check(MPI_Bcast(name_buf, sizeof name_buf, MPI_CHAR, 0, job.world()), "MPI_Bcast");
    if (job.rank() != 0) temp_ = name_buf;
  }
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() noexcept {
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
  fd_ = -1;
  if (owner() && !temp_.empty()) unlink(temp_.c_str());
  if (owner() && rules_.in_place && regular_ && !committed_) {
    if (created_) {
      unlink(path_.c_str());
    } else if (truncate(path_.c_str(), 0) != 0) {
      // Nothing more to do: the run's error is already the job's.
    }
  }
  committed_ = true;  // once
  temp_.clear();
}

void OutputFile::commit(const Job& job, std::uint64_t length) {
  std::string err;
  if (fd_ >= 0 && fd_ != STDOUT_FILENO && close(fd_) != 0)
    err = "close of " + path_ + " failed: " + os_error();
  fd_ = -1;
  try {
    job.agree(err, kIoErrorExit);
    if (owner() && regular_ && temp_.empty() &&
        truncate(path_.c_str(), static_cast<off_t>(length)) != 0) {
      err = "--output " + path_ + ": cannot cut it to the stream's " + std::to_string(length) +
            " bytes: " + os_error();
    }
    if (err.empty() && owner() && !temp_.empty()) {
      if (rename(temp_.c_str(), path_.c_str()) != 0) {
        err = "--output " + path_ + ": cannot rename " + temp_ + ": " + os_error();
      } else {
        temp_.clear();
        err = fsync_directory_of(path_);
      }
    }
    job.agree(err, kIoErrorExit);
  } catch (const JobFailure&) {
    discard();
    throw;
  }
  temp_.clear();
  committed_ = true;
}

void OutputFile::keep_prefix(const Job& job, std::uint64_t bytes) {
  std::string err;
  if (owner() && regular_ && !sequential_) {
    const int fd = open(name().c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
      err = "--keep-partial: cannot cut " + name() + " to " + std::to_string(bytes) +
            " bytes: " + os_error();
    } else if (fsync(fd) != 0 && errno != EINVAL) {
      err = "fsync of " + name() + " failed: " + os_error();
    }
    if (fd >= 0) close(fd);
  }
  job.agree(err, kIoErrorExit);
  commit(job, bytes);
}

}  // namespace dgen::mpi
