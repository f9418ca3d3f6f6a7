// The storage mode's checks before a byte moves, each collective and each ending the job with
// one line and exit code 2 when it fails (docs/reliability.md): direct-I/O rules, the dataset's
// directory and the files already in it, what an --input path is and how long. Private to
// src/mpi/ (storage.cpp orders them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/backend.hpp"
#include "io/direct.hpp"
#include "io/layout.hpp"
#include "io/target.hpp"
#include "mpi/pass.hpp"
#include "storage/dataset_dirs.hpp"
#include "storage/inputs.hpp"

namespace dgen::mpi {

/// Collective: the direct-I/O alignment of the target and the rules it puts on the sizes; the
/// job ends with exit code 2 where the file system refuses O_DIRECT or a size breaks the rule.
io::DirectAlignment check_direct(const RankContext& c, const std::string& probe_path,
                                 bool existing);

/// Collective: the dataset's directory is a directory or can be made (its parent exists), and
/// is not on a kernel interface file system.
void check_dataset_target(const RankContext& c, const io::Namespace& names);

/// Collective: no existing file of this rank's dataset files is replaced unless its bytes show
/// that this program wrote it for the job's seed (or --overwrite); checked before any byte is
/// written, by the rank's threads.
void check_dataset_replacements(const RankContext& c, const io::ExtentList& extents,
                                const io::Namespace& names);

/// Collective: rank 0 makes the dataset's directories (storage/dataset_dirs.hpp), checks the
/// free space for the dataset and with --in-place takes the write lock on its directory; the
/// job ends with exit code 2 when one fails (the directories made removed again).
void make_dataset_directories(const RankContext& c, storage::DatasetDirectories& directories);

/// Collective, before a --unique-dir dataset is read: its file names depend on the rank count
/// that WROTE it (each rank's block of files under its own PATH/rNNNNNNNN), so `layout.ranks`
/// is set to that count, found by rank 0 from the rank directories present (the highest number
/// plus one). Returns the problem when PATH holds no rank directory (written without
/// --unique-dir): the job then ends with it (exit 2). A PATH that does not exist is left to the
/// input checks.
std::string find_unique_dir_writers(const Job& job, const std::string& engine, io::Layout& layout);

/// Collective: every file this rank reads is a regular file or block device, exists and is at
/// least as long as its share (a FIFO, socket, directory or character device is refused before
/// it is opened, so nothing blocks). With `verify`, a regular file that does not exist or is
/// short is no error: it is listed, and verify reports its missing bytes as a finding; only
/// when no file of the layout exists at all (a wrong path) is it bad input. Returns the files
/// longer than the stream whose end this rank reads (each is reported by one rank), and the
/// missing or short ones. A regular file's length is the stream bytes `backend` finds in it
/// (io::Backend::stream_bytes: a container file's dataset's).
storage::InputFiles check_inputs(const RankContext& c, io::Backend& backend,
                                 const io::ExtentList& extents, bool verify);

}  // namespace dgen::mpi
