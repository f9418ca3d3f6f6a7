// --verify's diagnosis, the part that reads: samples of the file that holds the first wrong
// byte (its first wrong range's 4 KiB block of the stream, and three more spread over the file,
// which pin the dedup ratio), 64 KiB each, read again and handed to verify::find_data_options
// (verify/diagnose.hpp). Called by rank 0 after the run; no MPI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dgen/spec.hpp"

namespace dgen::verify {

/// What the samples of a file say about the data options that wrote it.
struct FileOrigin {
  /// The first sample is this seed's stream (else foreign bytes, or the file cannot be read:
  /// nothing to say about the options).
  bool seed_stream = false;
  /// The data options that regenerate every sample; none when no options do.
  std::optional<DataSpec> options;
};

/// Reads the samples of `path`, whose first wrong byte is at stream offset `offset` and file
/// offset `file_offset`, and searches the options of `given`'s seed that made them.
FileOrigin sample_file_origin(const DataSpec& given, const std::string& path, std::uint64_t offset,
                              std::uint64_t file_offset);

}  // namespace dgen::verify
