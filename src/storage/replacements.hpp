// What a dataset write (--files) may replace: an existing file of the dataset only when its own
// bytes show that this program wrote it for the job's seed (docs/storage.md, "What a write may
// replace"); a symbolic link, a directory or a device where a file goes is left as it is. A new
// dataset (its directory missing or empty) has nothing to replace: no file is looked at. No
// MPI: the caller spreads the files over threads and agrees on the first problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "io/layout.hpp"
#include "io/namespace.hpp"

namespace dgen::storage {

/// Whether directory `dir` is missing or holds nothing: no file of a dataset can be there.
bool empty_or_missing(const io::Namespace& names, const std::string& dir);

/// The first file a thread may not replace, and why.
struct Refusal {
  std::uint64_t file = UINT64_MAX;  ///< the layout's file index
  std::string problem;              ///< the sentence; empty: none found
};

/// Thread `t` of `threads`: looks (over `names`) at its part of the rank's dataset files `extents`
/// (the rank's files, consecutive) and returns the first that may not be replaced. `same_stream(p,
/// n, offset, e)` says whether the n bytes at `offset` of file `e` are this job's stream there;
/// `stopped` ends the look early.
Refusal first_refusal(const io::Namespace& names, const io::Layout& layout,
                      const io::ExtentList& extents, int threads, int t, std::uint64_t seed,
                      const std::function<bool(const std::byte*, std::size_t, std::uint64_t,
                                               const io::Extent&)>& same_stream,
                      const std::function<bool()>& stopped);

}  // namespace dgen::storage
