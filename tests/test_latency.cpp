// The latency histogram and the bandwidth timeline, and how the report prints them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "report/latency.hpp"
#include "report/report.hpp"
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

dgen::report::Report storage_report() {
  dgen::report::Report r;
  r.mode = "write";
  r.iterations.push_back({0.5, 1u << 30, true, 2.1, 2.1, 2.1, 2.1});
  dgen::report::RankResult k;
  k.host = "node";
  k.threads = 1;
  k.cpus = {0};
  k.seconds = {0.5};
  k.bytes = {1u << 30};
  r.per_rank.push_back(k);
  r.storage = dgen::report::Storage{};
  r.storage->path = "/tmp/x";
  return r;
}

dgen::report::Report report_with_latency() {
  auto r = storage_report();
  LatencyHistogram write, fsync;
  for (int i = 0; i < 99; ++i) write.add(100 * kUs);
  write.add(0.05);
  fsync.add(0.002);
  r.latency.push_back(dgen::report::summarize("write", write));
  r.latency.push_back(dgen::report::summarize("fsync", fsync));
  return r;
}

TEST(ReportLatency, NoneRecordedPrintsNothingAndIsNullInJson) {
  const auto r = storage_report();
  EXPECT_EQ(dgen::report::render_table(r).find("latency"), std::string::npos);
  EXPECT_EQ(dgen::report::render_csv(r).find("latency"), std::string::npos);
  const auto j = dgen::report::to_json(r);
  ASSERT_TRUE(j.contains("latency"));
  EXPECT_TRUE(j["latency"].is_null());
  ASSERT_TRUE(j.contains("timeline"));
  EXPECT_TRUE(j["timeline"].is_null());
  EXPECT_EQ(dgen::report::render_timeline_csv(r), "rank,interval_start_seconds,bytes,gbps\n");
}

TEST(ReportLatency, JsonHasNanosecondsAsFioAndTheNonEmptyBuckets) {
  const auto j = dgen::report::to_json(report_with_latency());
  const auto& w = j["latency"]["write"];
  EXPECT_EQ(w["count"], 100);
  EXPECT_EQ(w["min_ns"], 100000);
  EXPECT_EQ(w["max_ns"], 50000000);
  EXPECT_NEAR(w["mean_ns"].get<double>(), (99 * 100e3 + 50e6) / 100, 1e-6);
  const auto& p = w["percentiles_ns"];
  ASSERT_EQ(p.size(), 5u);
  for (const char* key : {"50.000000", "90.000000", "99.000000", "99.900000", "99.990000"})
    ASSERT_TRUE(p.contains(key)) << key << p;
  EXPECT_NEAR(p["50.000000"].get<double>(), 100000, 1000);
  EXPECT_NEAR(p["99.000000"].get<double>(), 100000, 1000);
  EXPECT_EQ(p["99.900000"], 50000000);  // capped at max
  // [upper edge ns, count] of the non-empty buckets: the exact CDF.
  ASSERT_EQ(w["histogram"].size(), 2u) << w["histogram"];
  EXPECT_EQ(w["histogram"][0][1], 99);
  EXPECT_NEAR(w["histogram"][0][0].get<double>(), 100000, 1000);
  EXPECT_EQ(w["histogram"][1], nlohmann::ordered_json::array({50000000, 1}));
  EXPECT_EQ(j["latency"]["fsync"]["count"], 1);
  // Printed in the order recorded.
  EXPECT_EQ(j["latency"].begin().key(), "write");
}

TEST(ReportLatency, TableHasABlockInMicroseconds) {
  const std::string t = dgen::report::render_table(report_with_latency());
  const auto head = t.find("latency (us) op");
  ASSERT_NE(head, std::string::npos) << t;
  const std::string block = t.substr(head);
  for (const char* col : {"count", "min", "mean", "p50", "p90", "p99", "p99.9", "p99.99", "max"})
    EXPECT_NE(block.find(col), std::string::npos) << col << "\n" << t;
  EXPECT_NE(block.find("write"), std::string::npos) << t;
  EXPECT_NE(block.find("fsync"), std::string::npos) << t;
  EXPECT_NE(block.find("50000.00\n"), std::string::npos) << t;  // write's max
  EXPECT_NE(block.find("2000.00\n"), std::string::npos) << t;   // fsync's max
}

TEST(ReportLatency, CsvHasALatencySectionAfterAnEmptyLine) {
  const std::string csv = dgen::report::render_csv(report_with_latency());
  const auto gap = csv.find("\n\n");
  ASSERT_NE(gap, std::string::npos) << csv;
  EXPECT_EQ(csv.find("latency"), csv.find("\nlatency,") + 1) << "nothing before the section";
  std::istringstream section(csv.substr(gap + 2));
  std::string header, write, fsync, more;
  std::getline(section, header);
  std::getline(section, write);
  std::getline(section, fsync);
  EXPECT_FALSE(std::getline(section, more));
  EXPECT_EQ(header, "kind,op,count,min_ns,mean_ns,max_ns,p50_ns,p90_ns,p99_ns,p99.9_ns,p99.99_ns");
  EXPECT_EQ(write.rfind("latency,write,100,100000,", 0), 0u) << write;
  EXPECT_EQ(write.substr(write.rfind(',')), ",50000000");
  EXPECT_EQ(fsync,
            "latency,fsync,1,2000000,2000000.0,2000000,2000000,2000000,2000000,2000000,"
            "2000000");
}

TEST(ReportTimeline, JsonAndCsvHaveEveryRanksIntervals) {
  auto r = storage_report();
  r.timeline = dgen::report::Timelines{0.5, {{1000000000, 500000000}, {250000000}}};
  const auto j = dgen::report::to_json(r);
  EXPECT_EQ(j["timeline"]["interval_seconds"], 0.5);
  EXPECT_EQ(j["timeline"]["ranks"],
            nlohmann::ordered_json::parse("[[1000000000, 500000000], [250000000]]"));
  EXPECT_EQ(dgen::report::render_timeline_csv(r),
            "rank,interval_start_seconds,bytes,gbps\n"
            "0,0.000000,1000000000,2.000000\n"
            "0,0.500000,500000000,1.000000\n"
            "1,0.000000,250000000,0.500000\n");
}

}  // namespace

// One call: its min, mean and max are one number in every format. The mean came from a sum of
// whole nanoseconds and the min from the exact value, so they differed by a fraction
// (12.3449999 us: min 12.34, mean 12.35 in the table; min_ns 12345 against mean_ns 12345.000...2).
TEST(ReportLatency, OneCallHasItsMinMeanAndMaxEqualInEveryFormat) {
  for (double v : {12.3449999 * kUs, 1000.0004 * kUs, 0.25 * kUs, 3.3333333333, 0.1}) {
    SCOPED_TRACE(v);
    LatencyHistogram h;
    h.add(v);
    EXPECT_EQ(h.min(), h.mean());
    EXPECT_EQ(h.max(), h.mean());
    auto r = storage_report();
    r.latency.push_back(dgen::report::summarize("write", h));
    const auto j = dgen::report::to_json(r);
    const auto& w = j["latency"]["write"];
    EXPECT_EQ(w["min_ns"].get<double>(), w["mean_ns"].get<double>()) << w;
    EXPECT_EQ(w["max_ns"].get<double>(), w["mean_ns"].get<double>()) << w;
    // The table's row: count, min, mean, the percentiles and max, all the same figure.
    const std::string t = dgen::report::render_table(r);
    const auto row = t.find("write ", t.find("latency (us)"));
    ASSERT_NE(row, std::string::npos) << t;
    std::istringstream fields(t.substr(row, t.find('\n', row) - row));
    std::string op, count, min, mean, value, max;
    fields >> op >> count >> min >> mean;
    while (fields >> value) max = value;
    EXPECT_EQ(mean, min) << t;
    EXPECT_EQ(max, min) << t;
    // The CSV's row: min_ns, mean_ns and max_ns.
    const std::string csv = dgen::report::render_csv(r);
    const auto at = csv.find("latency,write,");
    ASSERT_NE(at, std::string::npos) << csv;
    std::vector<std::string> cells;
    std::istringstream line(csv.substr(at, csv.find('\n', at) - at));
    for (std::string c; std::getline(line, c, ',');) cells.push_back(c);
    ASSERT_GE(cells.size(), 6u);
    EXPECT_EQ(std::stod(cells[3]), std::stod(cells[4])) << csv;
    EXPECT_EQ(cells[3], cells[5]) << csv;
  }
}
