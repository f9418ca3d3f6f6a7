// The temporary files an interrupted write leaves (kill -9, a node crash, --keep-partial) and
// that --resume continues: found by their name (io's kPartialMark) and recognised by their
// bytes, which must hold the stream of the job's seed. No MPI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/layout.hpp"

namespace dgen::io {

/// The mark a temporary name carries: NAME.dgen-partial-<16 hex digits>, or, for a name too
/// long for it, .dgen-partial-<16 hex digits> alone in the same directory.
inline constexpr const char* kPartialMark = ".dgen-partial-";

/// The partial files of `path` that hold the stream of `seed` (their first data decodes as it)
/// and are at most `length` bytes long, the newest first.
std::vector<std::string> find_partials(const std::string& path, std::uint64_t seed,
                                       std::uint64_t length);

/// Removes the temporary files an earlier run left among a dataset's files (a file a thread
/// was writing when it was killed), those that hold the stream of `seed`. Returns how many.
std::uint64_t remove_dataset_partials(const Layout& layout, std::uint64_t seed);

}  // namespace dgen::io
