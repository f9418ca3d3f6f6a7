#include "report/latency.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dgen::report {

namespace {

// Regular buckets: the least N with 1 us * 1.01^N >= 1 h (2212).
std::size_t regular_buckets() {
  static const std::size_t n = static_cast<std::size_t>(
      std::ceil(std::log(LatencyHistogram::kHighest / LatencyHistogram::kLowest) /
                std::log(LatencyHistogram::kRatio)));
  return n;
}

// Every edge computed on its own (1 us * 1.01^i with one pow each, no running product that would
// accumulate rounding), then 1 h and +inf; bucket_of() decides against this very table, so a
// value equal to an edge lands in the bucket that edge starts.
const std::vector<double>& edges() {
  static const std::vector<double> table = [] {
    const std::size_t n = regular_buckets();
    std::vector<double> e(n + 2);
    for (std::size_t i = 0; i < n; ++i)
      e[i] = LatencyHistogram::kLowest * std::pow(LatencyHistogram::kRatio, static_cast<double>(i));
    e[n] = LatencyHistogram::kHighest;
    e[n + 1] = std::numeric_limits<double>::infinity();
    return e;
  }();
  return table;
}

// Seconds to whole nanoseconds, saturating (a sum of any job's real latencies stays far below).
std::uint64_t to_ns(double seconds) {
  const double ns = seconds * 1e9;
  if (ns >= 1.8e19) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(ns + 0.5);
}

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(buckets(), 0) {}

std::size_t LatencyHistogram::buckets() { return regular_buckets() + 1; }

double LatencyHistogram::lower_edge(std::size_t i) { return edges().at(i); }

double LatencyHistogram::upper_edge(std::size_t i) { return edges().at(i + 1); }

std::size_t LatencyHistogram::bucket_of(double seconds) {
  const std::size_t n = regular_buckets();
  if (!(seconds >= kLowest)) return 0;  // below 1 us, and NaN
  if (seconds >= kHighest) return n;    // overflow
  const auto& e = edges();
  // The logarithm lands on the right bucket or next to it (rounding at an edge); the table
  // settles it.
  const double guess = std::floor(std::log(seconds / kLowest) / std::log(kRatio));
  std::size_t i = static_cast<std::size_t>(std::clamp(guess, 0.0, static_cast<double>(n - 1)));
  while (i > 0 && seconds < e[i]) --i;
  while (i + 1 < n && seconds >= e[i + 1]) ++i;
  return i;
}

void LatencyHistogram::add(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  ++counts_[bucket_of(seconds)];
  ++count_;
  sum_ns_ += to_ns(seconds);
  min_ = std::min(min_, seconds);
  max_ = std::max(max_, seconds);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double LatencyHistogram::mean() const {
  if (count_ == 0) return 0;
  // Within [min, max], which are exact while the sum is in whole nanoseconds: one value's mean
  // is its min and max (they differed by the rounding to the nanosecond).
  const double mean = static_cast<double>(static_cast<long double>(sum_ns_) / count_ / 1e9L);
  return std::clamp(mean, min_, max_);
}

double LatencyHistogram::mean_ns() const {
  if (count_ == 0) return 0;
  // The same in nanoseconds, within min and max as the report rounds them (min_ns, max_ns).
  const double mean = static_cast<double>(static_cast<long double>(sum_ns_) / count_);
  return std::clamp(mean, std::round(min_ * 1e9), std::round(max_ * 1e9));
}

double LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  // p to millionths of a percent, so that ceil(p/100 * count) is integer arithmetic: 99.9 as a
  // double is a hair above 99.9 and would make the 999th of 1000 values the 1000th.
  constexpr std::uint64_t kWhole = 100'000'000;  // 100% in millionths of a percent
  const double q = p >= 100 ? static_cast<double>(kWhole)
                   : p > 0  ? std::max(1.0, std::round(p * 1e6))
                            : 1.0;  // and NaN
  const NanoSum rank = (static_cast<NanoSum>(q) * count_ + (kWhole - 1)) / kWhole;
  NanoSum seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    // At most max and at least min (both to the nanosecond: an edge may lie between a value
    // and its rounding).
    if (seen >= rank) return std::max(min_, std::min(upper_edge(i), max_));
  }
  return max_;
}

LatencyHistogram LatencyHistogram::from_parts(std::vector<std::uint64_t> counts, NanoSum sum_ns,
                                              double min_raw, double max_raw) {
  if (counts.size() != buckets())
    throw std::invalid_argument("latency histogram: " + std::to_string(counts.size()) +
                                " counts, expected " + std::to_string(buckets()));
  LatencyHistogram h;
  h.counts_ = std::move(counts);
  h.count_ = 0;
  for (std::uint64_t c : h.counts_) h.count_ += c;
  if (h.count_ > 0) {
    h.sum_ns_ = sum_ns;
    h.min_ = min_raw;
    h.max_ = max_raw;
  }
  return h;
}

Latency summarize(const std::string& op, const LatencyHistogram& h) {
  Latency l;
  l.op = op;
  l.count = h.count();
  l.min = h.min();
  l.mean = h.mean();
  l.mean_ns = h.mean_ns();
  l.max = h.max();
  for (double p : kReportedPercentiles) l.percentiles.emplace_back(p, h.percentile(p));
  const auto& counts = h.counts();
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0)
      l.histogram.emplace_back(std::min(LatencyHistogram::upper_edge(i), h.max()), counts[i]);
  }
  return l;
}

}  // namespace dgen::report
