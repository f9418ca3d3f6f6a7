#include "analyze/estimate.hpp"

#include <algorithm>
#include <cmath>

namespace dgen::analyze {

namespace {

constexpr double kSpread = 3;  // standard errors each side

double wide(WideSum v) { return static_cast<double>(v); }

// r = sum(y) / sum(x) estimated from n of N blocks (sampling fraction f), and its standard
// error by the ratio estimator's linearisation: var(r) = (1 - f) / (n xbar^2) * s_d^2 with
// s_d^2 = sum((y - r x)^2) / (n - 1). One block says nothing of the spread: infinite.
double ratio_standard_error(double n, double sx, double sy, double sxx, double syy, double sxy,
                            double f) {
  if (f >= 1) return 0;
  if (n < 2 || sx <= 0) return INFINITY;
  const double r = sy / sx;
  const double sd2 = std::max(0.0, (syy - 2 * r * sxy + r * r * sxx) / (n - 1));
  const double xbar = sx / n;
  return std::sqrt(std::max(0.0, 1 - f) / (n * xbar * xbar) * sd2);
}

}  // namespace

double compressed_bytes(const LevelTally& t, Compressor c, double fraction) {
  const int i = static_cast<int>(c);
  const double zero = static_cast<double>(t.zero_packed[i]);
  const SampleSums& s = t.sample;
  if (fraction >= 1 || s.bytes == 0) return zero + static_cast<double>(s.packed[i]);
  const double others = static_cast<double>(t.bytes - t.zero_bytes);
  return zero + static_cast<double>(s.packed[i]) / static_cast<double>(s.bytes) * others;
}

std::optional<Estimate> compression_ratio(const LevelTally& t, Compressor c, double fraction) {
  const int i = static_cast<int>(c);
  const SampleSums& s = t.sample;
  const std::uint64_t others = t.bytes - t.zero_bytes;
  if (fraction <= 0 || t.bytes == 0 || (others > 0 && s.blocks == 0)) return std::nullopt;
  const double bytes = static_cast<double>(t.bytes);
  const double packed = compressed_bytes(t, c, fraction);
  Estimate e;
  e.value = bytes / packed;
  if (fraction >= 1 || others == 0) {
    e.low = e.high = e.value;
    return e;
  }
  // The zero blocks' share is exact; the others' compressed bytes are r * their bytes.
  const double sx = static_cast<double>(s.bytes), sy = static_cast<double>(s.packed[i]);
  // Copies sampled together (chunks, grouped by fingerprint): each group is one draw.
  const double n = static_cast<double>(s.groups > 0 ? s.groups : s.blocks);
  double se = ratio_standard_error(n, sx, sy, wide(s.xx), wide(s.yy[i]), wide(s.xy[i]), fraction);
  if (s.groups > 1 && s.xx1 > 0 && std::isfinite(se)) {
    // A few heavy groups (many copies) can decide much of the ratio, and the design's estimate
    // of their spread rests on the few that were drawn. The spread of compressibility between
    // distinct chunks, sum((y - r x)^2) / sum(x^2) over one copy of each, times the groups'
    // sum of squared sizes is a second estimate of the groups' sum((Y - r X)^2): the wider of
    // the two is taken (they are equal when no chunk repeats).
    const double r0 = sy / sx;
    const double spread = std::max(
        0.0, (wide(s.yy1[i]) - 2 * r0 * wide(s.xy1[i]) + r0 * r0 * wide(s.xx1)) / wide(s.xx1));
    const double model = spread * wide(s.xx) / (n - 1);
    const double xbar = sx / n;
    se = std::max(se, std::sqrt(std::max(0.0, 1 - fraction) / (n * xbar * xbar) * model));
  }
  const double zero = static_cast<double>(t.zero_packed[i]);
  const double r = sy / sx;
  const double most =
      std::min(bytes, zero + std::min(1.0, r + kSpread * se) * static_cast<double>(others));
  const double least = zero + std::max(0.0, r - kSpread * se) * static_cast<double>(others);
  e.low = std::max(1.0, bytes / most);
  e.high = least > 0 ? bytes / least : INFINITY;
  return e;
}

Estimate distinct_units(const DistinctSums& d, double keep) {
  const double k = static_cast<double>(d.units);
  Estimate e;
  if (keep >= 1) {
    e.value = e.low = e.high = k;
    return e;
  }
  // Each distinct fingerprint is kept with probability `keep`, independently (a hash bit
  // test): k ~ Binomial(D, keep), D = k / keep, relative standard error sqrt((1 - keep) / k).
  e.value = k / keep;
  const double rel = k > 0 ? std::sqrt((1 - keep) / k) : 1;
  e.low = std::max(k, e.value * (1 - kSpread * rel));
  e.high = e.value * (1 + kSpread * rel);
  if (k == 0) e.high = 5.9 / keep;  // P(none kept | D >= 5.9 / keep) < 0.3 %
  return e;
}

std::optional<Estimate> stored_bytes(const DistinctSums& d, double keep, double sample) {
  const SampleSums& c = d.compressed;
  if (c.blocks == 0) return std::nullopt;
  const double sy = static_cast<double>(c.packed[0]);
  Estimate e;
  if (sample >= keep) {
    // Every kept unit was compressed: a Horvitz-Thompson sum over the kept ones.
    e.value = sy / std::min(1.0, keep);
    if (keep >= 1) {
      e.low = e.high = e.value;
      return e;
    }
    const double se = std::sqrt((1 - keep) / keep * wide(c.yy[0]) / keep);
    e.low = std::max(sy, e.value - kSpread * se);
    e.high = e.value + kSpread * se;
    return e;
  }
  // Some kept units were not compressed: the distinct bytes (estimated when keep < 1) times
  // the compressed fraction of the distinct units that were.
  const double kb = static_cast<double>(d.bytes);
  const double bytes = kb / std::min(1.0, keep);
  const double rel_bytes =
      keep >= 1 || kb <= 0 ? 0
                           : std::sqrt((1 - keep) / keep * wide(d.bytes_squared) / keep) / bytes;
  const double sx = static_cast<double>(c.bytes);
  const double r = sy / sx;
  const double se_r =
      ratio_standard_error(static_cast<double>(c.blocks), sx, sy, wide(c.xx), wide(c.yy[0]),
                           wide(c.xy[0]), sample / std::min(1.0, keep));
  const double rel = std::sqrt(rel_bytes * rel_bytes + (r > 0 ? se_r * se_r / (r * r) : 0));
  e.value = bytes * r;
  e.low = std::max(0.0, e.value * (1 - kSpread * rel));
  e.high = e.value * (1 + kSpread * rel);
  return e;
}

}  // namespace dgen::analyze
