// Filling the report on rank 0 from what the ranks sent, without MPI: a rank's row as packed
// numbers for the gather (never JSON), the storage section of the request, the merged warnings
// and the job's figures derived from the rows and iterations. src/mpi gathers, this fills.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mpi/request.hpp"
#include "report/report.hpp"

namespace dgen::report {

/// A rank's row as bytes for the gather to rank 0: its numbers as they are in memory (every rank
/// of a job runs the same binary) and its strings and lists with their lengths.
std::string pack(const RankResult& row);

/// The row `pack` made. Throws std::invalid_argument when the bytes are short or too long.
RankResult unpack_rank_result(std::string_view bytes);

/// The storage section of what the request asks (write and read modes) for a job of `ranks`.
Storage storage_section(const mpi::RunRequest& req, int ranks);

/// Every rank's warnings (blocks of lines, in rank order) with identical ones merged, in the
/// order they first came: "rank 3 (host): ..." for one rank, "ranks 0-127 (host): ..." for
/// several on one host, "ranks 0-127 (4 hosts): ..." across hosts.
std::vector<std::string> merged_warnings(const std::vector<std::string>& blocks,
                                         const std::vector<RankResult>& ranks);

/// What rank 0 has at the end of a run besides the sections already in the report.
struct RunEnd {
  int ranks = 1, nodes = 1;
  std::string simd;     ///< rank 0's kernel
  int stop_signal = 0;  ///< the signal that stopped the job, 0 for none
  std::uint64_t bytes_kept = 0;
  std::optional<OutputState> output_state;
  std::optional<Resume> resume;
  std::vector<std::string> rank_rows;       ///< pack()ed, in rank order
  std::vector<std::string> warning_blocks;  ///< every rank's warnings, a line each
};

/// Rank 0: the job's shape, sizes, completeness, per-rank rows, warnings, the summary of the
/// complete iterations and the baseline's figures, into a report whose mode, sections and
/// iterations are filled.
void finish(Report& rep, const mpi::RunRequest& req, const RunEnd& end);

}  // namespace dgen::report
