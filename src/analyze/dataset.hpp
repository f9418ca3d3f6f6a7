// What --analyze reads: the paths given, directories walked in sorted order without following
// symbolic links, each file once per (device, inode), and how the job splits the bytes: every
// rank a contiguous share of the files' concatenation, cut only at multiples of the alignment
// from a file's start.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dgen::analyze {

/// A path that cannot be analyzed; the text names it and the OS error.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what, int exit_code = 2)
      : std::runtime_error(what), exit_code_(exit_code) {}
  /// io::exit_code_for_errno of the OS error (2 when the path is not of a kind analyzed).
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

/// One file or block device to read.
struct InputFile {
  std::string path;
  std::uint64_t size = 0;
};

/// A file or directory that could not be read: skipped, counted and named in the report.
struct Unreadable {
  std::string path;
  std::string what;          ///< "cannot open", "read at offset N", "cannot read the directory"
  int error = 0;             ///< errno; 0: the file ended before its listed size
  std::string message;       ///< the OS error's text (strerror), or why else
  std::uint64_t order = 0;   ///< walk order: the files listed before it
  bool in_walk = false;      ///< met by the walk (a directory, a vanished entry, a named device)
  std::uint64_t offset = 0;  ///< where reading failed (0 for an open or the walk)
};

/// How many unreadable paths the report names (the first in walk order); the rest are counted.
inline constexpr std::size_t kUnreadableNamed = 10;

/// Everything the paths name.
struct Inputs {
  std::vector<InputFile> files;  ///< regular files and block devices, in walk order
  std::uint64_t bytes = 0;
  std::uint64_t skipped = 0;  ///< symbolic links, sockets, FIFOs and devices met in walks
  /// Paths naming a file already listed (the same device and inode: a path given twice, a
  /// file inside a directory also given, a hard link), or a block device already listed.
  std::uint64_t same_file_skipped = 0;
  std::uint64_t unreadable = 0;              ///< directories (and entries) the walk could not read
  std::vector<Unreadable> unreadable_first;  ///< the first kUnreadableNamed of them
};

/// Walks `paths`: a regular file or block device is read; a directory is walked, its entries
/// in byte order of their names, descending into subdirectories, reading regular files and
/// skipping (counting) everything else. Symbolic links named on the command line are followed
/// (as find -H), none met in a walk. A file already listed (same st_dev and st_ino; a block
/// device: same st_rdev) is skipped and counted. A directory or named device that cannot be read is
/// counted in `unreadable`, or with `strict` throws. Throws InputError for a named path that
/// does not exist or is of another kind.
Inputs find_inputs(const std::vector<std::string>& paths, bool strict = false);

/// Bytes [begin, end) of file `file`.
struct FileExtent {
  std::size_t file = 0;
  std::uint64_t begin = 0, end = 0;
};

/// Rank `rank`'s share of `files` among `ranks`: [rank*B/ranks, (rank+1)*B/ranks) of the
/// concatenation (B bytes), each cut moved back to a multiple of `alignment` from its file's
/// start, so that no unit or chunk is split between ranks.
std::vector<FileExtent> share_of(const std::vector<InputFile>& files, int rank, int ranks,
                                 std::uint64_t alignment);

/// Units of `unit` bytes in the files (a partial last unit of a file counts).
std::uint64_t units_in(const std::vector<InputFile>& files, std::uint64_t unit);

}  // namespace dgen::analyze
