// The report's rendering and the page check, on values made here.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <nlohmann/json.hpp>

#include <string>

#include "buffer/page_buffer.hpp"
#include "buffer/page_locality.hpp"
#include "report/fill.hpp"
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
  const auto back = report::unpack_rank_result(report::pack(r.per_rank[0]));
  EXPECT_FALSE(back.local_fraction.has_value());
  EXPECT_EQ(back.pages_unknown, 16u);
}

// A rank's row reaches rank 0 as packed numbers: every field comes back as it was, strings with
// any bytes in them, and a cut or padded row is refused rather than read wrong.
TEST(Report, ARanksRowComesBackFromItsPackedBytes) {
  report::RankResult k;
  k.rank = 7;
  k.local_rank = 3;
  k.host = std::string("node\0,\"x\"", 9);
  k.numa_node = -1;
  k.memory_nodes = {1, 3};
  k.cpus = {4, 5, 6, 200};
  k.threads = 4;
  k.binding = "launcher";
  k.simd = "avx2-vaes";
  k.seconds = {0.25, 0.125};
  k.bytes = {1ull << 40, 12345};
  k.gbps = 4.5;
  k.memset_gbps = 6.25;
  k.streaming_gbps = 7.75;
  k.baseline_gbps = 7.75;
  k.first_touch_seconds = 0.0625;
  k.generate_seconds = 1.5;
  k.io_seconds = 2.5;
  k.wall_moved = 17;
  k.wall_bytes = 99;
  k.notice_seconds = 0.001;
  k.local_fraction = 0.875;
  k.pages_unknown = 5;
  k.oversubscribed = true;
  const std::string bytes = report::pack(k);
  EXPECT_EQ(bytes.find('{'), std::string::npos) << "not JSON";
  const auto b = report::unpack_rank_result(bytes);
  EXPECT_EQ(b.rank, 7);
  EXPECT_EQ(b.local_rank, 3);
  EXPECT_EQ(b.host, k.host);
  EXPECT_EQ(b.numa_node, -1);
  EXPECT_EQ(b.memory_nodes, k.memory_nodes);
  EXPECT_EQ(b.cpus, k.cpus);
  EXPECT_EQ(b.threads, 4);
  EXPECT_EQ(b.binding, "launcher");
  EXPECT_EQ(b.simd, "avx2-vaes");
  EXPECT_EQ(b.seconds, k.seconds);
  EXPECT_EQ(b.bytes, k.bytes);
  EXPECT_EQ(b.gbps, 4.5);
  EXPECT_EQ(b.memset_gbps, 6.25);
  EXPECT_EQ(b.streaming_gbps, 7.75);
  EXPECT_EQ(b.baseline_gbps, 7.75);
  EXPECT_EQ(b.first_touch_seconds, 0.0625);
  EXPECT_EQ(b.generate_seconds, 1.5);
  EXPECT_EQ(b.io_seconds, 2.5);
  EXPECT_EQ(b.wall_moved, 17u);
  EXPECT_EQ(b.wall_bytes, 99u);
  EXPECT_EQ(b.notice_seconds, 0.001);
  ASSERT_TRUE(b.local_fraction.has_value());
  EXPECT_EQ(*b.local_fraction, 0.875);
  EXPECT_EQ(b.pages_unknown, 5u);
  EXPECT_TRUE(b.oversubscribed);
  EXPECT_THROW(report::unpack_rank_result(std::string_view(bytes).substr(0, bytes.size() - 1)),
               std::invalid_argument);
  EXPECT_THROW(report::unpack_rank_result(bytes + "x"), std::invalid_argument);
  EXPECT_THROW(report::unpack_rank_result(""), std::invalid_argument);
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

report::Report storage_report(const std::string& layout) {
  auto r = one_rank_report();
  r.mode = "write";
  r.storage = report::Storage{};
  r.storage->path = "/data/x";
  r.storage->layout = layout;
  r.storage->transfer = 1 << 20;
  r.storage->io = "posix";
  return r;
}

// --duration: a run whose ranks all finished before the wall says the wall was not reached and
// gives its rate over the time it took, in every format; one that reached it names the limit
// and the measured time; a dataset's line has files per second.
TEST(Report, AStonewallNotReachedSaysSoInEveryFormat) {
  auto r = storage_report("shared-file");
  report::Stonewall w;
  w.limit_seconds = 10;
  w.reached = false;
  w.seconds = 0.0625;
  w.moved_min = w.moved_max = 4;
  w.moved_mean = 4;
  w.bytes_min = w.bytes = 4 << 20;
  w.gbps = 0.0671;
  w.moved_per_second = 64;
  r.iterations[0].stonewall = w;
  const std::string table = report::render_table(r);
  EXPECT_NE(table.find("stonewall not reached: every rank finished before the 10.000 s limit, "
                       "the last at 0.0625 s"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("0.07 GB/s, 64.00 transfers/s over the measured 0.0625 s"),
            std::string::npos)
      << table;
  EXPECT_EQ(table.find("of the wall"), std::string::npos) << table;
  const auto j = report::to_json(r);
  const auto& s = j["iterations"][0]["stonewall"];
  EXPECT_EQ(s["limit_seconds"], 10.0);
  EXPECT_EQ(s["reached"], false);
  EXPECT_EQ(s["seconds"], 0.0625);
  EXPECT_TRUE(s["notice_seconds"].is_null()) << s;
  const std::string csv = report::render_csv(r);
  EXPECT_NE(csv.find(",stonewall_limit_seconds,stonewall_reached,stonewall_seconds,"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",10.000000,false,0.062500,0.067100,64.000,"), std::string::npos) << csv;

  r.storage->layout = "dataset";
  w.reached = true;
  w.seconds = 10.002;
  w.notice_seconds = 0.002;
  w.moved_per_second = 1234.5;
  r.iterations[0].stonewall = w;
  const std::string walled = report::render_table(r);
  EXPECT_NE(walled.find("stonewall 10.000 s limit reached, ranks stopped by 10.0020 s: 4 to 4 "
                        "(mean 4.0) files per rank"),
            std::string::npos)
      << walled;
  EXPECT_NE(walled.find("stonewalled 0.07 GB/s, 1234.5 files/s; stopped within 0.0020 s"),
            std::string::npos)
      << walled;
}

// Every run parameter that changes a figure is in the report: the access pattern, its seed, the
// strided segments and block, the time limit, wear-out, the engine's options.
TEST(Report, TheStorageParametersAreInEveryFormat) {
  auto r = storage_report("shared-file");
  r.storage->pattern = "random";
  r.storage->order_seed = 77;
  r.storage->duration = 2.5;
  r.storage->wear_out = true;
  r.storage->io = "uring";
  r.storage->iodepth = 8;
  const std::string table = report::render_table(r);
  EXPECT_NE(table.find("\naccess    random, order seed 77, time limit 2.5 s with wear-out\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("uring iodepth 8"), std::string::npos) << table;
  const auto j = report::to_json(r)["storage"];
  EXPECT_EQ(j["pattern"], "random");
  EXPECT_EQ(j["order_seed"], 77);
  EXPECT_TRUE(j["segments"].is_null());
  EXPECT_EQ(j["duration"], 2.5);
  EXPECT_EQ(j["wear_out"], true);
  const std::string csv = report::render_csv(r);
  const std::string header = csv.substr(0, csv.find('\n'));
  const std::string row = csv.substr(csv.find('\n') + 1);
  EXPECT_NE(header.find(",io,iodepth,collective,transfer,direct,fsync,in_place,reorder,resume,"
                        "verify,pattern,order_seed,segments,block,duration_seconds,wear_out,"
                        "phases"),
            std::string::npos)
      << header;
  EXPECT_NE(row.find(",uring,8,,1048576,false,false,false,false,false,false,random,77,,,"
                     "2.500000,true,\n"),
            std::string::npos)
      << row;

  r.storage->pattern = "strided";
  r.storage->order_seed.reset();
  r.storage->segments = 4;
  r.storage->block = 8 << 20;
  r.storage->duration.reset();
  r.storage->wear_out = false;
  EXPECT_NE(report::render_table(r).find("\naccess    strided, 4 segments of 8 MiB per rank\n"),
            std::string::npos)
      << report::render_table(r);
  EXPECT_EQ(report::to_json(r)["storage"]["block"], 8 << 20);
}

// --phases in CSV: a section of its own with a row per phase (stat, read and delete included).
TEST(Report, PhasesHaveTheirOwnCsvRows) {
  auto r = storage_report("dataset");
  r.storage->phases = {"create", "stat", "delete"};
  const char* names[] = {"create", "stat", "delete"};
  for (int k = 0; k < 3; ++k) {
    report::Phase p;
    p.name = names[k];
    p.result.files = 100;
    p.result.seconds = 0.5 * (k + 1);
    p.result.files_per_second = 100 / p.result.seconds;
    r.phases.push_back(p);
  }
  const std::string csv = report::render_csv(r);
  EXPECT_NE(csv.find("\n\nkind,phase,files,seconds,files_per_second,bytes,aggregate_gbps,complete\n"
                     "phase,create,100,0.500000,200.000,0,0.000000,true\n"
                     "phase,stat,100,1.000000,100.000,0,0.000000,true\n"
                     "phase,delete,100,1.500000,66.667,0,0.000000,true\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",create stat delete\n"), std::string::npos) << csv;
}

}  // namespace
