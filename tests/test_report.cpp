// The report's rendering and the page check, on values made here.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <nlohmann/json.hpp>

#include <string>

#include "buffer/page_buffer.hpp"
#include "buffer/page_locality.hpp"
#include "report/report.hpp"

namespace {

using namespace dgen;

report::Report one_rank_report() {
  report::Report r;
  r.mode = "bench";
  r.ranks = 1;
  r.threads = 1;
  r.iterations.push_back({0.5, 1u << 30, true, 2.1, 2.1, 2.1, 2.1});
  report::RankResult k;
  k.host = "node";
  k.threads = 1;
  k.cpus = {0};
  k.seconds = {0.5};
  k.bytes = {1u << 30};
  k.local_fraction = 1.0;
  r.per_rank.push_back(k);
  return r;
}

// Pages the kernel could not place are unknown, never "100% local".
TEST(PageLocality, PagesWithoutANodeAreUnknownNotLocal) {
  const std::size_t page = buffer::page_size();
  void* p = mmap(nullptr, 16 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  // Never touched: no page exists, move_pages reports -ENOENT for each.
  const auto l = buffer::page_locality(static_cast<std::byte*>(p), 16 * page, {0});
  munmap(p, 16 * page);
  EXPECT_EQ(l.unknown, 16u);
  EXPECT_EQ(l.local + l.remote, 0u);
  EXPECT_FALSE(l.local_fraction().has_value());
  const buffer::Locality mixed{3, 1, 5};
  EXPECT_DOUBLE_EQ(*mixed.local_fraction(), 0.75);
}

TEST(Report, UnknownLocalityIsNullInJsonAndAQuestionMarkInTheTable) {
  auto r = one_rank_report();
  r.per_rank[0].local_fraction.reset();
  r.per_rank[0].pages_unknown = 16;
  const auto j = report::to_json(r);
  EXPECT_TRUE(j["per_rank"][0]["local_fraction"].is_null()) << j["per_rank"][0];
  EXPECT_EQ(j["per_rank"][0]["pages_unknown"], 16);
  const std::string table = report::render_table(r);
  EXPECT_NE(table.find("       ? 0\n"), std::string::npos) << table;
  const std::string csv = report::render_csv(r);
  EXPECT_NE(csv.find(",2.100,0.500000,,,true\n"), std::string::npos) << csv;
  // Round trip, as ranks send their rows to rank 0.
  const auto back = nlohmann::json(r.per_rank[0]).get<report::RankResult>();
  EXPECT_FALSE(back.local_fraction.has_value());
}

// A rank with hundreds of scattered cpus: the row is whole and ends its line.
TEST(Report, ALongCpuListIsNotCut) {
  auto r = one_rank_report();
  r.per_rank[0].cpus.clear();
  for (int c = 0; c < 800; c += 2) r.per_rank[0].cpus.push_back(c);
  const std::string table = report::render_table(r);
  const auto row = table.find(",794,796,798\n");
  ASSERT_NE(row, std::string::npos) << table;
  EXPECT_NE(table.find("0,2,4,6,8,"), std::string::npos);
}

TEST(Report, AnIncompleteRunSaysSoInEveryFormat) {
  auto r = one_rank_report();
  r.complete = false;
  r.stop_signal = 15;
  r.iterations.push_back({0.1, 12345, false, 0.1, 0.1, 0.1, 0.1});
  r.per_rank[0].seconds.push_back(0.1);
  r.per_rank[0].bytes.push_back(12345);
  const auto j = report::to_json(r);
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["stop_signal"], 15);
  EXPECT_FALSE(j["iterations"][1]["complete"].get<bool>());
  const std::string table = report::render_table(r);
  EXPECT_NE(table.find("INCOMPLETE: stopped by signal 15"), std::string::npos) << table;
  EXPECT_NE(table.find("(cut short: 12345 bytes)"), std::string::npos) << table;
  const std::string csv = report::render_csv(r);
  EXPECT_NE(csv.find(",complete\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",12345,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",false\n"), std::string::npos) << csv;
}

}  // namespace
