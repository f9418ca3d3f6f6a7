#include "analyze/fingerprint_set.hpp"

#include <sys/mman.h>
#include <cmath>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace dgen::analyze {

namespace {

// MurmurHash3's finaliser: the slot depends on every bit of both halves, whatever bits the
// owner and thread partitions and the estimator's threshold already fixed.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace

void DistinctSums::merge(const DistinctSums& o) {
  units += o.units;
  bytes += o.bytes;
  bytes_squared += o.bytes_squared;
  compressed.merge(o.compressed);
}

void FingerprintSet::Free::operator()(Fingerprint* p) const {
  if (p != nullptr) munmap(p, bytes);
}

std::uint64_t FingerprintSet::slots_for(std::uint64_t keys) {
  return static_cast<std::uint64_t>(std::ceil(static_cast<double>(keys) / kLoad)) + 16;
}

std::uint64_t FingerprintSet::bytes_for(std::uint64_t keys) {
  return slots_for(keys) * sizeof(Fingerprint);
}

FingerprintSet::FingerprintSet(std::uint64_t keys) : capacity_(slots_for(keys)), limit_(keys) {
  // Mapped, with transparent huge pages asked for (a set is probed at random: 4 KiB pages would
  // miss the TLB on nearly every insert), and touched now by the thread that will insert:
  // its NUMA node, and no page faults while the analysis is timed. The memory check counted
  // every slot already.
  bytes_ = capacity_ * sizeof(Fingerprint);
  void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  if (bytes_ >= (2u << 20)) madvise(p, bytes_, MADV_HUGEPAGE);
  std::memset(p, 0, bytes_);
  slots_.reset(static_cast<Fingerprint*>(p));
  slots_.get_deleter().bytes = bytes_;
}

std::uint64_t FingerprintSet::home(const Fingerprint& fp) const {
  return static_cast<std::uint64_t>(
      (static_cast<unsigned __int128>(mix(fp.hi ^ (fp.lo * 0x9e3779b97f4a7c15ULL))) * capacity_) >>
      64);
}

bool FingerprintSet::insert(const UnitRecord& r) {
  const Fingerprint fp = r.fp;
  bool fresh = false;
  if (fp.hi == 0 && fp.lo == 0) {
    fresh = !has_empty_key_;
    has_empty_key_ = true;
  } else {
    std::uint64_t i = home(fp);
    for (;;) {
      Fingerprint& slot = slots_[i];
      if (slot.hi == fp.hi && slot.lo == fp.lo) break;
      if (slot.hi == 0 && slot.lo == 0) {
        if (sums_.units >= limit_)
          throw std::length_error("analyze: a fingerprint set holds more than it was sized for");
        slot = fp;
        fresh = true;
        break;
      }
      if (++i == capacity_) i = 0;
    }
  }
  if (!fresh) return false;
  const std::uint64_t len = r.length();
  sums_.units += 1;
  sums_.bytes += len;
  sums_.bytes_squared += static_cast<WideSum>(len) * len;
  if (r.zstd != kNotCompressed) sums_.compressed.add(len, {r.zstd, 0, 0});
  return true;
}

}  // namespace dgen::analyze
