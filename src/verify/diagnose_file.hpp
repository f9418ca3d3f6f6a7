// Why the bytes --verify found wrong are wrong, from the file itself: the first wrong range's
// block and three more spread over its file are read again, and when they are this seed's
// stream the data options that regenerate them are searched (verify/diagnose.hpp). No MPI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dgen/spec.hpp"

namespace dgen::verify {

/// The wrong ranges of a --verify, as the report lists them (the first in stream order first).
struct WrongRanges {
  std::string file;                ///< the file that holds the first wrong byte
  std::uint64_t offset = 0;        ///< the first wrong byte's stream offset
  std::uint64_t file_offset = 0;   ///< its offset in the file
  std::vector<std::string> holds;  ///< what each range holds: "stream", "zeros", "missing", ...
};

/// The sentence that says why the ranges are wrong when they are this seed's stream (made with
/// other data options, or from other offsets), empty when they hold something else or the file
/// cannot be read; `options` gets the options that regenerate the bytes, when found.
std::string diagnose_options(const DataSpec& given, const WrongRanges& wrong, std::string& options);

}  // namespace dgen::verify
