// What the ranks of an analysis send each other, as bytes: the file list rank 0 walked, the
// files a rank could not read, and the sums every rank reduces to rank 0 (plain counts, and
// 128-bit sums of squares carried as two halves, so that the total is exact whatever the
// order or the number of ranks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyze/dataset.hpp"
#include "analyze/fingerprint_set.hpp"
#include "analyze/scan.hpp"

namespace dgen::analyze {

/// The file list as it travels from rank 0: [skipped][same file skipped][files] then per file
/// [size u64][path length u64][path][data spans u64, or ~0 for a file without holes][begin end
/// u64...]. The walk's unreadable paths stay on rank 0.
std::string pack_inputs(const Inputs& in);
/// What pack_inputs wrote; `bytes` is the files' total.
Inputs unpack_inputs(const std::string& text);

/// A rank's unreadable files, as it sends them to rank 0.
std::string pack_unreadable(const std::vector<Unreadable>& list);
/// Appends the entries of a pack_unreadable text to `into`.
void unpack_unreadable(const std::string& text, std::vector<Unreadable>& into);

/// The sums a rank sends to rank 0, flattened: plain counts (summed as they are) and wide sums.
struct FlatSums {
  std::vector<std::uint64_t> u;
  std::vector<WideSum> w;
  void add(const SampleSums& s);
  void add(const LevelTally& t);
  void add(const DistinctSums& d);
};

/// Reads back what FlatSums::add wrote, in the same order.
struct FlatReader {
  const std::uint64_t* u;
  const WideSum* w;
  SampleSums sample();
  LevelTally tally();
  DistinctSums distinct();
};

/// The wide sums as 64-bit halves, high first.
std::vector<std::uint64_t> halves_of(const std::vector<WideSum>& w);
/// The sums of `count` wide values over every rank's halves_of, laid one rank after another.
std::vector<WideSum> sum_halves(const std::vector<std::uint64_t>& every, std::size_t count);

}  // namespace dgen::analyze
