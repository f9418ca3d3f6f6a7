// Where a file of the stream goes in write mode, and the rules that no output file looks
// complete unless it is and that nothing the user did not ask to touch is destroyed: a regular
// file is written under a unique temporary name (O_EXCL) beside the target and renamed onto it
// only when every rank is done, then the directory is fsynced; an existing file is replaced
// only when its bytes show that this program wrote it for the job's seed, or with --overwrite;
// kernel interface files are never written, devices only with --in-place and within their
// size; an in-place target is locked against a second writer. --in-place (IOR -E) writes the
// target itself; stdout, FIFOs a process reads and /dev/null take the bytes in order (a FIFO
// nobody reads and a socket are refused). A symbolic link is followed by the caller
// (io::follow_links): the temporary file goes beside the file it names.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "io/partials.hpp"
#include "io/target.hpp"
#include "mpi/job.hpp"

namespace dgen::mpi {

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

class OutputFile {
 public:
  /// Collective: checks the target (a directory, a stream with several ranks, a missing
  /// directory, too little free space for `total_bytes`, a kernel interface file, a device
  /// without --in-place or too small, an existing file of another seed without --overwrite, a
  /// second in-place writer: exit code 2, nothing touched) and creates the temporary file
  /// (rank 0, or every rank for its own file).
  OutputFile(const Job& job, const std::string& path, std::uint64_t total_bytes, OutputRules rules);
  ~OutputFile();  ///< an uncommitted temporary file is removed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::string& path() const { return path_; }
  /// The name to open and write: the temporary file, or the path itself in place.
  const std::string& name() const { return temp_.empty() ? path_ : temp_; }
  bool sequential() const { return sequential_; }  ///< a stream: write() in order, from fd()
  bool regular() const { return regular_; }        ///< a regular file (not a device or stream)
  bool existed() const { return existed_; }        ///< something stood at the path before
  int fd() const { return fd_; }                   ///< the stream's descriptor

  /// Collective: a regular file written in place is cut to `length` (an existing longer file
  /// would keep old bytes past the stream); a temporary file is renamed onto the path and the
  /// directory fsynced. Throws JobFailure on every rank when any step fails.
  void commit(const Job& job, std::uint64_t length);

  /// Collective, for an interrupted write with --keep-partial: the file is cut to its first
  /// `bytes` and fsynced. A temporary file stays under its temporary name (the target, if one
  /// existed, is untouched; nothing that looks complete appears at the path); in place, the
  /// target itself is cut. With one shared file rank 0's value counts.
  void keep_prefix(const Job& job, std::uint64_t bytes);

  /// Collective, for an interrupted write with --keep-partial whose written bytes are no prefix
  /// (a random order, a time limit): the file stays as it is (fsynced) under its temporary name.
  void keep_whole(const Job& job);

  /// After a failure or stop: removes the temporary file; in place, a file this run created is
  /// removed and an existing one cut to 0 bytes (it holds a mix of old and new bytes). A device
  /// is left as it is. Not collective; never throws.
  void discard() noexcept;

  /// What stands at the path now, as a sentence and a state (this rank's file; for a shared
  /// file rank 0's view is the job's). `kept`: the bytes keep_prefix left.
  OutputState state() const;

 private:
  bool owner() const { return rules_.per_rank || job_.rank() == 0; }
  // Collective end of keep_prefix/keep_whole: every rank agrees on `err`, then the file is kept.
  void agree_kept(const Job& job, const std::string& err, std::uint64_t bytes, bool whole);

  const Job& job_;
  std::string path_;
  OutputRules rules_;
  std::string temp_;  ///< the temporary name, empty when writing in place
  int fd_ = -1;
  bool sequential_ = false;
  bool regular_ = false;
  bool device_ = false;
  bool existed_ = false;     ///< something stood at the path before the run
  bool created_ = false;     ///< in place: this run created the file
  bool committed_ = false;   ///< commit() finished
  bool kept_ = false;        ///< keep_prefix() or keep_whole() finished
  bool kept_whole_ = false;  ///< keep_whole(): no prefix, the transfers at their offsets
  bool discarded_ = false;   ///< discard() ran
  bool cut_ = false;         ///< discard() cut an in-place target to 0 bytes
  std::uint64_t kept_bytes_ = 0;
  std::uint64_t committed_bytes_ = 0;
  std::optional<io::WriteLock> lock_;  ///< in place: no second writer
};

/// Writes `text` to `path` whole or not at all, by one process (rank 0's --report): a unique
/// temporary file beside it, fsynced, renamed, the directory fsynced. A link is followed (the
/// file it names is replaced, the link stays); a character device or FIFO (/dev/stdout) is
/// written directly. Returns the error text, empty on success.
std::string write_whole_file(const std::string& path, const std::string& text);

/// Why a report cannot be written to `path` ("its directory ... does not exist", "cannot
/// create a file in ...: Read-only file system", "is a directory"): checked before the run by
/// creating and removing a file beside it. Empty when it can.
std::string report_path_problem(const std::string& path);

/// Why files cannot be made beside `path` ("its directory /x does not exist (No such file or
/// directory)", "/x is not a directory (Not a directory)"), empty when they can be tried.
std::string parent_directory_problem(const std::string& path);

/// Why `bytes` cannot be written under directory `dir` for --output `path` ("... to write but
/// ... is free on ..."), empty when they fit, when `reusable` bytes there are overwritten, or
/// when the file system gives no capacity (ramfs).
std::string space_problem(const std::string& path, const std::string& dir, std::uint64_t bytes,
                          std::uint64_t reusable = 0);

/// A name for a temporary file beside `path`, unique across runs (64 random bits):
/// PATH.dgen-partial-<16 hex digits>, or, where that would pass NAME_MAX (255 bytes), the
/// directory's .dgen-partial-<16 hex digits> (the user's name is never cut).
std::string temporary_name(const std::string& path);

/// After a rename, the directory entry reaches storage only when the directory is fsynced.
/// Returns the error text, empty on success.
std::string fsync_directory_of(const std::string& path);

}  // namespace dgen::mpi
