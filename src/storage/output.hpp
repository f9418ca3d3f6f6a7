// The life of one output of write mode, without MPI: what stands at the target and whether the
// run may write there (docs/storage.md, "What a write may replace"), the temporary file beside
// it, its publication by rename and a sync of the directory, what --keep-partial keeps, what a
// failure removes, and the sentence that says what stands at the path at the end. Every name
// is touched through the engine's namespace (io/namespace.hpp). The job's agreements and their
// order are mpi/output_file.hpp's: each step here is one process's part of one of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "io/namespace.hpp"
#include "io/target.hpp"

namespace dgen::storage {

/// Whether the n bytes read at file offset `offset` of an existing target are this job's
/// stream there (the same data options): io::replace_problem asks it first.
using SameStream = std::function<bool(const std::byte*, std::size_t, std::uint64_t)>;

/// How the file is shared, named and guarded.
struct OutputRules {
  bool per_rank = false;   ///< every rank has a file of its own (--file-per-rank); else one shared
  bool in_place = false;   ///< write the target itself, no temporary name (--in-place)
  bool overwrite = false;  ///< --overwrite: replace an existing file whatever it holds
  std::uint64_t seed = 0;  ///< the job's seed: an existing file of this seed may be replaced
  SameStream same_stream;  ///< see SameStream; may be empty
  /// --resume: the temporary file to continue (found by the caller), opened instead of a new one
  std::string resume_from;
  /// --resume in place: the target is repaired where it stands; a stop leaves it as it is
  bool resume_in_place = false;
  /// The bytes the free-space check asks for, when less than the whole stream is sure to be
  /// written (--duration: what a minimal run needs); 0: the whole stream
  std::uint64_t space_bytes = 0;
};

/// What became of an output when the run ended, named as it is (the report's output_state).
struct OutputState {
  std::string state;        ///< complete | partial | removed | cut | untouched | device | none
  std::string path;         ///< where the bytes are (the final name, or the temporary one)
  std::uint64_t bytes = 0;  ///< bytes of the stream it holds
  std::string text;         ///< the sentence for people
};

/// What stands at the target, as the job agrees on it (rank 0's view for a shared file).
enum class OutputKind : int {
  kFile,              ///< a regular file, or nothing yet in an existing directory
  kDevice,            ///< a block or character device (also /dev/null)
  kSequential,        ///< stdout or a FIFO: the bytes once, in order
  kDirectory,         ///< a directory: refused
  kMissingDirectory,  ///< its directory does not exist: refused
};

/// One process's findings at the target.
struct TargetCheck {
  OutputKind kind = OutputKind::kFile;
  bool existed = false;  ///< something stood at the path
  std::string refused;   ///< the rule that forbids writing there (exit code 2), empty if none
};

/// One process's part of an output: the owner (rank 0 of a shared file, every rank of its own
/// file) makes, publishes, keeps and removes it; the others only learn its names.
class Output {
 public:
  /// Asked while a FIFO is waited for: non-zero when the run is stopping.
  using StopCheck = int (*)();

  /// Touches nothing yet.
  Output(std::string path, const OutputRules& rules, bool owner,
         const io::Namespace& names = io::posix_namespace());
  ~Output();  ///< closes the stream's descriptor; removes nothing (discard() does)
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  /// The owner's look at the target ("-" is stdout for every process): its kind, whether
  /// something stood there, and the rules that refuse it (a socket, a FIFO nobody reads within
  /// 2 s, a missing directory, a kernel interface file, a device without --in-place or too
  /// small for `total_bytes`, an existing file of another seed without --overwrite). A FIFO
  /// with a reader is opened here. A process that is no owner finds a kFile it knows nothing of.
  TargetCheck inspect(std::uint64_t total_bytes, StopCheck stop);
  /// The job's answer: whether something stood at the path.
  void set_existed(bool existed) { existed_ = existed; }
  /// The job's answer: the kind the writes go to (after the refusals).
  void set_kind(OutputKind kind);
  /// The owner of a regular file: why its file system cannot hold `total_bytes` (or
  /// OutputRules::space_bytes), counting the blocks an in-place or resumed file reuses. Empty
  /// when it can, and for every other process.
  std::string space_problem(std::uint64_t total_bytes) const;
  /// Opens the stream, or (the owner of a regular file) creates the temporary file under a
  /// name nobody holds, takes over --resume's partial file, or creates the in-place target;
  /// takes the lock of a target written where it stands. The error text, empty on success;
  /// `code` its exit code.
  std::string create(int& code);
  /// The temporary name the owner of a shared file made, for the other processes.
  void set_temporary(std::string name) { temp_ = std::move(name); }

  const std::string& path() const { return path_; }
  /// The name to open and write: the temporary file, or the path itself in place.
  const std::string& name() const { return temp_.empty() ? path_ : temp_; }
  const std::string& temporary() const { return temp_; }  ///< empty when writing in place
  bool sequential() const { return sequential_; }         ///< a stream: write() in order, from fd()
  bool regular() const { return regular_; }  ///< a regular file (not a device or stream)
  bool existed() const { return existed_; }  ///< something stood at the path before
  int fd() const { return fd_; }             ///< the stream's descriptor

  /// Closes the stream's descriptor; the error text, empty on success.
  std::string close_stream();
  /// The owner's publication: a regular file written in place is cut to `length`; a resumed
  /// partial file is cut to `length`; a temporary file is renamed onto the path and the
  /// directory synced. The error text, empty on success (and for every other process).
  std::string publish(std::uint64_t length);
  /// The job agreed that the output is complete with `length` bytes.
  void mark_published(std::uint64_t length);
  /// The owner's part of --keep-partial for a prefix: the file cut to `bytes` and synced.
  std::string cut_to(std::uint64_t bytes);
  /// The owner's part of --keep-partial for a file that is no prefix: synced as it is; `size`
  /// its length.
  std::string sync_whole(std::uint64_t& size);
  /// The job agreed that the file is kept: its first `bytes`, or `whole` at their offsets.
  void mark_kept(std::uint64_t bytes, bool whole);
  /// After keep_whole: a temporary file into which nothing was written keeps nothing (--resume
  /// would not take it): it is discarded.
  void drop_if_empty(std::uint64_t size);

  /// After a failure or stop: removes the temporary file; in place, a file this run created is
  /// removed and an existing one cut to 0 bytes (it holds a mix of old and new bytes). A device
  /// is left as it is. Never throws.
  void discard() noexcept;

  /// What stands at the path now, as a sentence and a state (this process's file; for a shared
  /// file the owner's view is the job's).
  OutputState state() const;

 private:
  void close_quietly() noexcept;

  std::string path_;
  OutputRules rules_;
  bool owner_;
  const io::Namespace& names_;
  std::string temp_;  ///< the temporary name, empty when writing in place
  int fd_ = -1;
  bool sequential_ = false;
  bool regular_ = false;
  bool device_ = false;
  bool null_device_ = false;  ///< /dev/null destroys nothing and takes any number of writers
  bool existed_ = false;      ///< something stood at the path before the run
  bool created_ = false;      ///< in place: this run created the file
  bool committed_ = false;    ///< publish() was agreed
  bool kept_ = false;         ///< a keep was agreed
  bool kept_whole_ = false;   ///< keep_whole(): no prefix, the transfers at their offsets
  bool discarded_ = false;    ///< discard() ran
  bool cut_ = false;          ///< discard() cut an in-place target to 0 bytes
  std::uint64_t kept_bytes_ = 0;
  std::uint64_t committed_bytes_ = 0;
  std::optional<io::WriteLock> lock_;  ///< in place: no second writer
};

}  // namespace dgen::storage
