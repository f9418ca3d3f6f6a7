#include "storage/output.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "io/errors.hpp"
#include "storage/names.hpp"

namespace dgen::storage {

namespace {

namespace fs = std::filesystem;

std::string os_error(int e) { return std::strerror(e); }

// open() of a FIFO waits for a reader without end: one that has it open is looked for for up to
// 2 s (a reader started just before). The descriptor, or -1 with errno set.
int open_fifo(const std::string& path, Output::StopCheck stop) {
  int fd = -1;
  for (int tries = 0; tries < 200 && fd < 0; ++tries) {
    fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0 || errno != ENXIO || (stop != nullptr && stop() != 0)) break;
    struct timespec pause {
      0, 10'000'000
    };
    nanosleep(&pause, nullptr);
  }
  if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);  // writes wait for the reader
  return fd;
}

}  // namespace

Output::Output(std::string path, const OutputRules& rules, bool owner, const io::Namespace& names)
    : path_(std::move(path)), rules_(rules), owner_(owner), names_(names) {}

Output::~Output() { close_quietly(); }

void Output::close_quietly() noexcept {
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
  fd_ = -1;
}

TargetCheck Output::inspect(std::uint64_t total_bytes, StopCheck stop) {
  TargetCheck c;
  if (path_ == "-") {
    c.kind = OutputKind::kSequential;
    return c;
  }
  if (!owner_) return c;
  const io::Target t = io::inspect_target(path_);
  c.existed = t.kind != io::TargetKind::kMissing;
  null_device_ = t.kind == io::TargetKind::kNullDevice;
  switch (t.kind) {
    case io::TargetKind::kDirectory:
      c.kind = OutputKind::kDirectory;
      break;
    case io::TargetKind::kRegular:
      c.kind = OutputKind::kFile;
      break;
    case io::TargetKind::kBlockDevice:
    case io::TargetKind::kCharDevice:
    case io::TargetKind::kNullDevice:
      c.kind = OutputKind::kDevice;
      break;
    case io::TargetKind::kStream:
      c.kind = OutputKind::kSequential;
      fd_ = open_fifo(path_, stop);
      if (fd_ < 0 && errno == ENXIO) {
        c.refused = "--output " + path_ +
                    ": is a FIFO that no process reads; opening it would wait for a reader "
                    "without end: start the reader first, or give --output - and a pipe";
      }
      break;
    case io::TargetKind::kSocket:
      c.refused = "--output " + path_ +
                  ": is a socket; --output writes a file, a device (--in-place), a FIFO that a "
                  "process reads, or stdout (-)";
      break;
    case io::TargetKind::kMissing:
      if (const std::string missing = parent_directory_problem(path_, names_); !missing.empty()) {
        c.kind = OutputKind::kMissingDirectory;
        c.refused = "--output " + path_ + ": " + missing;
      }
      break;
  }
  if (c.refused.empty() && c.kind != OutputKind::kDirectory)
    c.refused = io::device_problem("--output", path_, t, rules_.in_place, total_bytes);
  // An existing file is the user's until its own bytes show otherwise.
  const bool resuming = !rules_.resume_from.empty();
  if (c.refused.empty() && t.kind == io::TargetKind::kRegular && !rules_.overwrite && !resuming) {
    c.refused = io::replace_problem("--output", path_, rules_.seed,
                                    rules_.same_stream ? rules_.same_stream : SameStream{});
  }
  return c;
}

void Output::set_kind(OutputKind kind) {
  sequential_ = kind == OutputKind::kSequential;
  regular_ = kind == OutputKind::kFile;
  device_ = kind == OutputKind::kDevice;
}

std::string Output::space_problem(std::uint64_t total_bytes) const {
  if (!owner_) return "";
  std::uint64_t existing = 0;  // in place, the file's own blocks are reused
  if (rules_.in_place || !rules_.resume_from.empty()) {
    try {
      const io::Entry e = names_.stat(rules_.in_place ? path_ : rules_.resume_from);
      if (e.kind == io::Entry::Kind::kRegular) existing = e.size;
    } catch (const io::IoError&) {
      // Nothing that can be looked at is reused.
    }
  }
  return storage::space_problem(path_, fs::absolute(path_).parent_path().string(),
                                rules_.space_bytes > 0 ? rules_.space_bytes : total_bytes, existing,
                                names_);
}

std::string Output::create(int& code) {
  std::string err;
  code = io::kUsageExit;
  if (path_ == "-") {
    fd_ = STDOUT_FILENO;
  } else if (sequential_) {
    if (fd_ < 0) fd_ = open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) {
      code = io::exit_code_for_errno(errno);
      err = "--output " + path_ + ": cannot open: " + os_error(errno);
    }
  } else if (regular_ && owner_) {
    if (!rules_.resume_from.empty()) {
      temp_ = rules_.resume_from;  // --resume: the partial file of an earlier run
    } else if (rules_.in_place) {
      // The target itself: created when missing, its bytes overwritten, cut at publish.
      created_ = !existed_;
      try {
        names_.create(path_, false);
      } catch (const io::IoError& e) {
        code = io::exit_code_for_errno(e.error());
        err = "--output " + path_ + ": cannot open: " + os_error(e.error());
      }
    } else {
      // A name nobody else holds: an exclusive create fails rather than share a file with
      // another run.
      bool made = false;
      int error = EEXIST;
      for (int attempt = 0; attempt < 8 && !made; ++attempt) {
        temp_ = temporary_name(path_);
        try {
          made = names_.create(temp_, true);
        } catch (const io::IoError& e) {
          error = e.error();
          break;
        }
      }
      if (!made) {
        code = io::exit_code_for_errno(error);
        err = "--output " + path_ + ": cannot create " + temp_ + ": " + os_error(error);
        temp_.clear();
      }
    }
  }
  // One writer at a time where the target itself is written.
  if (err.empty() && owner_ && !null_device_ && (device_ || (regular_ && temp_.empty()))) {
    lock_ = io::WriteLock::take("--output", path_, err);
    if (!lock_) code = io::kUsageExit;
  }
  return err;
}

std::string Output::close_stream() {
  std::string err;
  if (fd_ >= 0 && fd_ != STDOUT_FILENO && close(fd_) != 0)
    err = "close of " + path_ + " failed: " + os_error(errno);
  fd_ = -1;
  return err;
}

std::string Output::publish(std::uint64_t length) {
  if (!owner_) return "";
  std::string err;
  if (regular_ && temp_.empty()) {
    try {
      names_.truncate(path_, length);
    } catch (const io::IoError& e) {
      err = "--output " + path_ + ": cannot cut it to the stream's " + std::to_string(length) +
            " bytes: " + os_error(e.error());
    }
  }
  if (!err.empty() || temp_.empty()) return err;
  try {
    if (!rules_.resume_from.empty()) names_.truncate(temp_, length);
  } catch (const io::IoError& e) {
    return "--resume: cannot cut " + temp_ + " to the stream's " + std::to_string(length) +
           " bytes: " + os_error(e.error());
  }
  try {
    names_.rename(temp_, path_);
  } catch (const io::IoError& e) {
    return "--output " + path_ + ": cannot rename " + temp_ + ": " + os_error(e.error());
  }
  temp_.clear();  // published: nothing of this run's is left to remove, even if the sync fails
  return fsync_directory_of(path_, names_);
}

void Output::mark_published(std::uint64_t length) {
  temp_.clear();
  committed_ = true;
  committed_bytes_ = length;
}

std::string Output::cut_to(std::uint64_t bytes) {
  if (!owner_ || !regular_) return "";
  try {
    names_.truncate(name(), bytes);
  } catch (const io::IoError& e) {
    return "--keep-partial: cannot cut " + name() + " to " + std::to_string(bytes) +
           " bytes: " + os_error(e.error());
  }
  try {
    names_.sync_file(name());
  } catch (const io::IoError& e) {
    return e.what();  // "fsync of NAME failed: ..."
  }
  return "";
}

std::string Output::sync_whole(std::uint64_t& size) {
  size = 0;
  if (!owner_ || !regular_) return "";
  try {
    const io::Entry e = names_.stat(name());
    if (!e.exists()) return "--keep-partial: cannot open " + name() + ": " + os_error(e.error);
    size = e.size;
    names_.sync_file(name());
  } catch (const io::IoError& e) {
    const std::string what = e.what();
    if (what.rfind("fsync of ", 0) == 0) return what;
    return "--keep-partial: cannot open " + name() + ": " + os_error(e.error());
  }
  return "";
}

void Output::mark_kept(std::uint64_t bytes, bool whole) {
  kept_ = true;
  kept_whole_ = whole;
  kept_bytes_ = bytes;
}

void Output::drop_if_empty(std::uint64_t size) {
  // Nothing was written: an empty temporary file keeps nothing (--resume would not take it).
  if (owner_ && regular_ && size == 0 && !temp_.empty() && rules_.resume_from.empty()) {
    kept_ = false;
    discard();
  }
}

void Output::discard() noexcept {
  close_quietly();
  if (committed_ || kept_ || discarded_) return;
  discarded_ = true;
  try {
    // A partial file an earlier run left (--resume) is not this run's to remove.
    if (owner_ && !temp_.empty() && rules_.resume_from.empty()) names_.remove(temp_);
  } catch (const io::IoError&) {
    // Gone already, or not removable: it carries the partial mark, as a killed run's would.
  }
  if (owner_ && rules_.in_place && regular_ && temp_.empty() && !rules_.resume_in_place) {
    try {
      if (created_) {
        names_.remove(path_);
      } else {
        names_.truncate(path_, 0);
        cut_ = true;  // it held old and new bytes mixed: nothing that looks complete stays
      }
    } catch (const io::IoError&) {
      // What cannot be removed or cut stays; state() says so.
    }
  }
}

OutputState Output::state() const {
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

}  // namespace dgen::storage
