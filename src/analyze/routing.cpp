#include "analyze/routing.hpp"

namespace dgen::analyze {

void count_part(std::vector<FingerprintSet>& sets, const std::vector<UnitRecord>& received,
                int ranks, int threads, int t) {
  // The records of this thread's part, each prefetched kAhead inserts before its turn.
  constexpr std::size_t kAhead = 16;
  const UnitRecord* ring[kAhead];
  std::size_t queued = 0;
  for (const auto& r : received) {
    const auto rest = static_cast<std::uint64_t>(static_cast<unsigned __int128>(r.fp.lo) *
                                                 static_cast<unsigned>(ranks));
    const int part = static_cast<int>(
        (static_cast<unsigned __int128>(rest) * static_cast<unsigned>(threads)) >> 64);
    if (part != t) continue;
    sets[static_cast<std::size_t>(r.level())].prefetch(r.fp);
    const UnitRecord*& slot = ring[queued++ % kAhead];
    if (queued > kAhead) sets[static_cast<std::size_t>(slot->level())].insert(*slot);
    slot = &r;
  }
  for (std::size_t i = queued > kAhead ? queued - kAhead : 0; i < queued; ++i) {
    const UnitRecord& r = *ring[i % kAhead];
    sets[static_cast<std::size_t>(r.level())].insert(r);
  }
}

}  // namespace dgen::analyze
