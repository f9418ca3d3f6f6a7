// Where a file of the stream goes in write mode, as the job agrees on it: the rules that no
// output file looks complete unless it is and that nothing the user did not ask to touch is
// destroyed are storage/output.hpp's (a unique temporary file beside the target, renamed onto
// it only when every rank is done; an existing file replaced only when its bytes show that this
// program wrote it for the job's seed, or with --overwrite; kernel interface files never
// written, devices only with --in-place and within their size; one in-place writer at a time;
// streams in order). This class orders those steps over the ranks and makes every refusal and
// failure the whole job's: rank 0 looks at a shared file and the others learn its kind and
// temporary name; every step ends in an agreement.
#pragma once

#include <cstdint>
#include <string>

#include "mpi/job.hpp"
#include "storage/names.hpp"
#include "storage/output.hpp"
#include "storage/report_file.hpp"

namespace dgen::mpi {

using storage::fsync_directory_of;        ///< storage/names.hpp
using storage::OutputRules;               ///< storage/output.hpp
using storage::OutputState;               ///< storage/output.hpp
using storage::parent_directory_problem;  ///< storage/names.hpp
using storage::report_path_problem;       ///< storage/report_file.hpp
using storage::SameStream;                ///< storage/output.hpp
using storage::space_problem;             ///< storage/names.hpp
using storage::temporary_name;            ///< storage/names.hpp
using storage::write_whole_file;          ///< storage/report_file.hpp

class OutputFile {
 public:
  /// Collective: checks the target (a directory, a stream with several ranks, a missing
  /// directory, too little free space for `total_bytes`, a kernel interface file, a device
  /// without --in-place or too small, an existing file of another seed without --overwrite, a
  /// second in-place writer: exit code 2, nothing touched) and creates the temporary file
  /// (rank 0, or every rank for its own file). Names are touched through `names`, the
  /// engine's namespace.
  OutputFile(const Job& job, const std::string& path, std::uint64_t total_bytes,
             const OutputRules& rules, const io::Namespace& names = io::posix_namespace());
  ~OutputFile();  ///< an uncommitted temporary file is removed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::string& path() const { return out_.path(); }
  /// The name to open and write: the temporary file, or the path itself in place.
  const std::string& name() const { return out_.name(); }
  bool sequential() const { return out_.sequential(); }  ///< a stream: write() in order, from fd()
  bool regular() const { return out_.regular(); }  ///< a regular file (not a device or stream)
  bool existed() const { return out_.existed(); }  ///< something stood at the path before
  int fd() const { return out_.fd(); }             ///< the stream's descriptor

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
  void discard() noexcept { out_.discard(); }

  /// What stands at the path now, as a sentence and a state (this rank's file; for a shared
  /// file rank 0's view is the job's). `kept`: the bytes keep_prefix left.
  OutputState state() const { return out_.state(); }

 private:
  // Collective end of keep_prefix/keep_whole: every rank agrees on `err`, then the file is kept.
  void agree_kept(const Job& job, const std::string& err, std::uint64_t bytes, bool whole);

  storage::Output out_;
};

}  // namespace dgen::mpi
