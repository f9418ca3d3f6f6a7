// Where a file of the stream goes in write mode, and the rule that no output file looks
// complete unless it is: a regular file is written under a unique temporary name (O_EXCL)
// beside the target and renamed onto it only when every rank is done, then the directory is
// fsynced. --in-place (IOR -E) writes the target itself; devices (/dev/null, a block device
// under test) are always written in place; stdout and FIFOs take the bytes in order.
#pragma once

#include <cstdint>
#include <string>

#include "mpi/job.hpp"

namespace dgen::mpi {

/// How the file is shared and named.
struct OutputRules {
  bool per_rank = false;  ///< every rank has a file of its own (--file-per-rank); else one shared
  bool in_place = false;  ///< write the target itself, no temporary name (--in-place)
};

class OutputFile {
 public:
  /// Collective: checks the target (a directory, a stream with several ranks, a missing
  /// directory, too little free space for `total_bytes` are refused with exit code 2) and
  /// creates the temporary file (rank 0, or every rank for its own file).
  OutputFile(const Job& job, const std::string& path, std::uint64_t total_bytes, OutputRules rules);
  ~OutputFile();  ///< an uncommitted temporary file is removed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::string& path() const { return path_; }
  /// The name to open and write: the temporary file, or the path itself in place.
  const std::string& name() const { return temp_.empty() ? path_ : temp_; }
  bool sequential() const { return sequential_; }  ///< a stream: write() in order, from fd()
  bool regular() const { return regular_; }        ///< a regular file (not a device or stream)
  int fd() const { return fd_; }                   ///< the stream's descriptor

  /// Collective: a regular file written in place is cut to `length` (an existing longer file
  /// would keep old bytes past the stream); a temporary file is renamed onto the path and the
  /// directory fsynced. Throws JobFailure on every rank when any step fails.
  void commit(const Job& job, std::uint64_t length);

  /// Collective, for an interrupted write with --keep-partial: the file is cut to its first
  /// `bytes` and committed. With one shared file rank 0's value counts.
  void keep_prefix(const Job& job, std::uint64_t bytes);

  /// After a failure or stop: removes the temporary file; in place, a file this run created is
  /// removed and an existing one cut to 0 bytes (it holds a mix of old and new bytes). A device
  /// is left as it is. Not collective; never throws.
  void discard() noexcept;

 private:
  bool owner() const { return rules_.per_rank || job_.rank() == 0; }

  const Job& job_;
  std::string path_;
  OutputRules rules_;
  std::string temp_;  ///< the temporary name, empty when writing in place
  int fd_ = -1;
  bool sequential_ = false;
  bool regular_ = false;
  bool created_ = false;    ///< in place: this run created the file
  bool committed_ = false;  ///< commit() or keep_prefix() finished: nothing to discard
};

/// Writes `text` to `path` whole or not at all, by one process (rank 0's --report): a unique
/// temporary file beside it, fsynced, renamed, the directory fsynced. Returns the error text,
/// empty on success.
std::string write_whole_file(const std::string& path, const std::string& text);

/// Why files cannot be made beside `path` ("its directory /x does not exist (No such file or
/// directory)", "/x is not a directory (Not a directory)"), empty when they can be tried.
std::string parent_directory_problem(const std::string& path);

/// Why `bytes` cannot be written under directory `dir` for --output `path` ("... to write but
/// ... is free on ..."), empty when they fit, when `reusable` bytes there are overwritten, or
/// when the file system gives no capacity (ramfs).
std::string space_problem(const std::string& path, const std::string& dir, std::uint64_t bytes,
                          std::uint64_t reusable = 0);

/// A name for a temporary file beside `path`, unique across runs (64 random bits).
std::string temporary_name(const std::string& path);

/// After a rename, the directory entry reaches storage only when the directory is fsynced.
/// Returns the error text, empty on success.
std::string fsync_directory_of(const std::string& path);

}  // namespace dgen::mpi
