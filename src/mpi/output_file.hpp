// Where the stream goes in write mode, and the rule that no output file looks complete unless
// it is: a regular file is written under a unique temporary name (O_EXCL) beside the target and
// renamed onto it only when every rank is done, then the directory is fsynced. Devices
// (/dev/null, a block device under test) are written in place; stdout and FIFOs take the bytes
// in order.
#pragma once

#include <cstdint>
#include <string>

#include "mpi/job.hpp"

namespace dgen::mpi {

class OutputFile {
 public:
  /// Collective: checks the target (a directory, a stream with several ranks, too little free
  /// space are refused with exit code 2) and opens it on every rank.
  OutputFile(const Job& job, const std::string& path, std::uint64_t total_bytes);
  ~OutputFile();  ///< closes; an uncommitted temporary file is removed (rank 0)
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  bool sequential() const { return sequential_; }  ///< write() in order, not pwrite()

  /// Collective: closes and, for a temporary file, renames it onto the path and fsyncs the
  /// directory. Throws JobFailure on every rank when any step fails.
  void commit(const Job& job);

  /// Collective, for an interrupted write with --keep-partial: the file is cut to its first
  /// `bytes` (the prefix every rank wrote) and committed. Rank 0 passes the prefix.
  void keep_prefix(const Job& job, std::uint64_t bytes);

  /// Closes and removes a temporary file (rank 0). Not collective; never throws.
  void discard() noexcept;

 private:
  const Job& job_;
  std::string path_;
  std::string temp_;  ///< the temporary name, empty when writing in place
  int fd_ = -1;
  bool sequential_ = false;
};

/// Writes `text` to `path` whole or not at all, by one process (rank 0's --report): a unique
/// temporary file beside it, fsynced, renamed, the directory fsynced. Returns the error text,
/// empty on success.
std::string write_whole_file(const std::string& path, const std::string& text);

}  // namespace dgen::mpi
