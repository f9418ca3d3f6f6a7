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

// After a rename, the directory entry reaches storage only when the directory is fsynced.
std::string fsync_directory_of(const std::string& path) {
  const std::string dir = fs::absolute(path).parent_path().string();
  const int d = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return "--output " + path + ": cannot open its directory " + dir + ": " + os_error();
  std::string err;
  if (fsync(d) != 0 && errno != EINVAL)
    err = "fsync of directory " + dir + " failed: " + os_error();
  close(d);
  return err;
}

}  // namespace

std::string write_whole_file(const std::string& path, const std::string& text) {
  const std::string temp = path + ".dgen-partial-" + hex(random_tag());
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

OutputFile::OutputFile(const Job& job, const std::string& path, std::uint64_t total_bytes)
    : job_(job), path_(path) {
  enum Kind : int { kFile, kDevice, kSequential, kDirectory };
  int kind = kFile;
  if (path == "-") {
    kind = kSequential;
  } else if (job.rank() == 0) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) {
      kind = S_ISDIR(st.st_mode)                            ? kDirectory
             : S_ISREG(st.st_mode)                          ? kFile
             : (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ? kDevice
                                                            : kSequential;
    }
  }
  check(MPI_Bcast(&kind, 1, MPI_INT, 0, job.world()), "MPI_Bcast");
  if (kind == kDirectory) job.agree("--output " + path + ": is a directory", 2);
  if (kind == kSequential && job.size() > 1) {
    job.agree("--output " + path +
                  ": a stream (stdout or a pipe) takes one rank's bytes in order; with " +
                  std::to_string(job.size()) + " ranks give a file path",
              2);
  }
  if (kind == kFile) {
    // Refuse before writing when the file system cannot hold the stream.
    std::string err;
    if (job.rank() == 0) {
      const fs::path dir = fs::absolute(path).parent_path();
      std::error_code ec;
      const auto space = fs::space(dir, ec);
      if (!ec && total_bytes > space.available) {
        err = "--output " + path + ": " + format_size(total_bytes) + " to write but " +
              format_size(space.available) + " is free on " + dir.string();
      }
    }
    job.agree(err, 2);
  }
  sequential_ = kind == kSequential;
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    return;
  }
  std::string err;
  char name_buf[4096] = {};
  if (job.rank() == 0) {
    if (kind == kFile) {
      // A name nobody else holds: O_EXCL fails rather than share a file with another run.
      for (int attempt = 0; attempt < 8 && fd_ < 0; ++attempt) {
        temp_ = path + ".dgen-partial-" + hex(random_tag());
        fd_ = open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd_ < 0 && errno != EEXIST) break;
      }
      if (fd_ < 0) err = "--output " + path + ": cannot create " + temp_ + ": " + os_error();
    } else {
      fd_ = open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) err = "--output " + path + ": cannot open: " + os_error();
    }
    std::snprintf(name_buf, sizeof name_buf, "%s", temp_.c_str());
  }
  if (err.empty() && temp_.size() >= sizeof name_buf) err = "--output " + path + ": path too long";
  try {
    job.agree(err);
  } catch (const JobFailure&) {
    discard();
    throw;
  }
  check(MPI_Bcast(name_buf, sizeof name_buf, MPI_CHAR, 0, job.world()), "MPI_Bcast");
  temp_ = name_buf;
  if (job.rank() != 0) {
    const std::string& name = temp_.empty() ? path : temp_;
    fd_ = open(name.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) err = "--output " + path + ": cannot open " + name + ": " + os_error();
  }
  try {
    job.agree(err);
  } catch (const JobFailure&) {
    discard();
    throw;
  }
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() noexcept {
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
  fd_ = -1;
  if (job_.rank() == 0 && !temp_.empty()) unlink(temp_.c_str());
  temp_.clear();
}

void OutputFile::commit(const Job& job) {
  if (fd_ == STDOUT_FILENO) {
    fd_ = -1;
    return;
  }
  std::string err;
  if (fd_ >= 0 && close(fd_) != 0) err = "close of " + path_ + " failed: " + os_error();
  fd_ = -1;
  try {
    job.agree(err);
    if (job.rank() == 0 && !temp_.empty()) {
      if (rename(temp_.c_str(), path_.c_str()) != 0) {
        err = "--output " + path_ + ": cannot rename " + temp_ + ": " + os_error();
      } else {
        temp_.clear();
        err = fsync_directory_of(path_);
      }
    }
    job.agree(err);
  } catch (const JobFailure&) {
    discard();
    throw;
  }
  temp_.clear();
}

void OutputFile::keep_prefix(const Job& job, std::uint64_t bytes) {
  std::string err;
  if (job.rank() == 0 && fd_ >= 0 && !sequential_ && !temp_.empty()) {
    if (ftruncate(fd_, static_cast<off_t>(bytes)) != 0) {
      err = "--keep-partial: cannot cut " + temp_ + " to " + std::to_string(bytes) +
            " bytes: " + os_error();
    } else if (fsync(fd_) != 0 && errno != EINVAL) {
      err = "fsync of " + temp_ + " failed: " + os_error();
    }
  }
  job.agree(err);
  commit(job);
}

}  // namespace dgen::mpi
