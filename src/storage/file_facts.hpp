// The sentences that name what a run's output files hold when it ends: the partial files kept
// (--keep-partial), each rank's file where they differ, and what a time-bounded write (--duration)
// left, holes included; from each file's facts, gathered by the caller (mpi/storage.cpp). No MPI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dgen::storage {

/// One output file as it stands when the run ends, for the job's sentence and the report.
struct FileFact {
  std::string state;         ///< OutputFile's state for it (complete, partial, removed, ...)
  std::string name;          ///< where its bytes are: the final or the temporary name
  std::string text;          ///< OutputFile's sentence for it
  std::uint64_t length = 0;  ///< its length on disk now (stat; 0 when it is not there)
  std::uint64_t holds = 0;   ///< bytes of the stream this run wrote into it (0: not known)
};

/// "a (12 bytes), b (34 bytes)": every file, or for many the first three, the last, how many
/// and the shortest and longest.
std::string list_files(const std::vector<FileFact>& files);

/// The job's sentence for files of their own (--file-per-rank), from every rank's (in rank
/// order): the partial files kept, by name and length (`what`: what each holds); else each
/// rank's sentence where they differ.
std::string per_rank_text(const std::vector<FileFact>& files, const std::string& what);

/// What a time-bounded write (--duration) left, from each file's length on disk and the stream
/// bytes written into it (`length`: the stream's, a file per rank's own): cut where the wall
/// stopped it, with holes where nothing was written.
std::string time_bounded_text(const std::vector<FileFact>& files, bool per_rank,
                              std::uint64_t length);

}  // namespace dgen::storage
