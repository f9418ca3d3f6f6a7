// The ways of moving bytes to and from files, IOR's aiori table in small: a backend opens files
// and a file moves bytes at offsets; a backend with asynchronous calls also makes queues that
// keep several transfers in flight (io/queue.hpp). posix.cpp (pwrite/pread from every thread),
// mpiio.cpp (MPI_File_write_at_all and friends from the main thread) and uring.cpp (io_uring
// with a queue depth per thread) implement it, each a row of the table in backends.cpp; the
// storage mode (mpi/storage.cpp) only orders the steps.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/errors.hpp"
#include "io/layout.hpp"
#include "io/namespace.hpp"

namespace dgen::io {

/// Asked when a call returns EINTR: non-zero when the run is stopping (a stop signal came), so
/// that the call gives up instead of retrying. The MPI layer passes its signal flag.
using StopCheck = int (*)();

/// How a file is opened.
struct OpenMode {
  bool write = true;       ///< else read only
  bool read_too = false;   ///< with write: read as well (--resume reads what it may keep)
  bool create = false;     ///< create it when missing
  bool exclusive = false;  ///< with create: fail when it exists (O_EXCL)
  bool truncate = false;   ///< cut an existing file to 0 bytes (O_TRUNC)
  bool direct = false;     ///< O_DIRECT: bypass the page cache (posix only)
  /// With write: the file's whole length when the job is done (0 where not known), for an
  /// engine that sizes its container when it creates it (a dataset inside the file).
  std::uint64_t length = 0;
};

/// One open file.
class File {
 public:
  File();
  virtual ~File() = default;  ///< closes without reporting errors (the path after a failure)
  /// Unique in the process (descriptors are reused: a queue must not mistake a new file for an
  /// old one it registered).
  std::uint64_t id() const { return id_; }

  /// Writes all of [p, p + n) at `offset`. False when a stop signal interrupted it. Throws
  /// IoError. n = 0 is a valid call (a collective call a rank joins without data).
  virtual bool write_at(std::uint64_t offset, const std::byte* p, std::size_t n) = 0;
  /// Reads n bytes at `offset` into p; throws IoError, also when the file ends first.
  virtual bool read_at(std::uint64_t offset, std::byte* p, std::size_t n) = 0;
  /// Reads up to n bytes at `offset` into p and returns how many there were (fewer where the
  /// file ends: --resume reads what an interrupted run left); empty when a stop signal
  /// interrupted it (as read_at's false). Throws IoError on an error.
  virtual std::optional<std::size_t> read_upto(std::uint64_t offset, std::byte* p,
                                               std::size_t n) = 0;

  virtual void flush() = 0;                        ///< to storage: fsync, MPI_File_sync
  virtual void set_size(std::uint64_t bytes) = 0;  ///< ftruncate, MPI_File_set_size
  virtual std::uint64_t size() = 0;                ///< the file's length now
  virtual void close() = 0;                        ///< throws IoError when closing fails
  virtual int fd() const { return -1; }            ///< the descriptor, where there is one
  /// True when every rank of the job joins each transfer call (MPI_File_write_at_all on a
  /// shared file): the ranks then make the same number of calls, with zero bytes if need be.
  virtual bool collective() const { return false; }
  virtual const std::string& path() const = 0;  ///< as opened, for messages

 private:
  std::uint64_t id_;
};

class Queue;

/// A way of moving bytes.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;  ///< its row's name (--io)
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
  /// A queue for one thread keeping up to `depth` transfers in flight over `count` buffers of
  /// `bytes` each (registered with the kernel where the backend can). By default the
  /// synchronous queue (depth 1). Throws IoError.
  virtual std::unique_ptr<Queue> make_queue(int depth, std::byte* const* buffers, int count,
                                            std::size_t bytes);
  /// The engine's operations on names (stat, create, remove, publish by rename, directories,
  /// free space, sync of a directory). By default the POSIX namespace.
  virtual const Namespace& names() const { return posix_namespace(); }
  /// The bytes of the stream the file at `path` holds (--input's checks of short and longer
  /// files); `on_disk`: its length as stat(2) gives it, the answer for a file of plain bytes
  /// (the default). An engine whose files are containers reads its dataset's length. Throws
  /// IoError where the file is not one the engine reads. From the main thread.
  virtual std::uint64_t stream_bytes(const std::string& path, std::uint64_t on_disk);
};

/// An option an engine declares (IOR's per-backend options, fio's engine options): offered
/// only with --io of its engine, checked and shown in --help from this row; its value reaches
/// the engine through BackendArgs::options. A value "on|off" arrives as "on" or "off" (yes,
/// true, 1 and no, false, 0 are taken too); "SIZE" as the decimal number of bytes; any other
/// as typed. Two engines may declare the same name: it is then offered with either.
struct EngineOption {
  const char* name;           ///< without the dashes: "collective"
  const char* value;          ///< what the value is, for --help: "on|off", "NAME", "SIZE"
  const char* default_value;  ///< as it would be typed
  const char* help;           ///< one line for --help and the docs
};

/// An engine's refusal of one of its options (BackendTraits::check_options): the message is
/// "--OPTION VALUE: WHY", with the value as typed.
struct OptionRefusal {
  std::string option;  ///< the option's name, without the dashes
  std::string why;     ///< "is for the shared file (...), not --files"
};

/// What a row of the backend table offers, for the option checks and --help.
struct BackendTraits {
  const char* name;         ///< --io NAME
  const char* summary;      ///< one line for --help and the docs
  bool threads_move_bytes;  ///< every thread moves bytes (else the main thread: MPI-IO)
  bool direct;              ///< --direct (O_DIRECT) is offered
  bool queue_depth;         ///< --iodepth above 1 is offered
  std::vector<EngineOption> options = {};  ///< the options this engine declares
  /// A file may be rewritten in part where it stands (--in-place over an existing file,
  /// --resume's repair): the engine writes at offsets of a file it did not create.
  bool partial_overwrite = true;
  /// A file written under a temporary name is published whole by a rename (a reader sees the
  /// old file or the new one); else the engine writes the target under its own name.
  bool atomic_publish = true;
  /// The namespace has directories: a dataset's subdirectories can be made and removed.
  bool directories = true;
  /// The bytes can go to a stream (stdout, a FIFO, a terminal), once and in order.
  bool streams = false;
  /// --collective chooses collective or independent calls for a shared file.
  bool collective_calls = false;
  /// With `direct` false: why, for the refusal of --direct ("neither ... offers O_DIRECT here").
  const char* no_direct_why = "";
  /// IOR's check_params: the refusal of this engine's options as given (by name, values as
  /// BackendArgs carries them) with `layout`; empty when they fit. Null: any layout takes them.
  std::optional<OptionRefusal> (*check_options)(const std::map<std::string, std::string>& given,
                                                LayoutKind layout) = nullptr;
  /// Empty where a file holds the stream's bytes at their offsets, so that a write may go over
  /// part of it, cut it to a prefix and continue it (--resume, --in-place, --keep-partial);
  /// else why not, for their refusal ("its files are containers ...").
  const char* no_partial_why = "";
};

/// What the job gives a backend to make it.
struct BackendArgs {
  MPI_Comm world = MPI_COMM_NULL;
  StopCheck stop = nullptr;  ///< asked after EINTR
  /// The values of the engine's own options (BackendTraits::options) by name, as typed or
  /// their defaults.
  std::map<std::string, std::string> options;
};

/// One row: its traits and how to make it.
struct BackendRow {
  BackendTraits traits;
  std::unique_ptr<Backend> (*make)(const BackendArgs&);
  /// Why the backend cannot run on this node (io_uring disabled, a seccomp filter), empty
  /// when it can; asked before anything is opened.
  std::string (*available)();
  /// The engine's operations on names, usable before the engine is made (the checks of a
  /// target before the job opens anything); the same as Backend::names() of what `make` makes.
  const Namespace& (*names)() = posix_namespace;
};

/// The table (io/backends.cpp): its rows in the order --io lists them.
const std::vector<BackendRow>& backends();

/// The row of --io `name`, or null.
const BackendRow* find_backend(const std::string& name);

/// POSIX: open(2), pwrite(2), pread(2), fsync(2) from every thread; `stop` (may be null) is
/// asked after EINTR.
std::unique_ptr<Backend> make_posix_backend(StopCheck stop);

/// io_uring: files opened as posix does, transfers through a ring per thread with registered
/// buffers and file, up to the queue depth in flight (uring.cpp).
std::unique_ptr<Backend> make_uring_backend(StopCheck stop);

/// Why io_uring cannot run here (the kernel has it off: /proc/sys/kernel/io_uring_disabled, a
/// seccomp filter, an old kernel), empty when a ring can be set up.
std::string uring_unavailable();

/// MPI-IO on `args.world`: MPI_File_write_at_all / read_at_all when its option collective is
/// on (the default), else MPI_File_write_at / read_at; from the main thread only.
std::unique_ptr<Backend> make_mpiio_backend(const BackendArgs& args);

/// The mpiio row's refusal of its options with `layout` (BackendTraits::check_options).
std::optional<OptionRefusal> mpiio_check_options(const std::map<std::string, std::string>& given,
                                                 LayoutKind layout);

}  // namespace dgen::io
