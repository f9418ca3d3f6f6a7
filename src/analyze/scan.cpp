#include "analyze/scan.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <tuple>

namespace dgen::analyze {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A unit's fingerprint from those of its m smallest units (`parts` make a whole unit): a unit of
// the smallest size is its own hash, a larger one the hash of its parts'.
Fingerprint derive(const Fingerprint* small, std::size_t m, std::size_t parts) {
  return m == 1 && parts == 1 ? small[0] : combine(small, m);
}

}  // namespace

void SampleSums::add(std::uint64_t x, const CompressedSizes& y) {
  blocks += 1;
  bytes += x;
  xx += static_cast<WideSum>(x) * x;
  for (int c = 0; c < kCompressors; ++c) {
    packed[c] += y[c];
    yy[c] += static_cast<WideSum>(y[c]) * y[c];
    xy[c] += static_cast<WideSum>(x) * y[c];
  }
}

SampleSums grouped_sums(std::vector<ChunkSample>& chunks) {
  std::sort(chunks.begin(), chunks.end(), [](const ChunkSample& a, const ChunkSample& b) {
    return std::tie(a.fp.hi, a.fp.lo, a.bytes) < std::tie(b.fp.hi, b.fp.lo, b.bytes);
  });
  SampleSums s;
  std::uint64_t groups = 0;
  for (std::size_t i = 0; i < chunks.size();) {
    std::size_t j = i;
    std::uint64_t x = 0;
    CompressedSizes y{};
    for (; j < chunks.size() && chunks[j].fp == chunks[i].fp && chunks[j].bytes == chunks[i].bytes;
         ++j) {
      x += chunks[j].bytes;
      for (int c = 0; c < kCompressors; ++c) y[c] += chunks[j].packed[c];
    }
    s.add(x, y);  // one group: its copies' totals
    ++groups;
    const std::uint64_t x1 = chunks[i].bytes;  // one copy
    s.xx1 += static_cast<WideSum>(x1) * x1;
    for (int c = 0; c < kCompressors; ++c) {
      const std::uint64_t y1 = chunks[i].packed[c];
      s.yy1[c] += static_cast<WideSum>(y1) * y1;
      s.xy1[c] += static_cast<WideSum>(x1) * y1;
    }
    i = j;
  }
  s.blocks = chunks.size();
  s.groups = groups;
  return s;
}

void SampleSums::merge(const SampleSums& o) {
  groups += o.groups;
  blocks += o.blocks;
  bytes += o.bytes;
  xx += o.xx;
  xx1 += o.xx1;
  for (int c = 0; c < kCompressors; ++c) {
    yy1[c] += o.yy1[c];
    xy1[c] += o.xy1[c];
  }
  for (int c = 0; c < kCompressors; ++c) {
    packed[c] += o.packed[c];
    yy[c] += o.yy[c];
    xy[c] += o.xy[c];
  }
}

void LevelTally::merge(const LevelTally& o) {
  units += o.units;
  bytes += o.bytes;
  zero_units += o.zero_units;
  zero_bytes += o.zero_bytes;
  for (int c = 0; c < kCompressors; ++c) zero_packed[c] += o.zero_packed[c];
  sample.merge(o.sample);
}

Threshold::Threshold(double fraction) : fraction_(fraction), all_(fraction >= 1), limit_(0) {
  // fraction * 2^64 is exact in double arithmetic (a power-of-two scale); truncated.
  if (!all_ && fraction > 0) limit_ = static_cast<std::uint64_t>(fraction * 18446744073709551616.0);
}

std::uint64_t ScanSettings::alignment() const {
  std::uint64_t a = chunk;
  for (std::uint64_t u : units) a = std::max(a, u);
  return a;
}

Scanner::Scanner(const ScanSettings& settings)
    : settings_(settings), sample_(settings.sample), keep_(settings.keep) {
  if (settings_.units.empty() || settings_.units.size() > kMaxLevels)
    throw std::invalid_argument("analyze: 1 to 12 unit sizes");
  for (std::size_t i = 0; i < settings_.units.size(); ++i) {
    const std::uint64_t u = settings_.units[i];
    if (u < kMinUnit || u > kMaxUnit || (u & (u - 1)) != 0 ||
        (i > 0 && u <= settings_.units[i - 1]))
      throw std::invalid_argument("analyze: unit sizes must ascend, powers of two 512B..1MiB");
  }
  const std::vector<std::byte> zeros(settings_.units[0]);
  zero_fp_ = fingerprint_of(zeros.data(), zeros.size());
  zero_sent_.resize(settings_.units.size());
}

void Scanner::new_round() {
  for (auto& sent : zero_sent_) sent.clear();
}

CompressedSizes Scanner::zero_sizes(std::size_t n) {
  for (const auto& [length, sizes] : zero_sizes_)
    if (length == n) return sizes;
  const std::vector<std::byte> zeros(n);
  const CompressedSizes sizes = compressors_.sizes(zeros.data(), n);
  zero_sizes_.emplace_back(n, sizes);
  return sizes;
}

bool Scanner::first_zero_this_round(std::size_t k, std::size_t len) {
  auto& sent = zero_sent_[k];
  if (std::find(sent.begin(), sent.end(), len) != sent.end()) return false;
  sent.push_back(static_cast<std::uint32_t>(len));
  return true;
}

Fingerprint Scanner::zero_unit(std::size_t k, std::size_t n) {
  const std::size_t key = k << 32 | n;
  for (const auto& [at, fp] : zero_units_)
    if (at == key) return fp;
  // As scan() derives it from the bytes: the smallest units' hashes, then their combination.
  const std::uint64_t u0 = settings_.units[0];
  const std::vector<std::byte> zeros(std::min<std::size_t>(n, u0));
  std::vector<Fingerprint> small((n + u0 - 1) / u0);
  for (std::size_t i = 0; i < small.size(); ++i)
    small[i] = fingerprint_of(zeros.data(), std::min<std::size_t>(u0, n - i * u0));
  const Fingerprint fp = derive(small.data(), small.size(), settings_.units[k] / u0);
  zero_units_.emplace_back(key, fp);
  return fp;
}

void Scanner::add_zeros(LevelTally& tally, std::uint64_t count, std::size_t len) {
  tally.zero_units += count;
  tally.zero_bytes += count * len;
  const CompressedSizes sizes = zero_sizes(len);
  for (int c = 0; c < kCompressors; ++c) tally.zero_packed[c] += count * sizes[c];
}

void Scanner::scan_zeros(std::uint64_t n, std::vector<LevelTally>& levels, LevelTally& chunks,
                         std::vector<UnitRecord>& out) {
  const double t0 = now_seconds();
  levels.resize(settings_.units.size());
  for (std::size_t k = 0; k < settings_.units.size(); ++k) {
    const std::uint64_t unit = settings_.units[k];
    LevelTally& tally = levels[k];
    tally.units += (n + unit - 1) / unit;
    tally.bytes += n;
    // Whole units, then the partial last one of a file that ends in the hole.
    for (const auto& [count, len] : {std::pair<std::uint64_t, std::size_t>{n / unit, unit},
                                     {n % unit != 0 ? 1 : 0, n % unit}}) {
      if (count == 0) continue;
      std::uint32_t zstd = kNotCompressed;
      if (settings_.sample > 0) {
        add_zeros(tally, count, len);
        zstd = static_cast<std::uint32_t>(zero_sizes(len)[0]);
      } else {
        tally.zero_units += count;
        tally.zero_bytes += count * len;
      }
      if (!first_zero_this_round(k, len)) continue;
      const Fingerprint fp = zero_unit(k, len);
      if (keep_.takes(fp.hi)) {
        out.push_back(UnitRecord{
            fp, static_cast<std::uint32_t>(len) | static_cast<std::uint32_t>(k) << 24, zstd});
      }
    }
  }
  // Chunks as scan() counts them: zero ones only when compressing.
  const std::uint64_t chunk = settings_.chunk;
  chunks.units += (n + chunk - 1) / chunk;
  chunks.bytes += n;
  if (settings_.sample > 0) {
    if (n / chunk > 0) add_zeros(chunks, n / chunk, chunk);
    if (n % chunk != 0) add_zeros(chunks, 1, n % chunk);
  }
  const double spent = now_seconds() - t0;
  compress_seconds_ += spent;  // the zero blocks' sizes, once per length; the rest is counting
}

void Scanner::scan(const std::byte* p, std::size_t n, std::vector<LevelTally>& levels,
                   LevelTally& chunks, std::vector<UnitRecord>& out) {
  const std::uint64_t u0 = settings_.units[0];
  const std::size_t count0 = (n + u0 - 1) / u0;
  double t0 = now_seconds();
  small_.resize(count0);
  small_zero_.resize(count0);
  for (std::size_t i = 0; i < count0; ++i) {
    const std::size_t len = std::min<std::size_t>(u0, n - i * u0);
    small_[i] = fingerprint_of(p + i * u0, len);
    small_zero_[i] = len == u0 ? small_[i] == zero_fp_ : all_zero(p + i * u0, len);
  }
  double compress = 0;
  levels.resize(settings_.units.size());
  for (std::size_t k = 0; k < settings_.units.size(); ++k) {
    const std::uint64_t unit = settings_.units[k];
    const std::size_t parts = unit / u0;
    LevelTally& tally = levels[k];
    for (std::size_t first = 0; first < count0; first += parts) {
      const std::size_t m = std::min(parts, count0 - first);
      const std::size_t offset = first * u0;
      const std::size_t len = std::min<std::size_t>(unit, n - offset);
      const Fingerprint fp = derive(&small_[first], m, parts);
      bool zero = true;
      for (std::size_t i = first; i < first + m && zero; ++i) zero = small_zero_[i] != 0;
      tally.units += 1;
      tally.bytes += len;
      std::uint32_t zstd = kNotCompressed;
      if (zero) {
        tally.zero_units += 1;
        tally.zero_bytes += len;
        if (settings_.sample > 0) {
          const double c0 = now_seconds();
          const CompressedSizes sizes = zero_sizes(len);
          compress += now_seconds() - c0;
          for (int c = 0; c < kCompressors; ++c) tally.zero_packed[c] += sizes[c];
          zstd = static_cast<std::uint32_t>(sizes[0]);
        }
        if (!first_zero_this_round(k, len)) continue;
      } else if (sample_.takes(fp.hi)) {
        const double c0 = now_seconds();
        const CompressedSizes sizes = compressors_.sizes(p + offset, len);
        compress += now_seconds() - c0;
        tally.sample.add(len, sizes);
        zstd = static_cast<std::uint32_t>(sizes[0]);
      }
      if (keep_.takes(fp.hi)) {
        out.push_back(UnitRecord{
            fp, static_cast<std::uint32_t>(len) | static_cast<std::uint32_t>(k) << 24, zstd});
      }
    }
  }
  // Chunks: each compressed whole; sampled by their own fingerprint, zero ones computed once.
  const std::uint64_t chunk = settings_.chunk;
  for (std::size_t offset = 0; offset < n; offset += chunk) {
    const std::size_t len = std::min<std::size_t>(chunk, n - offset);
    chunks.units += 1;
    chunks.bytes += len;
    if (settings_.sample <= 0) continue;
    const double c0 = now_seconds();
    if (all_zero(p + offset, len)) {
      const CompressedSizes sizes = zero_sizes(len);
      chunks.zero_units += 1;
      chunks.zero_bytes += len;
      for (int c = 0; c < kCompressors; ++c) chunks.zero_packed[c] += sizes[c];
    } else if (sample_.fraction() >= 1) {
      chunks.sample.add(len, compressors_.sizes(p + offset, len));
    } else if (const Fingerprint fp = fingerprint_of(p + offset, len); sample_.takes(fp.hi)) {
      const CompressedSizes sizes = compressors_.sizes(p + offset, len);
      chunks.sample.add(len, sizes);
      sampled_chunks_.push_back({fp, len, sizes});
    }
    compress += now_seconds() - c0;
  }
  compress_seconds_ += compress;
  hash_seconds_ += now_seconds() - t0 - compress;
}

}  // namespace dgen::analyze
