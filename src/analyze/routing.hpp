// Which rank and thread count a fingerprint: rank r owns the fingerprints whose low half lies in
// [r, r + 1) * 2^64 / ranks, and its thread t the t-th of `threads` parts of that range. Every
// copy of a unit goes to one owner, which counts first sightings in its thread's sets.
#pragma once

#include <cstddef>
#include <vector>

#include "analyze/fingerprint.hpp"
#include "analyze/fingerprint_set.hpp"
#include "analyze/scan.hpp"

namespace dgen::analyze {

/// The rank owning `fp`: floor(lo * ranks / 2^64).
inline int owner_of(const Fingerprint& fp, int ranks) {
  return static_cast<int>((static_cast<unsigned __int128>(fp.lo) * static_cast<unsigned>(ranks)) >>
                          64);
}

/// The records of `lists` in the order an all-to-all exchange sends them: grouped by owner rank
/// into `send`, with each rank's count and displacement (each of `ranks` entries).
template <class Record>
void route(const std::vector<const std::vector<Record>*>& lists, int ranks,
           std::vector<int>& counts, std::vector<int>& displs, std::vector<Record>& send) {
  counts.assign(static_cast<std::size_t>(ranks), 0);
  displs.assign(static_cast<std::size_t>(ranks), 0);
  std::size_t total = 0;
  for (const auto* list : lists) {
    for (const auto& r : *list) ++counts[static_cast<std::size_t>(owner_of(r.fp, ranks))];
    total += list->size();
  }
  send.reserve(total);  // exactly: resize alone may double the capacity
  send.resize(total);
  for (int r = 0, at = 0; r < ranks; ++r) {
    displs[static_cast<std::size_t>(r)] = at;
    at += counts[static_cast<std::size_t>(r)];
  }
  std::vector<int> fill = displs;
  for (const auto* list : lists)
    for (const auto& r : *list)
      send[static_cast<std::size_t>(fill[static_cast<std::size_t>(owner_of(r.fp, ranks))]++)] = r;
}

/// Thread t of `threads` counts, in `sets` (one per unit size), the records of `received` in its
/// part of this rank's range, each prefetched a few inserts before its turn.
void count_part(std::vector<FingerprintSet>& sets, const std::vector<UnitRecord>& received,
                int ranks, int threads, int t);

}  // namespace dgen::analyze
