// Why data read back is wrong when it is this seed's stream made with other data options: a
// file written with --dedup-ratio 2 and checked with 3 holds, range after range, bytes of the
// stream "from elsewhere", which reads like misdirected writes. The random lanes decode to
// their counters (verify/decode.hpp), and the counters, their places and the block's fill tell
// the unit, the fill, the random bytes per block (the compression ratio) and the dedup ratio
// that made the bytes; a candidate counts only when it regenerates the bytes exactly. Pure: no
// MPI, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dgen/spec.hpp"

namespace dgen::verify {

/// Bytes read back and the stream offset they stand at (a multiple of 16).
struct Sample {
  const std::byte* bytes = nullptr;
  std::size_t size = 0;
  std::uint64_t offset = 0;
};

/// The data options that regenerate every sample exactly (4 KiB or more each give a sure
/// answer; samples far apart pin the dedup ratio), with the seed of `given`: the unit, fill,
/// compression and dedup ratio are searched, nicest values first (the given one, integers,
/// halves, ...), and the first spec whose stream equals the bytes is returned. None when the
/// bytes are not this seed's stream with any options (foreign, or moved).
std::optional<DataSpec> find_data_options(const DataSpec& given,
                                          const std::vector<Sample>& samples);

/// "--dedup-ratio 2 --dedup-unit 8KiB": the options of `found` that differ from `given`, as
/// they are typed; empty when none differ.
std::string differing_options(const DataSpec& given, const DataSpec& found);

}  // namespace dgen::verify
