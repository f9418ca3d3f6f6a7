// The run's modes, each in its own file: bench (generate into memory, timed against memset and
// a streaming-store fill) and storage (write the stream to files, a device or stdout, or read
// it back, through an I/O backend) and analyze (measure what deduplication and compression
// would save on any data).
// Each is collective and returns what this rank measured.
#pragma once

#include <string>

#include "mpi/pass.hpp"
#include "report/report.hpp"

namespace dgen::mpi {

/// Bench mode. Sets `stores` to "streaming" or "cached".
Measured run_bench(const RankContext& context, std::string& stores);

/// Write mode (request.output) or read mode (request.input): the rank's share of the stream
/// in request.layout, through the request's I/O backend.
Measured run_storage(const RankContext& context);

/// Analyze mode (request.analyze): the job reads the paths, each rank a share, and counts
/// distinct units at every unit size and compressed sizes. `analysis` is filled on rank 0.
Measured run_analyze(const RankContext& context, report::Analyze& analysis);

}  // namespace dgen::mpi
