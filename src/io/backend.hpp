// The ways of moving bytes to and from files, IOR's aiori table in small: a backend opens files
// and a file moves bytes at offsets. posix.cpp (pwrite/pread from every thread) and mpiio.cpp
// (MPI_File_write_at_all and friends from the main thread) implement it; the storage mode
// (mpi/storage.cpp) only orders the steps.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace dgen::io {

/// An I/O error; the text names the path, the offset, the bytes moved and the OS or MPI error.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How a file is opened.
struct OpenMode {
  bool write = true;       ///< else read only
  bool read_too = false;   ///< with write: read as well (--resume reads what it may keep)
  bool create = false;     ///< create it when missing
  bool exclusive = false;  ///< with create: fail when it exists (O_EXCL)
  bool truncate = false;   ///< cut an existing file to 0 bytes (O_TRUNC)
  bool direct = false;     ///< O_DIRECT: bypass the page cache (posix only)
};

/// One open file.
class File {
 public:
  virtual ~File() = default;  ///< closes without reporting errors (the path after a failure)

  /// Writes all of [p, p + n) at `offset`. False when a stop signal interrupted it. Throws
  /// IoError. n = 0 is a valid call (a collective call a rank joins without data).
  virtual bool write_at(std::uint64_t offset, const std::byte* p, std::size_t n) = 0;
  /// Reads n bytes at `offset` into p; throws IoError, also when the file ends first.
  virtual bool read_at(std::uint64_t offset, std::byte* p, std::size_t n) = 0;
  /// Reads up to n bytes at `offset` into p and returns how many there were (fewer where the
  /// file ends: --resume reads what an interrupted run left). Throws IoError on an error.
  virtual std::size_t read_upto(std::uint64_t offset, std::byte* p, std::size_t n) = 0;

  virtual void flush() = 0;                        ///< to storage: fsync, MPI_File_sync
  virtual void set_size(std::uint64_t bytes) = 0;  ///< ftruncate, MPI_File_set_size
  virtual std::uint64_t size() = 0;                ///< the file's length now
  virtual void close() = 0;                        ///< throws IoError when closing fails
};

/// A way of moving bytes.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;  ///< "posix" or "mpiio" (--io)
  /// What moved the bytes, for the report's provenance ("pwrite", "ompio, fcoll vulcan", ...);
  /// known after the first open.
  virtual std::string component() const = 0;
  /// True when every thread of a rank may move bytes at once; false when only the main thread
  /// may (the job initialises MPI as MPI_THREAD_FUNNELED).
  virtual bool threads_move_bytes() const = 0;
  /// Opens `path`. `shared`: every rank of the job opens the same file together (a collective
  /// call for MPI-IO); else this rank alone. Throws IoError naming the path and the error.
  virtual std::unique_ptr<File> open(const std::string& path, const OpenMode& mode,
                                     bool shared) = 0;
};

/// Asked when a call returns EINTR: non-zero when the run is stopping (a stop signal came), so
/// that the call gives up instead of retrying. The MPI layer passes its signal flag.
using StopCheck = int (*)();

/// POSIX: open(2), pwrite(2), pread(2), fsync(2) from every thread; `stop` (may be null) is
/// asked after EINTR.
std::unique_ptr<Backend> make_posix_backend(StopCheck stop);

/// MPI-IO on `world`: MPI_File_write_at_all / read_at_all when `collective`, else
/// MPI_File_write_at / read_at; from the main thread only.
std::unique_ptr<Backend> make_mpiio_backend(MPI_Comm world, bool collective);

}  // namespace dgen::io
