// The run's modes, each in its own file: bench (generate into memory, timed against memset and
// a streaming-store fill) and write (the stream to a file, a device or stdout with POSIX I/O).
// Each is collective and returns what this rank measured.
#pragma once

#include <string>

#include "mpi/pass.hpp"

namespace dgen::mpi {

/// Bench mode. Sets `stores` to "streaming" or "cached".
Measured run_bench(const RankContext& context, std::string& stores);

/// Write mode: the rank's bytes to request.output.
Measured run_write(const RankContext& context);

}  // namespace dgen::mpi
