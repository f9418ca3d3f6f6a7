// --direct's rules before a byte moves: the file system takes O_DIRECT at all (a probe file in
// the directory the files go to, or the existing file or device itself), and the sizes a run
// moves are multiples of its direct-I/O alignment. No MPI: rank 0 asks, the job agrees.
#pragma once

#include <cstdint>
#include <string>

#include "io/direct.hpp"
#include "io/layout.hpp"

namespace dgen::storage {

/// The sizes a direct-I/O run moves.
struct DirectSizes {
  std::uint64_t transfer = 0;  ///< --transfer
  std::uint64_t size = 0;      ///< --size (not a dataset's)
  io::Layout layout;           ///< its kind, --file-size and --block
};

/// Probes `probe_path` (an existing file or device when `existing`, else a directory to make a
/// probe file in) and fills `alignment`; returns why direct I/O cannot run ("--direct: ..."),
/// empty when it can.
std::string direct_problem(const DirectSizes& sizes, const std::string& probe_path, bool existing,
                           io::DirectAlignment& alignment);

}  // namespace dgen::storage
