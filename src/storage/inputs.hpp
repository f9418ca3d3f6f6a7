// What an --input holds before a byte is read: every file this rank reads is a regular file or
// a block device, exists and is long enough (a FIFO, socket, directory or character device is
// refused before it is opened, so nothing blocks); with --verify a missing or short regular file
// is no error but a finding, its missing bytes named, and a longer one's extra bytes too. No
// MPI: the caller agrees on the error (mpi/storage_checks.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/errors.hpp"
#include "io/layout.hpp"
#include "verify/compare.hpp"

namespace dgen::io {
class Backend;
}  // namespace dgen::io

namespace dgen::storage {

/// A file read back that is longer than the stream gives it: --verify counts the extra bytes
/// as a mismatch ("beyond the stream").
struct LongerFile {
  std::uint64_t file = 0;      ///< the layout's file index
  std::uint64_t expected = 0;  ///< the length the stream gives it
  std::uint64_t found = 0;     ///< its length
};

/// A file that holds less of the stream than the layout gives it (--verify): missing, or cut
/// short. Its bytes from `present` on are missing.
struct ShortFile {
  std::uint64_t file = 0;     ///< the layout's file index
  std::uint64_t present = 0;  ///< its length (0 when it does not exist)
  bool exists = false;
};

/// What inspect_inputs found about the files this rank reads.
struct InputFiles {
  std::vector<LongerFile> longer;      ///< longer than the stream, whose end this rank reads
  std::vector<ShortFile> short_files;  ///< --verify: missing or short files of this rank's share
  std::string probe;                   ///< a file of this rank's share that is there
};

/// What one rank's look at its input files found.
struct InputCheck {
  InputFiles files;
  std::string error;          ///< the first file that is bad input; empty: none
  int code = io::kUsageExit;  ///< the exit code for it
  std::uint64_t present = 0;  ///< files of this rank's share that are there
  std::string first_missing;  ///< --verify: the message for the first file missing
};

/// Looks at every file this rank reads (the files of `extents`, `ranks` ranks in the job),
/// as the file comment says; with `verify` missing and short regular files are listed, not
/// errors. A regular file's length is the stream bytes `backend` finds in it
/// (io::Backend::stream_bytes: a container file's dataset's). Returns the files longer than the
/// stream whose end this rank reads (each is reported by one rank), and the missing or short
/// ones.
InputCheck inspect_inputs(io::Backend& backend, const io::Layout& layout,
                          const io::ExtentList& extents, int ranks, bool verify);

/// --verify: the extents cut to what the files hold (`granule`: with --direct a cut extent
/// ends on a multiple of it), and the stream ranges missing from them, one per extent, each
/// named by its file (holds "missing" for a file that does not exist, "truncated" for a short
/// one).
std::vector<io::Extent> present_extents(const io::ExtentList& extents,
                                        const std::vector<ShortFile>& short_files,
                                        std::uint64_t granule,
                                        std::vector<verify::Mismatch>& missing);

}  // namespace dgen::storage
