// The latency histogram (its buckets, percentiles and merges) and the bandwidth timeline.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "report/latency.hpp"
#include "report/timeline.hpp"

namespace {

using dgen::report::LatencyHistogram;
using dgen::report::Timeline;

constexpr double kUs = 1e-6;

TEST(LatencyHistogram, BucketEdgesAreContiguousAndAtMostOnePercentWideFrom1usTo1h) {
  const std::size_t n = LatencyHistogram::buckets();
  ASSERT_GT(n, 2000u);
  ASSERT_LT(n, 2300u);  // 1.01^i from 1 us to 1 h is 2212 buckets, plus the overflow
  EXPECT_EQ(LatencyHistogram::lower_edge(0), 1e-6);
  EXPECT_EQ(LatencyHistogram::upper_edge(n - 2), 3600.0);
  EXPECT_EQ(LatencyHistogram::lower_edge(n - 1), 3600.0);
  EXPECT_TRUE(std::isinf(LatencyHistogram::upper_edge(n - 1)));
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const double lo = LatencyHistogram::lower_edge(i), hi = LatencyHistogram::upper_edge(i);
    ASSERT_EQ(hi, LatencyHistogram::lower_edge(i + 1)) << i;
    ASSERT_GT(hi, lo) << i;
    // 1.01 exactly, up to the rounding of each edge.
    ASSERT_LE((hi - lo) / lo, 0.01 * (1 + 1e-12)) << i;
    if (i + 2 < n) {  // the last one ends at 1 h
      ASSERT_NEAR(hi / lo, 1.01, 1e-12) << i;
    }
  }
}

TEST(LatencyHistogram, ValuesLandInTheBucketWhoseEdgesHoldThemEdgesIncluded) {
  const std::size_t n = LatencyHistogram::buckets();
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const double lo = LatencyHistogram::lower_edge(i), hi = LatencyHistogram::upper_edge(i);
    ASSERT_EQ(LatencyHistogram::bucket_of(lo), i) << i;
    ASSERT_EQ(LatencyHistogram::bucket_of(std::nextafter(lo, hi)), i) << i;
    ASSERT_EQ(LatencyHistogram::bucket_of(std::nextafter(hi, lo)), i) << i;
    ASSERT_EQ(LatencyHistogram::bucket_of(std::sqrt(lo * hi)), i) << i;
  }
  // Below 1 us (and what is no latency): the first bucket; from 1 h on: the overflow.
  for (double x :
       {0.0, 0.5e-6, std::nextafter(1e-6, 0.0), -1.0, std::numeric_limits<double>::quiet_NaN()})
    EXPECT_EQ(LatencyHistogram::bucket_of(x), 0u) << x;
  for (double x : {3600.0, 3601.0, 1e12, std::numeric_limits<double>::infinity()})
    EXPECT_EQ(LatencyHistogram::bucket_of(x), n - 1) << x;
  LatencyHistogram h;
  h.add(0.25 * kUs);
  h.add(LatencyHistogram::lower_edge(700));
  h.add(7200);
  EXPECT_EQ(h.counts()[0], 1u);
  EXPECT_EQ(h.counts()[700], 1u);
  EXPECT_EQ(h.counts()[n - 1], 1u);
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.min(), 0.25 * kUs);  // exact, though its bucket starts at 1 us
  EXPECT_EQ(h.max(), 7200.0);      // exact, though its bucket has no end
  EXPECT_EQ(h.percentile(100), 7200.0);
  EXPECT_EQ(h.percentile(1), LatencyHistogram::upper_edge(0));
  // p outside (0, 100]: clamped to the first and the last value.
  EXPECT_EQ(h.percentile(0), LatencyHistogram::upper_edge(0));
  EXPECT_EQ(h.percentile(std::numeric_limits<double>::quiet_NaN()),
            LatencyHistogram::upper_edge(0));
  EXPECT_EQ(h.percentile(150), 7200.0);
}

TEST(LatencyHistogram, AnEmptyOneReportsZeros) {
  const LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0);
  EXPECT_EQ(h.percentile(50), 0);
  EXPECT_EQ(h.counts().size(), LatencyHistogram::buckets());
}

TEST(LatencyHistogram, PercentilesOfAUniformDistribution) {
  LatencyHistogram h;
  for (int us = 1; us <= 100000; ++us) h.add(us * kUs);
  EXPECT_EQ(h.count(), 100000u);
  // The bucket's upper edge: at or above the true value, within its 1%.
  EXPECT_GE(h.percentile(50), 50000 * kUs);
  EXPECT_LE(h.percentile(50), 50000 * kUs * 1.01);
  EXPECT_GE(h.percentile(99), 99000 * kUs);
  EXPECT_LE(h.percentile(99), 99000 * kUs * 1.01);
  EXPECT_NEAR(h.percentile(90), 90000 * kUs, 900 * kUs);
  EXPECT_EQ(h.percentile(100), 100000 * kUs);  // never above max, which is exact
  EXPECT_EQ(h.max(), 100000 * kUs);
  EXPECT_EQ(h.min(), 1 * kUs);
  EXPECT_DOUBLE_EQ(h.mean(), 50000.5 * kUs);  // whole nanoseconds: exact
  // Percentiles do not decrease.
  double last = 0;
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    EXPECT_GE(h.percentile(p), last) << p;
    last = h.percentile(p);
  }
}

TEST(LatencyHistogram, PercentilesOfATail) {
  // 1% of the transfers take 50 ms, the rest 100 us.
  LatencyHistogram h;
  for (int i = 0; i < 99000; ++i) h.add(100 * kUs);
  for (int i = 0; i < 1000; ++i) h.add(0.05);
  EXPECT_NEAR(h.percentile(50), 100 * kUs, 1 * kUs);
  EXPECT_NEAR(h.percentile(99), 100 * kUs, 1 * kUs);  // the 99000th value is still 100 us
  EXPECT_NEAR(h.percentile(99.9), 0.05, 0.0005);
  EXPECT_EQ(h.percentile(99.99), 0.05);  // capped at max
  EXPECT_EQ(h.max(), 0.05);
}

// ceil(p/100 * count) in integers: 99.9 as a double is a hair above 99.9, and taken as it is
// would pick the 1000th of 1000 values instead of the 999th.
TEST(LatencyHistogram, ThePercentileRankIsExact) {
  LatencyHistogram h;
  for (int i = 0; i < 999; ++i) h.add(1e-3);
  h.add(1.0);
  EXPECT_LT(h.percentile(99.9), 1.02e-3);
  EXPECT_EQ(h.percentile(99.99), 1.0);
  EXPECT_EQ(h.percentile(99.90001), 1.0);
}

TEST(LatencyHistogram, MergeEqualsTheHistogramOfTheUnion) {
  std::mt19937_64 rng(42);
  // Log-uniform from 0.1 us to 3 h: below the first edge, across all, into the overflow.
  std::uniform_real_distribution<double> exponent(-7, std::log10(3 * 3600.0));
  LatencyHistogram a, b, all;
  for (int i = 0; i < 20000; ++i) {
    const double x = std::pow(10.0, exponent(rng));
    (i % 3 == 0 ? a : b).add(x);
    all.add(x);
  }
  LatencyHistogram merged = a;
  merged.merge(b);
  EXPECT_EQ(merged.counts(), all.counts());
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_TRUE(merged.sum_ns() == all.sum_ns());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_EQ(merged.mean(), all.mean());
  for (double p : dgen::report::kReportedPercentiles)
    EXPECT_EQ(merged.percentile(p), all.percentile(p)) << p;
  // An empty one changes nothing, either way round.
  LatencyHistogram empty;
  empty.merge(a);
  EXPECT_EQ(empty.min(), a.min());
  EXPECT_EQ(empty.max(), a.max());
  a.merge(LatencyHistogram());
  EXPECT_EQ(empty.counts(), a.counts());
  EXPECT_EQ(empty.min(), a.min());
}

TEST(LatencyHistogram, RebuiltFromItsPartsItIsTheSame) {
  LatencyHistogram h;
  for (double x : {3e-6, 4e-5, 0.2, 0.2}) h.add(x);
  const auto back = LatencyHistogram::from_parts(h.counts(), h.sum_ns(), h.min_raw(), h.max_raw());
  EXPECT_EQ(back.counts(), h.counts());
  EXPECT_EQ(back.count(), 4u);
  EXPECT_EQ(back.mean(), h.mean());
  EXPECT_EQ(back.min(), 3e-6);
  EXPECT_EQ(back.max(), 0.2);
  const auto empty = LatencyHistogram::from_parts(LatencyHistogram().counts(), 0,
                                                  std::numeric_limits<double>::infinity(),
                                                  -std::numeric_limits<double>::infinity());
  EXPECT_EQ(empty.count(), 0u);
  EXPECT_EQ(empty.min(), 0);
  EXPECT_THROW(LatencyHistogram::from_parts({1, 2, 3}, 0, 0, 0), std::invalid_argument);
}

TEST(Timeline, BytesCountInTheIntervalTheyCompletedIn) {
  Timeline t(0.5, 100);
  t.add(100.0, 1);
  t.add(100.49, 2);
  t.add(100.5, 4);  // an edge starts the next interval
  t.add(101.9, 8);
  t.add(99, 16);  // before the start: the first
  EXPECT_EQ(t.bytes(), (std::vector<std::uint64_t>{19, 4, 0, 8}));
  EXPECT_EQ(t.interval(), 0.5);
  EXPECT_EQ(t.start_time(), 100);
  Timeline far(1, 0);
  far.add(1e30, 1);
  far.add(std::numeric_limits<double>::quiet_NaN(), 2);
  EXPECT_EQ(far.bytes().size(), Timeline::kMaxIntervals);
  EXPECT_EQ(far.bytes().back(), 1u);
  EXPECT_EQ(far.bytes().front(), 2u);
}

TEST(Timeline, MergeSumsPerIntervalOverRowsOfAnyLength) {
  Timeline a(1, 0), b(1, 0);
  a.add(0.5, 10);
  b.add(0.1, 1);
  b.add(2.5, 5);
  a.merge(b);
  EXPECT_EQ(a.bytes(), (std::vector<std::uint64_t>{11, 0, 5}));
  b.merge(Timeline(1, 0));
  EXPECT_EQ(b.bytes(), (std::vector<std::uint64_t>{1, 0, 5}));
  EXPECT_THROW(a.merge(Timeline(2, 0)), std::invalid_argument);
  EXPECT_THROW(a.merge(Timeline(1, 3)), std::invalid_argument);
  EXPECT_THROW(Timeline(0, 0), std::invalid_argument);
  EXPECT_THROW(Timeline(-1, 0), std::invalid_argument);
}

}  // namespace
