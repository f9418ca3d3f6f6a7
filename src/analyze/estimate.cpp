#include "analyze/estimate.hpp"

#include <algorithm>
#include <cmath>

namespace dgen::analyze {

namespace {

constexpr double kSpread = 3;  // standard errors each side

// r = sum(y) / sum(x) estimated from n of N blocks (sampling fraction f), and its standard
// error by the ratio estimator's linearisation: var(r) = (1 - f) / (n xbar^2) * s_d^2 with
// s_d^2 = sum((y - r x)^2) / (n - 1).
double ratio_standard_error(double n, double sx, double sy, double sxx, double syy, double sxy,
                            double f) {
  if (n < 2 || sx <= 0 || f >= 1) return 0;
  const double r = sy / sx;
  const double sd2 = std::max(0.0, (syy - 2 * r * sxy + r * r * sxx) / (n - 1));
  const double xbar = sx / n;
  return std::sqrt(std::max(0.0, 1 - f) / (n * xbar * xbar) * sd2);
}

}  // namespace

std::optional<Estimate> compression_ratio(const SampleSums& s, Compressor c, double fraction) {
  const int i = static_cast<int>(c);
  if (s.blocks == 0 || s.packed[i] == 0) return std::nullopt;
  const double sx = static_cast<double>(s.bytes), sy = static_cast<double>(s.packed[i]);
  const double r = sy / sx;  // compressed per byte
  const double se =
      ratio_standard_error(static_cast<double>(s.blocks), sx, sy, s.xx, s.yy[i], s.xy[i], fraction);
  Estimate e;
  e.value = 1 / r;
  e.low = 1 / (r + kSpread * se);
  e.high = r - kSpread * se > 0 ? 1 / (r - kSpread * se) : INFINITY;
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
  if (k == 0) e.high = kSpread / keep;
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
    const double se = std::sqrt((1 - keep) / keep * c.yy[0] / keep);
    e.low = std::max(sy, e.value - kSpread * se);
    e.high = e.value + kSpread * se;
    return e;
  }
  // Some kept units were not compressed: the distinct bytes (estimated when keep < 1) times
  // the compressed fraction of the distinct units that were.
  const double kb = static_cast<double>(d.bytes);
  const double bytes = kb / std::min(1.0, keep);
  const double rel_bytes =
      keep >= 1 || kb <= 0 ? 0 : std::sqrt((1 - keep) / keep * d.bytes_squared / keep) / bytes;
  const double sx = static_cast<double>(c.bytes);
  const double r = sy / sx;
  const double se_r = ratio_standard_error(static_cast<double>(c.blocks), sx, sy, c.xx, c.yy[0],
                                           c.xy[0], sample / std::min(1.0, keep));
  const double rel = std::sqrt(rel_bytes * rel_bytes + (r > 0 ? se_r * se_r / (r * r) : 0));
  e.value = bytes * r;
  e.low = std::max(0.0, e.value * (1 - kSpread * rel));
  e.high = e.value * (1 + kSpread * rel);
  return e;
}

}  // namespace dgen::analyze
