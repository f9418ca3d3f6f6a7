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
  using std::runtime_error::runtime_error;
};

/// One file or block device to read.
struct InputFile {
  std::string path;
  std::uint64_t size = 0;
};

/// Everything the paths name.
struct Inputs {
  std::vector<InputFile> files;  ///< regular files and block devices, in walk order
  std::uint64_t bytes = 0;
  std::uint64_t skipped = 0;  ///< symbolic links, sockets, FIFOs and devices met in walks
  /// Paths naming a file already listed (the same device and inode: a path given twice, a
  /// file inside a directory also given, a hard link), or a block device already listed.
  std::uint64_t same_file_skipped = 0;
};

/// Walks `paths`: a regular file or block device is read; a directory is walked, its entries
/// in byte order of their names, descending into subdirectories, reading regular files and
/// skipping (counting) everything else. Symbolic links named on the command line are followed
/// (as find -H), none met in a walk. A file already listed (same st_dev and st_ino; a block
/// device: same st_rdev) is skipped and counted. Throws InputError.
Inputs find_inputs(const std::vector<std::string>& paths);

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
