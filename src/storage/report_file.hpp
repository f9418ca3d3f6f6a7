// The report and timeline files rank 0 writes (--report, --timeline): whole or not at all, by
// one process, over the POSIX namespace. No MPI.
#pragma once

#include <string>

namespace dgen::storage {

/// Writes `text` to `path` whole or not at all, by one process (rank 0's --report): a unique
/// temporary file beside it, fsynced, renamed, the directory fsynced. A link is followed (the
/// file it names is replaced, the link stays); a character device or FIFO (/dev/stdout) is
/// written directly. Returns the error text, empty on success.
std::string write_whole_file(const std::string& path, const std::string& text);

/// Why a report cannot be written to `path` ("its directory ... does not exist", "cannot
/// create a file in ...: Read-only file system", "is a directory"): checked before the run by
/// creating and removing a file beside it. Empty when it can.
std::string report_path_problem(const std::string& path);

}  // namespace dgen::storage
