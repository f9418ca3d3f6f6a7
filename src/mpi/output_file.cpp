#include "mpi/output_file.hpp"

#include <cstdio>

#include "io/errors.hpp"
#include "mpi/stop_signal.hpp"

namespace dgen::mpi {

using storage::OutputKind;

OutputFile::OutputFile(const Job& job, const std::string& path, std::uint64_t total_bytes,
                       const OutputRules& rules, const io::Namespace& names)
    : out_(path, rules, rules.per_rank || job.rank() == 0, names) {
  const storage::TargetCheck found = out_.inspect(total_bytes, stop_signal);
  int header[2] = {static_cast<int>(found.kind), found.existed ? 1 : 0};
  if (!rules.per_rank) check(MPI_Bcast(header, 2, MPI_INT, 0, job.world()), "MPI_Bcast");
  const auto kind = static_cast<OutputKind>(header[0]);
  out_.set_existed(header[1] != 0);
  auto refuse = [&](bool bad, const std::string& why) {
    job.agree(bad ? "--output " + path + ": " + why : "", io::kUsageExit);
  };
  refuse(kind == OutputKind::kDirectory, "is a directory");
  job.agree(found.refused, io::kUsageExit);
  const bool stream = kind == OutputKind::kSequential;
  refuse(stream && (job.size() > 1 || rules.per_rank),
         "a stream (stdout or a pipe) takes one rank's bytes in order; with " +
             std::to_string(job.size()) + " ranks give a file path");
  refuse(stream && rules.in_place, "--in-place is for files and devices, not streams");
  // Refuse before writing when the file system cannot hold the stream.
  job.agree(kind == OutputKind::kFile ? out_.space_problem(total_bytes) : "", io::kUsageExit);
  out_.set_kind(kind);
  int err_code = io::kUsageExit;
  std::string err = out_.create(err_code);
  const bool shared_file = !rules.per_rank && kind == OutputKind::kFile;
  char name_buf[4096] = {};
  if (shared_file && job.rank() == 0) {
    if (out_.temporary().size() >= sizeof name_buf) err = "--output " + path + ": too long";
    std::snprintf(name_buf, sizeof name_buf, "%s", out_.temporary().c_str());
  }
  try {
    job.agree(err, err_code);
  } catch (const JobFailure&) {
    discard();
    throw;
  }
  if (shared_file) {
    check(MPI_Bcast(name_buf, sizeof name_buf, MPI_CHAR, 0, job.world()), "MPI_Bcast");
    if (job.rank() != 0) out_.set_temporary(name_buf);
  }
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::commit(const Job& job, std::uint64_t length) {
  const std::string closed = out_.close_stream();
  try {
    job.agree(closed, io::kIoExit);
    job.agree(out_.publish(length), io::kIoExit);
  } catch (const JobFailure&) {
    discard();
    throw;
  }
  out_.mark_published(length);
}

void OutputFile::keep_prefix(const Job& job, std::uint64_t bytes) {
  out_.close_stream();  // what was written is kept, whatever the close says
  agree_kept(job, out_.cut_to(bytes), bytes, false);
}

void OutputFile::agree_kept(const Job& job, const std::string& err, std::uint64_t bytes,
                            bool whole) {
  try {
    job.agree(err, io::kIoExit);
  } catch (const JobFailure&) {
    discard();
    throw;
  }
  out_.mark_kept(bytes, whole);
}

void OutputFile::keep_whole(const Job& job) {
  out_.close_stream();  // what was written is kept, whatever the close says
  std::uint64_t size = 0;
  const std::string err = out_.sync_whole(size);
  agree_kept(job, err, size, true);
  out_.drop_if_empty(size);
}

}  // namespace dgen::mpi
