// --analyze against an independent checker (tests/analyze_check.py: BLAKE2b instead of XXH3,
// Python's zstandard and zlib modules and liblz4 through ctypes instead of this program's C++):
// on dgen data of several dedup and compression ratios and units, on fio's dedupe/compress data
// (and fio-dedupe's own count), on real data no one here made (a slice of a tar of /usr/share),
// on a directory tree with empty, partial, zero-filled files, links and a FIFO. The figures are
// the same for 1 to 4 ranks; --sample and the memory estimator give intervals that hold the
// exact figure; bad paths end the job with one line and exit code 2. A file that several paths
// name (twice, through a directory, by a hard link) is read once; a file or directory that cannot
// be read is skipped, counted and named, and the job exits 2 after the whole report.
// A sparse file's holes are counted as zeros without being read: 1 TiB in about a second.
// Empty input has no ratios.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <xxhash.h>

#include "analyze/dataset.hpp"
#include "analyze/estimate.hpp"
#include "analyze/scan.hpp"
#include "analyze/xxh3_targets.hpp"
#include "run_binary.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::kBinary;
using dgen::test::run_json;
using dgen::test::run_shell;

const std::string kChecker =
    std::string("/usr/bin/python3 ") + DGEN_SOURCE_DIR + "/tests/analyze_check.py";
const std::string kMpirun = dgen::test::mpirun_within(300);

using Scratch = dgen::test::ScratchDir;

// Writes dgen_mpi's stream with `options` (its --size and data options) to `path`.
bool write_stream(const std::string& path, const std::string& options) {
  const auto r = run_shell(kBinary + " " + options + " --output " + path);
  EXPECT_EQ(r.exit_code, 0) << options << "\n" << r.err;
  return r.exit_code == 0;
}

nlohmann::json analyze(const std::string& paths, const std::string& options, int ranks = 1) {
  const std::string launch = ranks == 1 ? "" : kMpirun + "-n " + std::to_string(ranks) + " ";
  return run_json(launch + kBinary + " --threads 2 --format json " + options + " --analyze " +
                  paths)["analyze"];
}

nlohmann::json check(const std::string& paths, const std::string& units, std::uint64_t chunk) {
  return run_json(kChecker + " --units " + units + " --chunk " + std::to_string(chunk) + " " +
                  paths);
}

// Every figure the checker computes equals the report's, exactly.
void expect_agrees(const nlohmann::json& ours, const nlohmann::json& theirs,
                   const std::string& what) {
  ASSERT_TRUE(ours.is_object()) << what;
  EXPECT_EQ(ours["bytes"], theirs["bytes"]) << what;
  EXPECT_EQ(ours["files"], theirs["files"]) << what;
  EXPECT_EQ(ours["skipped"], theirs["skipped"]) << what;
  EXPECT_EQ(ours["same_file_skipped"], theirs["same_file_skipped"]) << what;
  EXPECT_EQ(ours["unreadable"]["count"], theirs["unreadable"]) << what;
  for (const auto& [unit, t] : theirs["units"].items()) {
    const auto& o = ours["units"][unit];
    ASSERT_TRUE(o.is_object()) << what << " unit " << unit;
    for (const char* key : {"units", "bytes", "distinct", "zero_units"})
      EXPECT_EQ(o[key], t[key]) << what << " unit " << unit << " " << key;
    if (t["dedup_ratio"].is_null()) {
      EXPECT_TRUE(o["dedup_ratio"].is_null()) << what << " unit " << unit;
    } else {
      EXPECT_DOUBLE_EQ(o["dedup_ratio"].get<double>(), t["dedup_ratio"].get<double>()) << what;
    }
    if (t.contains("compressed_bytes")) {
      EXPECT_EQ(o["compressed"]["compressed_bytes"], t["compressed_bytes"])
          << what << " unit " << unit;
      EXPECT_EQ(o["stored_bytes"], t["stored_bytes"]) << what << " unit " << unit;
      for (const char* c : {"zstd", "lz4", "zlib"}) {
        if (t["compress"][c].is_null()) {
          EXPECT_TRUE(o["compress"][c].is_null()) << what << " unit " << unit << " " << c;
        } else {
          EXPECT_DOUBLE_EQ(o["compress"][c].get<double>(), t["compress"][c].get<double>())
              << what << " unit " << unit << " " << c;
        }
      }
    }
  }
  if (!theirs["chunks"].is_null()) {
    EXPECT_EQ(ours["chunks"]["count"], theirs["chunks"]["count"]) << what;
    EXPECT_EQ(ours["chunks"]["compressed"]["compressed_bytes"],
              theirs["chunks"]["compressed_bytes"])
        << what;
  }
}

// The report's figures without the timings and memory, which differ between runs.
nlohmann::json figures(nlohmann::json a) {
  for (const char* k :
       {"seconds", "gbps", "read_seconds", "hash_seconds", "compress_seconds", "exchange_seconds",
        "count_seconds", "compressor_seconds", "memory", "hash"})
    a.erase(k);
  return a;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// ---------------------------------------------------------------- the library's pure parts

TEST(AnalyzeShare, RanksTakeEveryByteOnceCutAtTheAlignment) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<dgen::analyze::InputFile> files(1 + rng() % 6);
    for (auto& f : files) f.size = rng() % 3 == 0 ? rng() % 5000 : rng() % (1 << 22);
    const std::uint64_t alignment = 1ULL << (12 + rng() % 9);
    for (int ranks = 1; ranks <= 5; ++ranks) {
      std::vector<std::uint64_t> covered(files.size(), 0);
      for (int r = 0; r < ranks; ++r) {
        for (const auto& e : dgen::analyze::share_of(files, r, ranks, alignment)) {
          ASSERT_LT(e.file, files.size());
          EXPECT_EQ(e.begin, covered[e.file]) << "rank " << r << " starts where the last ended";
          EXPECT_TRUE(e.begin % alignment == 0) << "cut inside a unit";
          EXPECT_TRUE(e.end % alignment == 0 || e.end == files[e.file].size);
          covered[e.file] = e.end;
        }
      }
      for (std::size_t i = 0; i < files.size(); ++i) EXPECT_EQ(covered[i], files[i].size);
    }
  }
}

TEST(AnalyzeScan, DerivedFingerprintsCountDistinctUnitsAsTheirBytesDo) {
  // Units built from a few 512-byte blocks, so that equal 4 KiB units share parts and unequal
  // ones differ in one part only; a partial unit at the end.
  std::mt19937_64 rng(9);
  std::vector<std::string> parts;
  for (int i = 0; i < 4; ++i) parts.push_back(random_bytes(512, 100 + i));
  std::string data;
  while (data.size() < (1 << 20)) data += parts[rng() % parts.size()];
  data += parts[0].substr(0, 300);
  dgen::analyze::ScanSettings s;
  s.units = {512, 1024, 4096};
  s.chunk = 4096;
  s.sample = 0;
  dgen::analyze::Scanner scanner(s);
  std::vector<dgen::analyze::LevelTally> levels;
  dgen::analyze::LevelTally chunks;
  std::vector<dgen::analyze::UnitRecord> out;
  scanner.scan(reinterpret_cast<const std::byte*>(data.data()), data.size(), levels, chunks, out);
  for (std::size_t k = 0; k < s.units.size(); ++k) {
    std::set<std::string> by_bytes;
    std::set<std::pair<std::uint64_t, std::uint64_t>> by_fingerprint;
    for (std::size_t at = 0; at < data.size(); at += s.units[k])
      by_bytes.insert(data.substr(at, s.units[k]));
    for (const auto& r : out)
      if (r.level() == static_cast<int>(k)) by_fingerprint.insert({r.fp.hi, r.fp.lo});
    EXPECT_EQ(by_fingerprint.size(), by_bytes.size()) << "unit " << s.units[k];
    EXPECT_EQ(levels[k].units, (data.size() + s.units[k] - 1) / s.units[k]);
    EXPECT_EQ(levels[k].sample.blocks, 0u) << "--sample 0 compresses nothing";
  }
}

// Every compiled XXH3 variant the CPU runs against libxxhash, the reference, at every length up
// to 2 KiB (XXH3's short, mid and long paths) and at unit sizes, at odd addresses.
TEST(AnalyzeXxh3, EveryTargetEqualsLibxxhash) {
  const std::string data = random_bytes((1 << 20) + 64, 11);
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 2048; ++n) lengths.push_back(n);
  for (std::size_t n : {4095, 4096, 4097, 65536, 100000, 1 << 20}) lengths.push_back(n);
  int ran = 0;
  for (const auto& t : dgen::analyze::xxh3_targets()) {
    if (!t.supported) continue;
    ++ran;
    for (std::size_t n : lengths) {
      for (std::size_t at : {0, 3}) {
        const XXH128_hash_t want = XXH3_128bits(data.data() + at, n);
        std::uint64_t hi = 0, lo = 0;
        t.hash(data.data() + at, n, &hi, &lo);
        ASSERT_EQ(hi, want.high64) << t.name << " length " << n;
        ASSERT_EQ(lo, want.low64) << t.name << " length " << n;
      }
    }
  }
  EXPECT_GE(ran, 1);
  std::printf("XXH3 targets checked: %d; chosen: %s\n", ran, dgen::analyze::xxh3_best().name);
}

TEST(AnalyzeScan, ThresholdTakesItsFraction) {
  std::mt19937_64 rng(3);
  for (double f : {0.0, 0.01, 0.25, 0.5, 1.0}) {
    const dgen::analyze::Threshold t(f);
    int taken = 0;
    for (int i = 0; i < 100000; ++i) taken += t.takes(rng()) ? 1 : 0;
    EXPECT_NEAR(taken / 100000.0, f, 0.01) << f;
  }
}

TEST(AnalyzeEstimate, OneSampledBlockGivesNoFiniteInterval) {
  dgen::analyze::LevelTally t;
  t.units = 100;
  t.bytes = 100 * 4096;
  t.sample.add(4096, {1000, 2000, 1500});
  const auto e = dgen::analyze::compression_ratio(t, dgen::analyze::Compressor::kZstd, 0.01);
  ASSERT_TRUE(e.has_value());
  EXPECT_DOUBLE_EQ(e->value, 4.096);
  EXPECT_EQ(e->low, 1.0) << "one block says nothing of the others";
  EXPECT_TRUE(std::isinf(e->high));
  // Zero blocks are exact: with every other block sampled the ratio is exact too.
  dgen::analyze::LevelTally z;
  z.units = 3;
  z.bytes = 3 * 4096;
  z.zero_units = 2;
  z.zero_bytes = 2 * 4096;
  z.zero_packed = {20, 30, 40};
  z.sample.add(4096, {1000, 2000, 1500});
  const auto x = dgen::analyze::compression_ratio(z, dgen::analyze::Compressor::kLz4, 1);
  ASSERT_TRUE(x.has_value());
  EXPECT_DOUBLE_EQ(x->value, 3 * 4096.0 / 2030);
  EXPECT_EQ(x->low, x->value);
  EXPECT_FALSE(dgen::analyze::compression_ratio(z, dgen::analyze::Compressor::kLz4, 0));
}

// A hole counted without bytes gives what reading its zeros gives: every tally, and the same
// records (the zero units' fingerprints, lengths and compressed sizes), whole units and a
// file's partial last one, with and without compression and the estimator's threshold.
// Sampled chunks grouped by fingerprint: a chunk's copies are one group whose totals are squared,
// so the interval's n counts distinct chunks and its spread sees their weight.
TEST(AnalyzeEstimate, CopiesOfAChunkAreOneGroup) {
  using dgen::analyze::ChunkSample;
  const dgen::analyze::Fingerprint a{1, 2}, b{3, 4};
  std::vector<ChunkSample> chunks = {{a, 100, {10, 20, 30}},
                                     {b, 100, {50, 60, 70}},
                                     {a, 100, {10, 20, 30}},
                                     {a, 100, {10, 20, 30}}};
  const auto s = dgen::analyze::grouped_sums(chunks);
  EXPECT_EQ(s.blocks, 4u);
  EXPECT_EQ(s.groups, 2u);
  EXPECT_EQ(s.bytes, 400u);
  EXPECT_EQ(s.packed[0], 80u);
  EXPECT_TRUE(s.xx == 300 * 300 + 100 * 100);
  EXPECT_TRUE(s.yy[0] == 30 * 30 + 50 * 50);
  EXPECT_TRUE(s.xy[0] == 300 * 30 + 100 * 50);
  EXPECT_TRUE(s.xx1 == 100 * 100 + 100 * 100) << "one copy of each";
}

TEST(AnalyzeScan, ZerosCountedWithoutBytesEqualZerosRead) {
  using dgen::analyze::LevelTally;
  using dgen::analyze::UnitRecord;
  auto records = [](const std::vector<UnitRecord>& out) {
    std::set<std::tuple<std::uint64_t, std::uint64_t, std::uint32_t, std::uint32_t>> set;
    for (const auto& r : out) set.insert({r.fp.hi, r.fp.lo, r.length_level, r.zstd});
    return set;
  };
  auto same = [](const LevelTally& a, const LevelTally& b) {
    return a.units == b.units && a.bytes == b.bytes && a.zero_units == b.zero_units &&
           a.zero_bytes == b.zero_bytes && a.zero_packed == b.zero_packed &&
           a.sample.blocks == b.sample.blocks && a.sample.bytes == b.sample.bytes;
  };
  int checked = 0;
  for (double sample : {1.0, 0.0}) {
    for (double keep : {1.0, 0.5}) {
      dgen::analyze::ScanSettings st;
      st.units = {512, 4096, 65536};
      st.chunk = 16384;
      st.sample = sample;
      st.keep = keep;
      const std::uint64_t a = st.alignment();
      for (std::uint64_t n : {a, 3 * a, 3 * a + 1000, a + 4096 + 17, std::uint64_t{777}}) {
        dgen::analyze::Scanner read(st), counted(st);
        std::vector<LevelTally> read_levels, counted_levels;
        LevelTally read_chunks, counted_chunks;
        std::vector<UnitRecord> read_out, counted_out;
        const std::vector<std::byte> zeros(n);
        for (std::uint64_t at = 0; at < n; at += a)  // as a rank reads it: piece by piece
          read.scan(zeros.data() + at, std::min(a, n - at), read_levels, read_chunks, read_out);
        counted.scan_zeros(n, counted_levels, counted_chunks, counted_out);
        const std::string what = "n " + std::to_string(n) + " sample " + std::to_string(sample) +
                                 " keep " + std::to_string(keep);
        ASSERT_EQ(read_levels.size(), counted_levels.size()) << what;
        for (std::size_t k = 0; k < read_levels.size(); ++k)
          EXPECT_TRUE(same(read_levels[k], counted_levels[k])) << what << " level " << k;
        EXPECT_TRUE(same(read_chunks, counted_chunks)) << what << " chunks";
        EXPECT_EQ(records(read_out), records(counted_out)) << what;
        EXPECT_EQ(read_out.size(), counted_out.size()) << what << ": each zero unit sent once";
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 20);
}

// Shares of sparse files: every byte (holes too) goes to exactly one rank, cut at the alignment,
// and each rank has about 1/ranks of the bytes to read, not of the file's size.
TEST(AnalyzeShare, SparseFilesAreSplitByTheirData) {
  using dgen::analyze::InputFile;
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 200; ++trial) {
    const std::uint64_t alignment = 1ULL << (12 + rng() % 9);
    std::vector<InputFile> files(1 + rng() % 5);
    for (auto& f : files) {
      f.size = rng() % 4 == 0 ? rng() % 5000 : 1 + rng() % (1ULL << 34);
      if (rng() % 3 == 0) continue;  // dense
      f.sparse = true;
      for (std::uint64_t at = rng() % (f.size / 2 + 1); at < f.size;) {
        const std::uint64_t len = std::min<std::uint64_t>(f.size - at, 1 + rng() % (1 << 22));
        f.data.push_back({at, at + len});
        at += len + 1 + rng() % (f.size / 3 + 1);
      }
    }
    std::uint64_t work = 0;
    for (const auto& f : files)
      for (const auto& r : dgen::analyze::data_runs(f, alignment)) work += r.end - r.begin;
    for (int ranks = 1; ranks <= 5; ++ranks) {
      std::vector<std::uint64_t> covered(files.size(), 0);
      for (int r = 0; r < ranks; ++r) {
        std::uint64_t mine = 0;
        for (const auto& e : dgen::analyze::share_of(files, r, ranks, alignment)) {
          ASSERT_LT(e.file, files.size());
          EXPECT_EQ(e.begin, covered[e.file]) << "rank " << r << " starts where the last ended";
          EXPECT_TRUE(e.begin % alignment == 0) << "cut inside a unit";
          EXPECT_TRUE(e.end % alignment == 0 || e.end == files[e.file].size);
          covered[e.file] = e.end;
          for (const auto& run : dgen::analyze::data_runs(files[e.file], alignment)) {
            const std::uint64_t lo = std::max(run.begin, e.begin), hi = std::min(run.end, e.end);
            mine += hi > lo ? hi - lo : 0;
          }
        }
        if (work > 0) {
          // Each of its two cuts moved back by less than the alignment.
          EXPECT_LE(mine, work / ranks + 2 * alignment) << "rank " << r << " of " << ranks;
          EXPECT_GE(mine + 2 * alignment, work / ranks) << "rank " << r << " of " << ranks;
        }
      }
      for (std::size_t i = 0; i < files.size(); ++i) EXPECT_EQ(covered[i], files[i].size);
    }
  }
}

// ---------------------------------------------------------------- against the checker

TEST(Analyze, DgenDataAgreesWithTheChecker) {
  Scratch s("analyze-dgen");
  int checked = 0;
  for (const char* unit : {"512", "4KiB", "64KiB"}) {
    for (const char* dedup : {"1", "2", "3.7"}) {
      for (const char* compress : {"1", "2.5"}) {
        const std::string path = s.dir + "/d.bin";
        ASSERT_TRUE(write_stream(path, std::string("--size 4MiB --threads 2 --dedup-unit ") + unit +
                                           " --dedup-ratio " + dedup + " --compress-ratio " +
                                           compress));
        const std::string what =
            std::string("unit ") + unit + " dedup " + dedup + " compress " + compress;
        const auto ours = analyze(path, "--analyze-units 512,4KiB,64KiB --analyze-chunk 64KiB");
        expect_agrees(ours, check(path, "512,4096,65536", 65536), what);
        ++checked;
        // The data's own unit: the generator's ratio, as the data model promises (4 MiB holds
        // 64 units of 64 KiB, too few for the ratio's precision).
        const std::string u = unit == std::string("512")    ? "512"
                              : unit == std::string("4KiB") ? "4096"
                                                            : "65536";
        if (u != "65536") {
          EXPECT_NEAR(ours["units"][u]["dedup_ratio"].get<double>(), std::stod(dedup),
                      0.03 * std::stod(dedup))
              << what;
        }
      }
    }
  }
  EXPECT_EQ(checked, 18);
}

TEST(Analyze, FioDedupeDataAgreesWithTheCheckerAndFioDedupe) {
  Scratch s("analyze-fio");
  const std::string path = s.dir + "/fio.bin";
  const auto w = run_shell("fio --name=f --filename=" + path +
                           " --rw=write --bs=4k --size=8M --dedupe_percentage=60 "
                           "--buffer_compress_percentage=50 --refill_buffers --randseed=7");
  ASSERT_EQ(w.exit_code, 0) << w.out << w.err;
  const auto ours = analyze(path, "--analyze-units 4KiB,16KiB");
  expect_agrees(ours, check(path, "4096,16384", 1 << 20), "fio data");
  // fio's own tool, exact mode (-c 1: full comparison, no bloom filter).
  const auto f = run_shell("fio-dedupe -b 4096 -c 1 -t 1 " + path);
  const auto at = f.out.find("Unique extents=");
  ASSERT_NE(at, std::string::npos) << f.out << f.err;
  EXPECT_EQ(ours["units"]["4096"]["distinct"].get<std::uint64_t>(),
            std::stoull(f.out.substr(at + 15)));
  EXPECT_GT(ours["units"]["4096"]["dedup_ratio"].get<double>(), 1.5);
}

// Real data: the first 64 MiB of a tar of /usr/share (the build machine's), 2 ranks.
TEST(Analyze, RealDataAgreesWithTheChecker) {
  Scratch s("analyze-real");
  const std::string path = s.dir + "/usr-share.tar";
  const auto t = run_shell("tar -cf - -C / usr/share 2>/dev/null | head -c 64M > " + path);
  ASSERT_GE(fs::file_size(path), 32u << 20) << t.err;
  const auto ours = analyze(path, "--analyze-units 4KiB,32KiB,128KiB", 2);
  expect_agrees(ours, check(path, "4096,32768,131072", 1 << 20), "usr/share tar");
  EXPECT_GT(ours["units"]["4096"]["compress"]["zstd"].get<double>(), 1.5) << "text compresses";
}

// A tree: empty, 1-byte, partial-unit and zero-filled files, a hole, nested directories, a
// symbolic link and a FIFO (skipped); the same figures from 1, 2, 3 and 4 ranks.
TEST(Analyze, TreeIsTheSameForAnyRankCount) {
  Scratch s("analyze-tree");
  fs::create_directories(s.dir + "/a/b");
  fs::create_directories(s.dir + "/c");
  write_bytes(s.dir + "/empty", "");
  write_bytes(s.dir + "/one", "x");
  const std::string block = random_bytes(65536, 1);
  write_bytes(s.dir + "/a/copy1", block + block.substr(0, 5000));
  write_bytes(s.dir + "/a/b/copy2", block + block + std::string(70000, '\0'));
  write_bytes(s.dir + "/a/b/zeros", std::string(300000, '\0'));
  write_bytes(s.dir + "/c/random", random_bytes(3 << 20, 2));
  write_bytes(s.dir + "/c/text", [] {
    std::string t;
    for (int i = 0; i < 40000; ++i) t += "line " + std::to_string(i % 977) + " of some text\n";
    return t;
  }());
  ASSERT_EQ(run_shell("truncate -s 2M " + s.dir + "/c/sparse").exit_code, 0);
  fs::create_symlink(s.dir + "/c/random", s.dir + "/link");
  ASSERT_EQ(mkfifo((s.dir + "/fifo").c_str(), 0600), 0);
  const std::string units = "--analyze-units 512,4KiB,64KiB,1MiB --analyze-chunk 128KiB";
  const auto one = analyze(s.dir, units, 1);
  expect_agrees(one, check(s.dir, "512,4096,65536,1048576", 131072), "tree");
  EXPECT_EQ(one["skipped"], 2) << "the link and the FIFO";
  EXPECT_EQ(one["files"], 8);
  EXPECT_GT(one["units"]["4096"]["zero_units"].get<int>(), 500);
  for (int ranks = 2; ranks <= 4; ++ranks)
    EXPECT_EQ(figures(analyze(s.dir, units, ranks)), figures(one)) << ranks << " ranks";
  for (const char* threads : {"1", "3"}) {
    const auto r = run_json(kBinary + " --format json --threads " + std::string(threads) + " " +
                            units + " --analyze " + s.dir);
    EXPECT_EQ(figures(r["analyze"]), figures(one)) << threads << " threads";
  }
}

TEST(Analyze, SampleIsTheSameForAnyRankCountAndItsIntervalHoldsTheExactRatio) {
  Scratch s("analyze-sample");
  const std::string path = s.dir + "/d.bin";
  ASSERT_TRUE(write_stream(path, "--size 16MiB --dedup-ratio 2 --compress-ratio 3"));
  const std::string opts = "--analyze-units 4KiB,64KiB --sample 0.25";
  const auto one = analyze(path, opts, 1);
  EXPECT_EQ(figures(analyze(path, opts, 3)), figures(one));
  const auto exact = analyze(path, "--analyze-units 4KiB,64KiB");
  for (const char* unit : {"4096", "65536"}) {
    const auto& u = one["units"][unit];
    const double share = u["compressed"]["blocks"].get<double>() / u["units"].get<double>();
    EXPECT_NEAR(share, 0.25, 0.06) << unit;
    EXPECT_EQ(u["distinct"], exact["units"][unit]["distinct"]) << "dedup is over every unit";
    for (const char* c : {"zstd", "lz4", "zlib"}) {
      const double truth = exact["units"][unit]["compress"][c];
      const auto& iv = u["compressed"]["interval"][c];
      EXPECT_LE(iv[0].get<double>(), truth) << unit << " " << c;
      EXPECT_GE(iv[1].get<double>(), truth) << unit << " " << c;
    }
    const double stored = exact["units"][unit]["stored_bytes"];
    EXPECT_LE(u["stored_bytes_interval"][0].get<double>(), stored) << unit;
    EXPECT_GE(u["stored_bytes_interval"][1].get<double>(), stored) << unit;
  }
  // --sample 0: deduplication only.
  const auto none = analyze(path, "--analyze-units 4KiB --sample 0");
  EXPECT_TRUE(none["units"]["4096"]["compress"]["zstd"].is_null());
  EXPECT_TRUE(none["units"]["4096"]["stored_bytes"].is_null());
  EXPECT_EQ(none["units"]["4096"]["distinct"], exact["units"]["4096"]["distinct"]);
}

// A chunk of `n` bytes whose first `random` bytes are random and the rest one repeated word:
// its compressibility is set by `random`.
std::string chunk_of(std::size_t n, std::size_t random, std::mt19937_64& rng) {
  std::string c(n, '\0');
  for (std::size_t i = 0; i < random; ++i) c[i] = static_cast<char>(rng());
  const std::uint64_t word = rng();
  for (std::size_t i = random; i < n; ++i) c[i] = static_cast<char>(word >> (8 * (i % 8)));
  return c;
}

// Chunks are sampled by fingerprint, so every copy of a chunk is in the sample or none is: the
// copies are one draw, not many. A directory where most bytes are copies of a few chunks (the
// same files copied several times) plus unique ones: the interval of --sample 0.1 holds the
// exact ratio, for several data sets, and the report says how many distinct chunks it drew.
TEST(Analyze, SampledChunkIntervalHoldsTheExactRatioWhereChunksRepeat) {
  constexpr std::size_t kChunk = 16 << 10;
  for (unsigned seed : {1u, 2u, 3u, 4u}) {
    SCOPED_TRACE(seed);
    Scratch s("analyze-copies");
    std::mt19937_64 rng(seed);
    // 20 distinct chunks, each nearly incompressible or nearly all one word, in one file
    // copied 30 times: 60 % of the chunks.
    std::string popular;
    for (int i = 0; i < 20; ++i)
      popular += chunk_of(kChunk, rng() % 2 ? kChunk - 64 : 64 + rng() % 512, rng);
    fs::create_directory(s.dir + "/copies");
    for (int k = 0; k < 30; ++k) write_bytes(s.dir + "/copies/c" + std::to_string(k), popular);
    // 400 unique chunks of every compressibility.
    std::string unique;
    for (int i = 0; i < 400; ++i) unique += chunk_of(kChunk, rng() % kChunk, rng);
    write_bytes(s.dir + "/unique", unique);
    const std::string opts = "--analyze-units 4KiB --analyze-chunk 16KiB";
    const auto exact = analyze(s.dir, opts);
    const auto sampled = analyze(s.dir, opts + " --sample 0.1");
    ASSERT_EQ(exact["chunks"]["count"], 1000);
    for (const char* c : {"zstd", "lz4", "zlib"}) {
      const double truth = exact["chunks"][c].get<double>();
      const auto& iv = sampled["chunks"]["compressed"]["interval"][c];
      ASSERT_TRUE(iv.is_array()) << sampled["chunks"];
      EXPECT_LE(iv[0].get<double>(), truth) << c << " " << sampled["chunks"];
      // No finite upper bound is written as null.
      if (!iv[1].is_null()) EXPECT_GE(iv[1].get<double>(), truth) << c << " " << sampled["chunks"];
      std::printf("seed %u %s: exact %.3f, sampled %.3f in [%.3f, %s]\n", seed, c, truth,
                  sampled["chunks"][c].get<double>(), iv[0].get<double>(),
                  iv[1].is_null() ? "inf" : std::to_string(iv[1].get<double>()).c_str());
    }
    const auto& drawn = sampled["chunks"]["compressed"];
    EXPECT_LT(drawn["distinct_blocks"].get<std::uint64_t>(), drawn["blocks"].get<std::uint64_t>())
        << drawn;
  }
}

// Zero units share one fingerprint: a sample by fingerprint would take all or none of them. They
// are counted exactly instead, so a mostly-zero image sampled at 10 % still gets its ratio.
TEST(Analyze, SampleOfAMostlyZeroImageCountsTheZerosExactly) {
  Scratch s("analyze-zeros");
  const std::string path = s.dir + "/image.bin";
  const auto w = run_shell(kBinary + " --size 6MiB --compress-ratio 2 --output " + s.dir +
                           "/d.bin && truncate -s 20MiB " + path + " && dd if=" + s.dir +
                           "/d.bin of=" + path + " bs=1M seek=7 conv=notrunc status=none");
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const auto exact = analyze(path, "--analyze-units 4KiB,64KiB");
  const auto sampled = analyze(path, "--analyze-units 4KiB,64KiB --sample 0.1");
  for (const char* unit : {"4096", "65536"}) {
    const auto& e = exact["units"][unit];
    const auto& u = sampled["units"][unit];
    EXPECT_GT(e["zero_units"].get<double>() / e["units"].get<double>(), 0.65) << unit;
    for (const char* c : {"zstd", "lz4", "zlib"}) {
      const double truth = e["compress"][c];
      const auto& iv = u["compressed"]["interval"][c];
      EXPECT_LE(iv[0].get<double>(), truth) << unit << " " << c;
      EXPECT_GE(iv[1].get<double>(), truth) << unit << " " << c;
      EXPECT_NEAR(u["compress"][c].get<double>(), truth, 0.1 * truth) << unit << " " << c;
    }
  }
}

TEST(Analyze, EstimatorWhenFingerprintsDoNotFitHoldsTheExactFigures) {
  Scratch s("analyze-estimator");
  const std::string path = s.dir + "/d.bin";
  ASSERT_TRUE(write_stream(path, "--size 64MiB --dedup-ratio 2.5 --compress-ratio 2"));
  const auto exact = analyze(path, "--analyze-units 4KiB");
  const auto r = run_shell(kBinary + " --threads 2 --analyze " + path +
                           " --analyze-units 4KiB --analyze-chunk 64KiB --analyze-memory 2300KiB");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ESTIMATED"), std::string::npos) << r.out;
  const auto est =
      analyze(path, "--analyze-units 4KiB --analyze-chunk 64KiB --analyze-memory 2300KiB");
  EXPECT_TRUE(est["estimated"].get<bool>());
  EXPECT_LT(est["keep"].get<double>(), 1);
  EXPECT_GT(est["keep"].get<double>(), 0);
  const auto& u = est["units"]["4096"];
  const double distinct = exact["units"]["4096"]["distinct"];
  EXPECT_LE(u["distinct_interval"][0].get<double>(), distinct);
  EXPECT_GE(u["distinct_interval"][1].get<double>(), distinct);
  const double stored = exact["units"]["4096"]["stored_bytes"];
  EXPECT_LE(u["stored_bytes_interval"][0].get<double>(), stored);
  EXPECT_GE(u["stored_bytes_interval"][1].get<double>(), stored);
  EXPECT_EQ(u["units"], exact["units"]["4096"]["units"]) << "units are always counted";
  // The estimator with a compression sample too: distinct units scaled up, and stored bytes
  // from the distinct bytes and the sampled units' compressed share.
  const auto both = analyze(path,
                            "--analyze-units 4KiB --analyze-chunk 64KiB --analyze-memory "
                            "2300KiB --sample 0.1");
  const auto& b = both["units"]["4096"];
  EXPECT_LT(both["keep"].get<double>(), 1);
  EXPECT_LE(b["stored_bytes_interval"][0].get<double>(), stored);
  EXPECT_GE(b["stored_bytes_interval"][1].get<double>(), stored);
  EXPECT_LE(b["distinct_interval"][0].get<double>(), distinct);
  EXPECT_GE(b["distinct_interval"][1].get<double>(), distinct);
  // Memory that the read buffers alone exceed: refused before reading.
  const auto tiny =
      run_shell(kBinary + " --threads 2 --analyze " + path + " --analyze-memory 4KiB");
  EXPECT_EQ(tiny.exit_code, 2);
  EXPECT_NE(tiny.err.find("--analyze-memory 4 KiB"), std::string::npos) << tiny.err;
}

// A block device (a loop device over a file) gives the file's figures, read once however many
// paths name it; table and CSV carry them.
TEST(Analyze, BlockDeviceTableAndCsv) {
  Scratch s("analyze-blockdev");
  const std::string path = s.dir + "/d.bin";
  ASSERT_TRUE(write_stream(path, "--size 8MiB --dedup-ratio 2 --compress-ratio 2"));
  const auto loop = run_shell("losetup -r -f --show " + path);
  if (loop.exit_code != 0) GTEST_SKIP() << "no loop device here: " << loop.err;
  const std::string device = loop.out.substr(0, loop.out.find('\n'));
  struct Detach {
    std::string device;
    ~Detach() { run_shell("losetup -d " + device); }
  } detach{device};
  const std::string units = "--analyze-units 4KiB,64KiB";
  auto from_device = figures(analyze(device, units));
  auto from_file = figures(analyze(path, units));
  EXPECT_EQ(from_device["paths"][0], device);
  from_device.erase("paths");
  from_file.erase("paths");
  EXPECT_EQ(from_device, from_file);
  // The device named twice and by a second node of the same device number: read once.
  struct stat st {};
  ASSERT_EQ(stat(device.c_str(), &st), 0);
  const std::string node = s.dir + "/node";
  ASSERT_EQ(mknod(node.c_str(), S_IFBLK | 0600, st.st_rdev), 0) << node;
  auto thrice = figures(analyze(device + " " + node + " " + device, units));
  EXPECT_EQ(thrice["files"], 1);
  EXPECT_EQ(thrice["same_file_skipped"], 2);
  thrice.erase("paths");
  thrice["same_file_skipped"] = 0;
  EXPECT_EQ(thrice, from_file) << "the device's figures, once";
  const auto table = run_shell(kBinary + " --threads 2 " + units + " --analyze " + device);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("mode      analyze " + device + " (1 file, 8 MiB, 8388608 bytes)"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("every fingerprint counted"), std::string::npos) << table.out;
  const auto csv = run_shell(kBinary + " --threads 2 --format csv " + units + " --analyze " + path);
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::vector<std::string> rows;
  for (std::size_t a = 0, b; a < csv.out.size(); a = b + 1) {
    b = csv.out.find('\n', a);
    rows.push_back(csv.out.substr(a, b - a));
  }
  ASSERT_EQ(rows.size(), 4u) << csv.out;  // header, two unit sizes, the chunks
  EXPECT_EQ(rows[0].rfind("mode,kind,size,units,bytes,distinct,", 0), 0u) << rows[0];
  EXPECT_EQ(rows[1].rfind("analyze,unit,4096,2048,8388608,", 0), 0u) << rows[1];
  EXPECT_EQ(rows[3].rfind("analyze,chunk,1048576,8,8388608,", 0), 0u) << rows[3];
}

TEST(Analyze, SigtermReportsWhatWasAnalyzed) {
  Scratch s("analyze-sigterm");
  const std::string path = s.dir + "/d.bin";
  ASSERT_TRUE(write_stream(path, "--size 512MiB --compress-ratio 2"));
  // Every unit compressed at six sizes: the signal comes once the progress line counts the
  // first pieces analyzed, long before the last.
  dgen::test::Background run(kBinary + " --threads 2 --format json --progress --analyze " + path);
  ASSERT_TRUE(run.wait_for([&] { return dgen::test::progress_bytes(run.err()) > 0; }, 120))
      << run.err();
  run.signal(SIGTERM);
  const auto r = run.wait(120);
  EXPECT_EQ(r.exit_code, 143) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["stop_signal"], 15);
  const auto bytes = j["analyze"]["bytes"].get<std::uint64_t>();
  EXPECT_GT(bytes, 0u);
  EXPECT_LT(bytes, 512u << 20);
  EXPECT_EQ(j["analyze"]["units"]["4096"]["units"].get<std::uint64_t>() * 4096, bytes)
      << "the figures cover the pieces analyzed, each whole";
}

TEST(Analyze, BadPathsEndTheJobWithOneLine) {
  Scratch s("analyze-bad");
  for (int ranks : {1, 2}) {
    const std::string launch = ranks == 1 ? "" : kMpirun + "-n 2 ";
    const auto missing = run_shell(launch + kBinary + " --analyze " + s.dir + "/nothing");
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find(s.dir + "/nothing: cannot stat: No such file or directory"),
              std::string::npos)
        << missing.err;
    const auto device = run_shell(launch + kBinary + " --analyze /dev/null");
    EXPECT_EQ(device.exit_code, 2);
    EXPECT_NE(device.err.find("/dev/null: not a regular file, directory or block device"),
              std::string::npos)
        << device.err;
  }
}

// Bytes written at these offsets of a file of `size` bytes, the rest left as holes (the file
// system allocates the blocks the bytes fall in: holes start and end at its block size).
void write_sparse(const std::string& path, std::uint64_t size,
                  const std::vector<std::pair<std::uint64_t, std::string>>& islands) {
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0) << path;
  for (const auto& [at, bytes] : islands) {
    ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(at)),
              static_cast<ssize_t>(bytes.size()))
        << path;
  }
  ::close(fd);
}

// A path named twice, a directory and a file in it both named, two hard links to one file:
// each file is read once (the first in walk order), the others counted as the same file. The
// checker finds the same files by their own (st_dev, st_ino); 1, 2 and 3 ranks agree.
TEST(Analyze, EachFileIsReadOncePerDeviceAndInode) {
  Scratch s("analyze-same-file");
  fs::create_directories(s.dir + "/d/sub");
  write_bytes(s.dir + "/d/r", random_bytes(1 << 20, 21));
  write_bytes(s.dir + "/d/sub/x", random_bytes(1 << 20, 22));
  fs::create_hard_link(s.dir + "/d/sub/x", s.dir + "/d/sub/hl");  // listed first: "hl" < "x"
  const std::string paths = s.dir + "/d/r " + s.dir + "/d/r " + s.dir + "/d " + s.dir + "/d/sub/x";
  const std::string units = "--analyze-units 4KiB,64KiB";
  const auto one = analyze(paths, units);
  expect_agrees(one, check(paths, "4096,65536", 1 << 20), "same files");
  EXPECT_EQ(one["files"], 2);
  EXPECT_EQ(one["same_file_skipped"], 4) << "d/r twice more, d/sub/x and the named d/sub/x";
  EXPECT_EQ(one["bytes"], 2 << 20);
  for (const char* u : {"4096", "65536"})
    EXPECT_DOUBLE_EQ(one["units"][u]["dedup_ratio"].get<double>(), 1.0)
        << "random data, unit " << u;
  for (int ranks : {2, 3})
    EXPECT_EQ(figures(analyze(paths, units, ranks)), figures(one)) << ranks << " ranks";
  const auto table = run_shell(kBinary + " --threads 2 " + units + " --analyze " + paths);
  EXPECT_NE(table.out.find("same file 4 paths name a file already read"), std::string::npos)
      << table.out;
}

// A sparse file (256 MiB with data at unaligned offsets, pieces partly hole, a last partial
// unit in a hole) and a 16 MiB file whose last partial units lie in a hole: the figures are the
// checker's, which reads every byte; the holes are counted, not read; 1, 2 and 3 ranks agree.
TEST(Analyze, SparseFileAgreesWithTheCheckerWithoutReadingItsHoles) {
  Scratch s("analyze-sparse");
  const std::string island = random_bytes(70000, 31);
  write_sparse(s.dir + "/sparse", (256ULL << 20) + 1234,
               {{12345, random_bytes(5000, 32)},
                {(100ULL << 20) + 4097, island},
                {(200ULL << 20) - 2, "xyz"},  // across a piece boundary
                {(255ULL << 20) + 7, island}});
  write_sparse(s.dir + "/tail", (16ULL << 20) + 1000, {{0, random_bytes(4096, 33)}});
  const std::string units = "--analyze-units 4KiB,64KiB --analyze-chunk 256KiB";
  const auto one = analyze(s.dir, units);
  expect_agrees(one, check(s.dir, "4096,65536", 256 << 10), "sparse");
  // Read: the pieces of 256 KiB (the chunk) that hold data, 5 of the sparse file and 1 of the
  // tail (for a file system's blocks of up to 256 KiB); every other piece is a hole, the two
  // files' partial last ones too.
  EXPECT_EQ(one["hole_bytes"].get<std::uint64_t>(),
            one["bytes"].get<std::uint64_t>() - 6 * (256 << 10));
  for (int ranks : {2, 3})
    EXPECT_EQ(figures(analyze(s.dir, units, ranks)), figures(one)) << ranks << " ranks";
}

// A 1 TiB sparse file with a few MiB of data analyzes in seconds with little memory. Its
// figures follow from the checker's for a 16 MiB file with the same data at the same offsets:
// the other 1 TiB - 16 MiB are whole zero units and chunks, each compressed as a zero block of
// that size (which the checker gives for a 1 MiB file of zeros), none a new distinct unit.
TEST(Analyze, ATebibyteSparseFileTakesSecondsAndLittleMemory) {
  Scratch s("analyze-tebibyte");
  const std::vector<std::pair<std::uint64_t, std::string>> islands = {
      {12345, random_bytes(5000, 41)},
      {(3ULL << 20) + 4097, random_bytes(70000, 42)},
      {(9ULL << 20) - 2, random_bytes(2 << 20, 43)}};
  const std::uint64_t small = 16ULL << 20, big = 1ULL << 40, extra = big - small;
  fs::create_directories(s.dir + "/small");
  write_sparse(s.dir + "/small/f", small, islands);
  write_sparse(s.dir + "/big", big, islands);
  write_bytes(s.dir + "/zeros", std::string(1 << 20, '\0'));
  const std::string units = "--analyze-units 4KiB,64KiB,1MiB";
  const auto r = run_shell("/usr/bin/time -f '%e s %M KiB' " + kBinary +
                           " --threads 2 --format json " + units + " --analyze " + s.dir + "/big");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ours = nlohmann::json::parse(r.out)["analyze"];
  std::string time = r.err.substr(r.err.rfind('\n', r.err.size() - 2) + 1);
  time.pop_back();  // its newline
  const double seconds = std::stod(time);
  const auto rss_kib = std::stoull(time.substr(time.find(" s ") + 3));
  std::printf("1 TiB sparse: %s planned %llu bytes per rank\n", time.c_str(),
              ours["memory"]["per_rank"].get<unsigned long long>());
  EXPECT_LT(rss_kib, 256u << 10) << "resident memory";
  EXPECT_LT(ours["memory"]["per_rank"].get<std::uint64_t>(), 64u << 20) << "planned memory";
  EXPECT_LT(seconds, 60) << "old builds read the 1 TiB of zeros";
  EXPECT_GE(ours["hole_bytes"].get<std::uint64_t>(), extra);
  const auto base = check(s.dir + "/small", "4096,65536,1048576", 1 << 20);
  const auto zeros = check(s.dir + "/zeros", "4096,65536,1048576", 1 << 20);
  EXPECT_EQ(ours["bytes"], big);
  for (const char* unit : {"4096", "65536", "1048576"}) {
    const auto& b = base["units"][unit];
    const auto& o = ours["units"][unit];
    const std::uint64_t more = extra / std::stoull(unit);
    ASSERT_GT(b["zero_units"].get<std::uint64_t>(), 0u) << "the small file has a zero unit";
    EXPECT_EQ(o["units"], b["units"].get<std::uint64_t>() + more) << unit;
    EXPECT_EQ(o["zero_units"], b["zero_units"].get<std::uint64_t>() + more) << unit;
    EXPECT_EQ(o["distinct"], b["distinct"]) << unit;
    EXPECT_EQ(o["stored_bytes"], b["stored_bytes"]) << unit;
    // The units counted here (the file's length over the unit) over the distinct units the
    // checker hashed: nothing from the report itself.
    EXPECT_DOUBLE_EQ(o["dedup_ratio"].get<double>(),
                     static_cast<double>(big / std::stoull(unit)) / b["distinct"].get<double>())
        << unit;
    for (const char* c : {"zstd", "lz4", "zlib"}) {
      const auto per_zero_unit = zeros["units"][unit]["compressed_bytes"][c].get<std::uint64_t>() /
                                 zeros["units"][unit]["units"].get<std::uint64_t>();
      const std::uint64_t packed =
          b["compressed_bytes"][c].get<std::uint64_t>() + more * per_zero_unit;
      EXPECT_EQ(o["compressed"]["compressed_bytes"][c], packed) << unit << " " << c;
      EXPECT_DOUBLE_EQ(o["compress"][c].get<double>(), static_cast<double>(big) / packed)
          << unit << " " << c;
    }
  }
  const std::uint64_t more_chunks = extra >> 20;
  EXPECT_EQ(ours["chunks"]["count"], base["chunks"]["count"].get<std::uint64_t>() + more_chunks);
  for (const char* c : {"zstd", "lz4", "zlib"}) {
    EXPECT_EQ(ours["chunks"]["compressed"]["compressed_bytes"][c],
              base["chunks"]["compressed_bytes"][c].get<std::uint64_t>() +
                  more_chunks * zeros["chunks"]["compressed_bytes"][c].get<std::uint64_t>())
        << c;
  }
}

// A directory made to hold files nobody else may read, readable itself by the user "nobody";
// removed with everything in it.
struct OpenScratch {
  OpenScratch() {
    char tmpl[] = "/tmp/dgen-analyze-open-XXXXXX";
    dir = mkdtemp(tmpl) != nullptr ? tmpl : "";
    if (!dir.empty()) chmod(dir.c_str(), 0755);
  }
  ~OpenScratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);  // root's removal ignores the modes
  }
  OpenScratch(const OpenScratch&) = delete;
  OpenScratch& operator=(const OpenScratch&) = delete;
  std::string dir;
};

// A file and a directory among readable ones that the user cannot read (as root: run as
// nobody): skipped, counted and named, the figures those of the rest (the checker, as the same
// user, leaves them out too), exit code 2 after the whole report, in JSON, table and CSV, for
// 1 and 2 ranks. --strict ends the job at the first with one line. A named block device the
// user cannot open gives the same exit code 2.
TEST(Analyze, UnreadablePathsAreSkippedCountedAndNamed) {
  OpenScratch s;
  ASSERT_FALSE(s.dir.empty());
  // As nobody, in the scratch directory: mpirun starts its ranks in the current directory, and
  // nobody may not enter the build's.
  const std::string as_user =
      "cd " + s.dir + " && " +
      (geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "");
  if (geteuid() == 0 && run_shell("command -v setpriv").exit_code != 0)
    GTEST_SKIP() << "no setpriv to drop root";
  const std::string t = s.dir + "/t";
  fs::create_directories(t + "/c");
  fs::create_directories(t + "/e");
  write_bytes(t + "/a", random_bytes(1 << 20, 51));
  write_bytes(t + "/b", random_bytes(100000, 52));
  write_bytes(t + "/c/d", random_bytes(300000, 53) + random_bytes(300000, 53));
  write_bytes(t + "/e/f", random_bytes(5000, 54));
  for (const char* p : {"/a", "/c/d", "/e/f"}) chmod((t + p).c_str(), 0644);
  chmod((t + "/c").c_str(), 0755);
  chmod(t.c_str(), 0755);
  chmod((t + "/b").c_str(), 0);
  chmod((t + "/e").c_str(), 0);
  // The program and the checker run from here: the checkout may be where nobody may go.
  const std::string binary = s.dir + "/dgen_mpi";
  const std::string checker = "/usr/bin/python3 " + s.dir + "/analyze_check.py";
  fs::copy_file(kBinary, binary);
  fs::copy_file(std::string(DGEN_SOURCE_DIR) + "/tests/analyze_check.py",
                s.dir + "/analyze_check.py");
  chmod(binary.c_str(), 0755);
  chmod((s.dir + "/analyze_check.py").c_str(), 0644);
  const std::string units = " --analyze-units 4KiB,64KiB --analyze ";
  for (int ranks : {1, 2}) {
    const std::string launch = ranks == 1 ? "" : kMpirun + "-n 2 ";
    const auto r = run_shell(as_user + launch + binary + " --threads 1 --format json" + units + t);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "the whole report: " << r.out << r.err;
    EXPECT_TRUE(j["complete"].get<bool>());
    const auto& a = j["analyze"];
    const auto theirs = run_json(as_user + checker + " --units 4096,65536 " + t);
    expect_agrees(a, theirs, std::to_string(ranks) + " ranks");
    EXPECT_EQ(a["files"], 2);
    EXPECT_EQ(a["unreadable"]["count"], 2);
    EXPECT_EQ(a["unreadable"]["exit_code"], 2);
    ASSERT_EQ(a["unreadable"]["first"].size(), 2u) << a["unreadable"];
    EXPECT_EQ(a["unreadable"]["first"][0]["path"], t + "/b") << "walk order";
    EXPECT_EQ(a["unreadable"]["first"][0]["error"], "cannot open: Permission denied");
    EXPECT_EQ(a["unreadable"]["first"][0]["offset"], 0);
    EXPECT_EQ(a["unreadable"]["first"][1]["path"], t + "/e");
    EXPECT_EQ(a["unreadable"]["first"][1]["error"], "cannot read the directory: Permission denied");
    EXPECT_TRUE(a["unreadable"]["first"][1]["offset"].is_null());
    EXPECT_NE(r.err.find("dgen_mpi: --analyze: 2 paths could not be read and were skipped, the "
                         "first " +
                         t + "/b: cannot open: Permission denied; the report covers the rest"),
              std::string::npos)
        << r.err;
  }
  const auto table = run_shell(as_user + binary + " --threads 1" + units + t);
  EXPECT_EQ(table.exit_code, 2);
  EXPECT_NE(table.out.find("UNREADABLE 2 paths skipped (exit code 2)"), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("  " + t + "/e: cannot read the directory: Permission denied\n"),
            std::string::npos)
      << table.out;
  const auto csv = run_shell(as_user + binary + " --threads 1 --format csv" + units + t);
  EXPECT_EQ(csv.exit_code, 2);
  EXPECT_NE(csv.out.find("\nanalyze,unreadable," + std::string(22, ',') + t +
                         "/b,cannot open: Permission denied\n"),
            std::string::npos)
      << csv.out;
  EXPECT_NE(csv.out.find(",0,2,0,,\n"), std::string::npos) << "same_file_skipped, unreadable, "
                                                              "hole_bytes on a unit row: "
                                                           << csv.out;
  // --strict: the walk meets the directory first; a named file at its open.
  const auto strict = run_shell(as_user + binary + " --threads 1 --strict" + units + t);
  EXPECT_EQ(strict.exit_code, 2);
  EXPECT_TRUE(strict.out.empty()) << strict.out;
  EXPECT_EQ(strict.err.rfind("dgen_mpi: rank 0 (", 0), 0u) << strict.err;
  EXPECT_NE(
      strict.err.find("): --analyze " + t + "/e: cannot read the directory: Permission denied\n"),
      std::string::npos)
      << strict.err;
  EXPECT_EQ(std::count(strict.err.begin(), strict.err.end(), '\n'), 1) << strict.err;
  const auto strict_file =
      run_shell(as_user + binary + " --threads 1 --strict" + units + t + "/a " + t + "/b");
  EXPECT_EQ(strict_file.exit_code, 2);
  EXPECT_TRUE(strict_file.out.empty()) << strict_file.out;
  EXPECT_NE(strict_file.err.find("open " + t + "/b: Permission denied"), std::string::npos)
      << strict_file.err;
  EXPECT_EQ(std::count(strict_file.err.begin(), strict_file.err.end(), '\n'), 1) << strict_file.err;
  // A block device the user may not open (a loop device: root's, mode 0660): the same code.
  if (geteuid() != 0) GTEST_SKIP() << "the loop device case needs root (losetup)";
  const auto loop = run_shell("losetup -r -f --show " + t + "/a");
  if (loop.exit_code != 0) GTEST_SKIP() << "no loop device here: " << loop.err;
  const std::string device = loop.out.substr(0, loop.out.find('\n'));
  struct Detach {
    std::string device;
    ~Detach() { run_shell("losetup -d " + device); }
  } detach{device};
  const auto dev =
      run_shell(as_user + binary + " --threads 1 --format json" + units + t + "/a " + device);
  EXPECT_EQ(dev.exit_code, 2) << dev.err;
  const auto d = nlohmann::json::parse(dev.out, nullptr, false);
  ASSERT_FALSE(d.is_discarded()) << dev.out << dev.err;
  EXPECT_EQ(d["analyze"]["unreadable"]["first"][0]["path"], device);
  EXPECT_EQ(d["analyze"]["unreadable"]["first"][0]["error"], "cannot open: Permission denied");
}

// Empty files (and an empty directory) are no data: no ratio of nothing, "no data" in the
// table, exit 0.
TEST(Analyze, EmptyInputHasNoRatios) {
  Scratch s("analyze-empty");
  fs::create_directories(s.dir + "/nothing");
  write_bytes(s.dir + "/e1", "");
  write_bytes(s.dir + "/e2", "");
  const auto a = analyze(s.dir, "--analyze-units 4KiB,64KiB");
  expect_agrees(a, check(s.dir, "4096,65536", 1 << 20), "empty");
  EXPECT_EQ(a["bytes"], 0);
  EXPECT_EQ(a["files"], 2);
  for (const char* u : {"4096", "65536"}) {
    EXPECT_TRUE(a["units"][u]["dedup_ratio"].is_null()) << u;
    EXPECT_TRUE(a["units"][u]["combined_ratio"].is_null()) << u;
    EXPECT_EQ(a["units"][u]["stored_bytes"], 0) << u;
    for (const char* c : {"zstd", "lz4", "zlib"})
      EXPECT_TRUE(a["units"][u]["compress"][c].is_null());
  }
  EXPECT_TRUE(a["chunks"]["zstd"].is_null());
  const auto table = run_shell(kBinary + " --threads 2 --analyze " + s.dir);
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("\nno data: 2 files, 0 bytes\n"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("dedup"), std::string::npos) << "no ratio rows: " << table.out;
  EXPECT_EQ(table.out.find("P(any two"), std::string::npos) << table.out;
}

}  // namespace
