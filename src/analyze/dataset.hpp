// What --analyze reads: the paths given, directories walked in sorted order without following
// symbolic links, each file once per (device, inode), where sparse files hold data, and how the
// job splits the work: every rank a contiguous share of the files' concatenation, cut only at
// multiples of the alignment from a file's start, balanced by the bytes that must be read.
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

/// Bytes [begin, end) of a file.
struct Span {
  std::uint64_t begin = 0, end = 0;
};

/// One file or block device to read.
struct InputFile {
  std::string path;
  std::uint64_t size = 0;
  /// Whether the walk found holes (SEEK_HOLE before the end): then only `data` holds data.
  bool sparse = false;
  std::vector<Span> data;  ///< sparse: where SEEK_DATA/SEEK_HOLE found data, in order
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
/// device: same st_rdev) is skipped and counted. A regular file with fewer blocks than its size
/// is probed with SEEK_DATA/SEEK_HOLE. A directory or named device that cannot be read is
/// counted in `unreadable`, or with `strict` throws. Throws InputError for a named path that
/// does not exist or is of another kind.
Inputs find_inputs(const std::vector<std::string>& paths, bool strict = false);

/// The pieces of `file` that hold data: its data spans widened to multiples of `alignment`
/// (the end: or the file's end) and merged; [0, size) for a file without holes. A piece outside
/// them lies wholly in a hole.
std::vector<Span> data_runs(const InputFile& file, std::uint64_t alignment);

/// Bytes [begin, end) of file `file`.
struct FileExtent {
  std::size_t file = 0;
  std::uint64_t begin = 0, end = 0;
};

/// Rank `rank`'s share of `files` among `ranks`: a contiguous range of the concatenation, cut so
/// that every rank has 1/ranks of the bytes to read (data_runs; all the bytes of files without
/// holes), each cut at a multiple of `alignment` from its file's start, so that no unit or chunk
/// is split between ranks. Holes go with the data before them. When nothing is to be read, the
/// bytes themselves are split.
std::vector<FileExtent> share_of(const std::vector<InputFile>& files, int rank, int ranks,
                                 std::uint64_t alignment);

/// Units of `unit` bytes in the files (a partial last unit of a file counts).
std::uint64_t units_in(const std::vector<InputFile>& files, std::uint64_t unit);

/// The most distinct units of `unit` bytes the files can hold: every unit that holds data, and
/// per sparse file one of zeros and a partial last one (all units in holes share those).
std::uint64_t units_that_may_differ(const std::vector<InputFile>& files, std::uint64_t unit);

}  // namespace dgen::analyze
