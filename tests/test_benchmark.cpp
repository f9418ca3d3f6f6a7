// The storage benchmark's shapes: access patterns (IOR -z, -s/-b), queue depth (fio iodepth),
// time-bounded runs with stonewalling and wear-out (IOR -D, -O stoneWallingWearOut), latency
// percentiles and bandwidth over time (fio clat, elbencho), metadata phases (mdtest). Every
// pattern and engine must write the same file as a sequential write: the bytes are a function of
// the offset, and these tests hold them to the library's stream byte for byte.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "dgen/generator.hpp"
#include "run_binary.hpp"
#include "support.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::concatenated;
using dgen::test::kBinary;
using dgen::test::kMpirun;
using dgen::test::parse_json;
using dgen::test::read_file;
using dgen::test::run_shell;

std::string stream(std::uint64_t n) { return dgen::test::stream_text(dgen::DataSpec{}, n); }

// The bytes of data in `path` from `offset` to the next hole (or the end), counted by the file
// system (SEEK_DATA, SEEK_HOLE); 0 when `offset` is in a hole.
std::uint64_t data_from(const std::string& path, std::uint64_t offset) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return 0;
  const off_t data = ::lseek(fd, static_cast<off_t>(offset), SEEK_DATA);
  const off_t hole = ::lseek(fd, static_cast<off_t>(offset), SEEK_HOLE);
  ::close(fd);
  if (data != static_cast<off_t>(offset) || hole < data) return 0;
  return static_cast<std::uint64_t>(hole) - offset;
}

TEST(Patterns, EveryPatternAndEngineWritesTheSameFileAsSequential) {
  dgen::test::ScratchDir s("patterns");
  struct Case {
    std::string name, args;
    int ranks;
    std::uint64_t bytes;
  } cases[] = {
      {"random posix", "--size 3000001 --pattern random --transfer 4KiB --threads 3", 2, 6000002},
      {"random uring", "--size 3000001 --pattern random --transfer 4KiB --io uring --iodepth 8", 2,
       6000002},
      {"random mpiio", "--size 3000001 --pattern random --transfer 8KiB --io mpiio", 2, 6000002},
      {"random file per rank", "--size 1MiB --pattern random --transfer 3000 --file-per-rank", 3,
       3 << 20},
      {"random dataset", "--files 50 --file-size 70001 --pattern random --threads 2", 2,
       50 * 70001},
      {"strided posix", "--pattern strided --segments 7 --block 300001 --transfer 64KiB", 3,
       7 * 300001 * 3},
      {"strided uring", "--pattern strided --segments 5 --block 1MiB --io uring --iodepth 4", 2,
       10 << 20},
      {"strided mpiio",
       "--pattern strided --segments 4 --block 256KiB --io mpiio --transfer 100000", 2, 2 << 20},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string target = s.dir + "/t";
    const std::string run = kMpirun + "-n " + std::to_string(c.ranks) + " " + kBinary + " " +
                            c.args + (c.args.find("--files") != std::string::npos ? "" : "");
    auto r = run_shell(run + " --output " + target + " --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string got;
    if (fs::is_directory(target)) {
      got = concatenated(target);
    } else if (c.args.find("--file-per-rank") != std::string::npos) {
      for (int k = 0; k < c.ranks; ++k) got += read_file(target + ".0000000" + std::to_string(k));
    } else {
      got = read_file(target);
    }
    EXPECT_EQ(got.size(), c.bytes);
    EXPECT_TRUE(got == stream(c.bytes)) << "not the stream";
    // Read back in another random order, every byte compared.
    std::string read_args = c.args;
    const auto at = read_args.find("--pattern random");
    if (at != std::string::npos) read_args += " --order-seed 99";
    r = run_shell(kMpirun + "-n " + std::to_string(c.ranks) + " " + kBinary + " " + read_args +
                  " --input " + target + " --verify --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = parse_json(r);
    EXPECT_EQ(j["verify"]["bytes"], c.bytes);
    EXPECT_EQ(j["verify"]["mismatched_bytes"], 0);
    fs::remove_all(target);
    for (int k = 0; k < c.ranks; ++k) fs::remove(target + ".0000000" + std::to_string(k));
  }
}

// --duration: every rank stops at the wall, and the report says what each had moved (IOR's
// stonewall figures); --verify then checks exactly what was written; --wear-out makes every
// rank's share as long as the longest.
TEST(Duration, AWriteStopsAtTheWallAndSaysWhatEachRankMoved) {
  dgen::test::ScratchDir s("duration");
  for (const std::string& extra : {std::string(), std::string(" --wear-out")}) {
    SCOPED_TRACE(extra);
    const std::string target = s.dir + "/d.bin";
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = run_shell(kMpirun + "-n 2 " + kBinary +
                             " --size 8GiB --threads 1 --fsync off --duration 1s --verify " +
                             "--format json --output " + target + extra);
    // This test's own clock: the stonewall time lies inside the whole run.
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = parse_json(r);
    const auto& it = j["iterations"][0];
    ASSERT_FALSE(it["stonewall"].is_null()) << it;
    const auto& w = it["stonewall"];
    EXPECT_EQ(w["limit_seconds"], 1.0);
    EXPECT_EQ(w["reached"], true) << w;
    // IOR's stonewall time, measured from the start to the last rank's stop: past the wall.
    EXPECT_GE(w["seconds"].get<double>(), 1.0) << w;
    EXPECT_GE(it["seconds"].get<double>(), 1.0) << "the wall is 1 s from the start";
    EXPECT_LT(w["seconds"].get<double>(), elapsed) << w;
    std::uint64_t least = UINT64_MAX, most = 0;
    int slowest = -1;
    for (const auto& k : j["per_rank"]) {
      const std::uint64_t moved = k["wall_moved"];
      EXPECT_GT(moved, 0u);
      EXPECT_EQ(k["wall_bytes"].get<std::uint64_t>(), moved << 20);  // 1 MiB transfers
      if (moved < least) {
        least = moved;
        slowest = k["rank"];
      }
      most = std::max(most, moved);
      // Past the 1 s wall by at most what remains of the run on this test's clock.
      EXPECT_LT(1.0 + k["notice_seconds"].get<double>(), elapsed) << k;
    }
    EXPECT_EQ(w["moved_min"], least);
    EXPECT_EQ(w["moved_max"], most);
    EXPECT_EQ(w["bytes_min"], least << 20);
    if (least != most) EXPECT_EQ(w["slowest_rank"], slowest);
    // Each rank's data in the file, counted by the file system: rank 0's from 0, rank 1's from
    // 8 GiB.
    const std::uint64_t on_disk[2] = {data_from(target, 0), data_from(target, 8ULL << 30)};
    if (extra.empty()) {
      // Each rank stopped at the wall: its data is what it moved. The stonewall rate lies
      // between 2 ranks x the least of them over this test's whole run and over the 1 s limit
      // (the stonewall time is at least the limit).
      for (int k = 0; k < 2; ++k)
        EXPECT_EQ(on_disk[k], j["per_rank"][k]["wall_bytes"].get<std::uint64_t>()) << k;
      const double least_on_disk = static_cast<double>(std::min(on_disk[0], on_disk[1]));
      EXPECT_GE(w["gbps"].get<double>() * 1e9, 2 * least_on_disk / elapsed) << w;
      EXPECT_LE(w["gbps"].get<double>() * 1e9, 2 * least_on_disk / 1.0 * (1 + 1e-9)) << w;
    } else {
      // Wear-out: both ranks wrote as much as the one that moved the most by the wall.
      EXPECT_EQ(on_disk[0], on_disk[1]);
      EXPECT_EQ(on_disk[0], most << 20);
      EXPECT_LE(w["gbps"].get<double>() * 1e9,
                2 * static_cast<double>(std::min(on_disk[0], on_disk[1])) * (1 + 1e-9))
          << w;
    }
    EXPECT_GT(w["gbps"].get<double>(), 0);
    EXPECT_LT(it["bytes"].get<std::uint64_t>(), 16ULL << 30) << "the wall came first";
    // The read-back checks exactly what was written: with wear-out both ranks' longest share.
    const std::uint64_t expected =
        extra.empty() ? w["bytes"].get<std::uint64_t>() : 2 * (most << 20);
    EXPECT_EQ(j["verify"]["bytes"], expected) << j["verify"];
    EXPECT_EQ(j["verify"]["mismatched_bytes"], 0);
    EXPECT_EQ(w["wear_out"], !extra.empty());
    EXPECT_NE(j["output_state"]["text"].get<std::string>().find("time-bounded"), std::string::npos);
    // The file holds the stream where each rank wrote: rank 0 from 0, rank 1 from 8 GiB.
    std::ifstream f(target, std::ios::binary);
    std::string head(least << 20, '\0');
    f.read(head.data(), static_cast<std::streamsize>(head.size()));
    EXPECT_TRUE(head == stream(head.size()));
    fs::remove(target);
  }
  // --input --duration reads for a time.
  const std::string data = s.dir + "/r.bin";
  ASSERT_EQ(run_shell(kBinary + " --size 256MiB --output " + data).exit_code, 0);
  const auto r = run_shell(kBinary + " --size 256MiB --input " + data +
                           " --duration 200ms --iterations 2 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = parse_json(r);
  ASSERT_EQ(j["iterations"].size(), 2u);
  for (const auto& it : j["iterations"]) EXPECT_FALSE(it["stonewall"].is_null());
}

// --duration far beyond what the run needs: the wall was never reached, and the report says so
// in every format, with the rate over the time the ranks took (not over the limit: a write of
// 0.06 s under a 10 s limit was reported 100x too slow, "stopped within 0 s of the wall").
TEST(Duration, AWallNotReachedIsSaidAndTheRateIsOverTheTimeTaken) {
  dgen::test::ScratchDir s("duration-early");
  const std::string target = s.dir + "/d.bin";
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_shell(kMpirun + "-n 2 " + kBinary +
                           " --size 8MiB --threads 1 --fsync off --iterations 1 --duration 30s "
                           "--format json --output " +
                           target);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_LT(elapsed, 30) << "the run itself must finish well before the wall";
  const auto j = parse_json(r);
  const auto& w = j["iterations"][0]["stonewall"];
  ASSERT_FALSE(w.is_null()) << j["iterations"];
  EXPECT_EQ(w["limit_seconds"], 30.0);
  EXPECT_EQ(w["reached"], false) << w;
  EXPECT_TRUE(w["notice_seconds"].is_null()) << w;
  // The bytes on disk, counted here, over the time bounds: the measured time lies inside the
  // process's own run, so the rate is at least the file's bytes over the whole process.
  const double on_disk = static_cast<double>(fs::file_size(target));
  EXPECT_EQ(on_disk, 16.0 * (1 << 20));
  const double seconds = w["seconds"].get<double>();
  EXPECT_GT(seconds, 0);
  EXPECT_LT(seconds, elapsed);
  EXPECT_GE(w["gbps"].get<double>() * 1e9, on_disk / elapsed) << w;
  EXPECT_NEAR(w["gbps"].get<double>() * 1e9 * seconds, on_disk, on_disk * 1e-9) << w;
  EXPECT_NEAR(w["moved_per_second"].get<double>() * seconds, 16, 1e-6) << w;  // 1 MiB transfers
  // The table and the CSV say the same.
  auto t = run_shell(kBinary + " --size 4MiB --fsync off --iterations 1 --duration 30s --output " +
                     s.dir + "/t.bin");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("stonewall not reached: every rank finished before the 30.000 s limit"),
            std::string::npos)
      << t.out;
  EXPECT_EQ(t.out.find("of the wall"), std::string::npos) << t.out;
  t = run_shell(kBinary + " --size 4MiB --fsync off --iterations 1 --duration 30s --format csv " +
                "--output " + s.dir + "/c.bin");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find(",30.000000,false,"), std::string::npos) << t.out;
  // A dataset: files per second, over the time taken; the files counted on disk.
  const std::string ds = s.dir + "/ds";
  t = run_shell(kMpirun + "-n 2 " + kBinary + " --files 40 --file-size 4KiB --fsync off " +
                "--iterations 1 --duration 30s --output " + ds);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  std::uint64_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(ds)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 40u);
  EXPECT_NE(t.out.find("stonewall not reached"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("20 to 20 (mean 20.0) files per rank"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find(" files/s over the measured "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("write files/s: min "), std::string::npos) << t.out;
}

// A dataset reaching its wall on slow storage (every write 20 ms, a FUSE path): the stonewall
// line gives files per second (it said "stonewalled 0.00 GB/s" and nothing else), and its time is
// at least the limit.
TEST(Duration, ADatasetAtTheWallGivesFilesPerSecond) {
  dgen::test::ScratchDir s("duration-files");
  const std::string faultfs = DGEN_FAULTFS;
  if (faultfs.empty()) GTEST_FAIL() << "faultfs was not built (libfuse3-dev)";
  const std::string back = s.dir + "/back", mnt = s.dir + "/mnt", rules = s.dir + "/rules";
  fs::create_directories(back);
  fs::create_directories(mnt);
  std::ofstream(rules) << "op=write,fault=slow,ms=20\n";
  dgen::test::Background daemon(faultfs + " " + back + " " + mnt + " -f --rules-file " + rules);
  ASSERT_TRUE(daemon.wait_for([&] {
    return read_file("/proc/self/mounts").find(" " + mnt + " fuse.") != std::string::npos;
  }));
  const std::string common =
      " --files 1000 --file-size 4KiB --threads 1 --fsync off "
      "--iterations 1 --duration 300ms ";
  const auto r =
      run_shell(kMpirun + "-n 2 " + kBinary + common + "--format json --output " + mnt + "/ds");
  const auto t = run_shell(kBinary + common + "--output " + mnt + "/dt");
  std::uint64_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(back + "/ds"))
    files += e.is_regular_file() ? 1 : 0;
  run_shell("fusermount3 -u " + mnt);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = parse_json(r);
  const auto& w = j["iterations"][0]["stonewall"];
  EXPECT_EQ(w["reached"], true) << w;
  EXPECT_GE(w["seconds"].get<double>(), 0.3) << w;
  EXPECT_GT(files, 0u);
  EXPECT_LT(files, 1000u);
  // Every rank had made at least moved_min files when the last one stopped; none more than made.
  const double rate = w["moved_per_second"].get<double>();
  EXPECT_GT(rate, 0) << w;
  EXPECT_LE(rate * w["seconds"].get<double>(), static_cast<double>(files) + 1e-6) << w;
  EXPECT_NEAR(rate * w["seconds"].get<double>(), 2.0 * w["moved_min"].get<double>(), 1e-6) << w;
  // The table: the limit, the files per second, how far past the wall.
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto line = t.out.find("stonewall 0.300 s limit reached");
  ASSERT_NE(line, std::string::npos) << t.out;
  EXPECT_NE(t.out.find(" files/s; stopped within ", line), std::string::npos) << t.out;
}

// A time-bounded write of a file per rank: the end state names every rank's file with its
// length on disk (each cut where the wall stopped its rank, no holes with one thread), in the
// JSON and the table; the bytes are the stream's; the iteration counts both files.
TEST(Duration, AFilePerRankWriteNamesEveryFileWithItsLength) {
  dgen::test::ScratchDir s("duration-per-rank");
  const std::string target = s.dir + "/f";
  const std::uint64_t size = 1ULL << 30;  // per rank
  for (const std::string& format : {std::string("json"), std::string("table")}) {
    SCOPED_TRACE(format);
    const auto r = run_shell(
        kMpirun + "-n 2 " + kBinary + " --size 1GiB --threads 1 --fsync off --transfer 4KiB " +
        "--duration 200ms --file-per-rank --format " + format + " --output " + target);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string text = r.out;
    if (format == "json") {
      const auto j = parse_json(r);
      EXPECT_EQ(j["iterations"][0]["files"], 2) << "both files were renamed into place";
      const auto& o = j["output_state"];
      ASSERT_EQ(o["file_lengths"].size(), 2u) << o;
      std::uint64_t holds = 0;
      for (int k = 0; k < 2; ++k) {
        const std::string name = target + ".0000000" + std::to_string(k);
        EXPECT_EQ(o["file_lengths"][k]["path"], name);
        EXPECT_EQ(o["file_lengths"][k]["length"], fs::file_size(name));
        EXPECT_EQ(o["file_lengths"][k]["holds"], fs::file_size(name)) << "one thread: no holes";
        holds += o["file_lengths"][k]["holds"].get<std::uint64_t>();
      }
      EXPECT_EQ(o["bytes"], holds);
      text = o["text"];
    } else {
      ASSERT_NE(text.find("\noutput    "), std::string::npos) << text;
    }
    EXPECT_NE(text.find("2 files"), std::string::npos) << text;
    EXPECT_EQ(text.find("holes"), std::string::npos) << text;
    for (int k = 0; k < 2; ++k) {
      const std::string name = target + ".0000000" + std::to_string(k);
      const std::uint64_t length = fs::file_size(name);
      EXPECT_GT(length, 0u);
      EXPECT_LT(length, size) << "the wall came first";
      EXPECT_NE(text.find(name + " (" + std::to_string(length) + " bytes)"), std::string::npos)
          << text;
      // Rank k's file is the stream from k GiB, as the stream on stdout has it.
      const auto same =
          run_shell(kBinary + " --size 2GiB --output - 2>/dev/null | cmp -n " +
                    std::to_string(length) + " -i " + std::to_string(k * size) + ":0 - " + name);
      EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
    }
    fs::remove(target + ".00000000");
    fs::remove(target + ".00000001");
  }
}

// The peak resident set of `command` in KiB (GNU time's %M), or -1 without /usr/bin/time.
long max_rss_kib(const std::string& command, const std::string& report, int& exit_code) {
  if (!fs::exists("/usr/bin/time")) return -1;
  const auto r = run_shell("/usr/bin/time -f 'maxrss=%M' -o " + report + " " + command);
  exit_code = r.exit_code;
  const std::string text = read_file(report);
  const auto at = text.find("maxrss=");
  return at == std::string::npos ? -1 : std::stol(text.substr(at + 7));
}

// --iodepth holds no more buffers than a thread has transfers: a 16 MiB job of 16 MiB
// transfers at depth 64 holds one per thread (it held 64, 2 GiB for 2 threads).
TEST(QueueDepth, BuffersAreNoMoreThanTheTransfersNeed) {
  dgen::test::ScratchDir s("iodepth-buffers");
  int code = -1;
  const long kib = max_rss_kib(kBinary + " --io uring --iodepth 64 --transfer 16MiB --size 16MiB " +
                                   "--threads 2 --format csv --output " + s.dir + "/u.bin",
                               s.dir + "/time.txt", code);
  if (kib < 0) GTEST_SKIP() << "no /usr/bin/time";
  ASSERT_EQ(code, 0);
  EXPECT_LT(kib, 256 * 1024) << "KiB resident at the peak";
  EXPECT_TRUE(read_file(s.dir + "/u.bin") == stream(16 << 20));
}

// A plan whose buffers the node cannot hold is refused before anything is allocated, with its
// figures, as bench mode refuses a --size that does not fit (an 8 TiB sparse file read with
// --iodepth 4096 --transfer 1GiB: 8 TiB of buffers).
TEST(QueueDepth, BuffersTheNodeCannotHoldAreRefusedWithTheFigures) {
  dgen::test::ScratchDir s("iodepth-memory");
  const std::string input = s.dir + "/sparse.bin";
  ASSERT_EQ(run_shell("truncate -s 8T " + input).exit_code, 0);
  int code = -1;
  const std::string command = kBinary + " --io uring --iodepth 4096 --transfer 1GiB --size 8TiB " +
                              "--threads 2 --input " + input;
  const long kib = max_rss_kib(command + " 2> " + s.dir + "/err.txt", s.dir + "/time.txt", code);
  const std::string err = read_file(s.dir + "/err.txt");
  if (kib < 0) code = run_shell(command).exit_code;
  EXPECT_EQ(code, 2) << err;
  EXPECT_TRUE(std::regex_search(
      err, std::regex("^dgen_mpi: rank 0 \\(.*\\): --iodepth 4096 --transfer 1 GiB: 2 threads x "
                      "4096 buffers of 1 GiB = 8 TiB per rank: 1 rank on this node needs 8 TiB in "
                      "all, but .* is available")))
      << err;
  if (kib >= 0) EXPECT_LT(kib, 256 * 1024) << "refused before the buffers were allocated";
}

// Every transfer's latency goes into a histogram: a write delayed every 50th by 50 ms (a slow
// FUSE path) shows at the tail, not at the median.
TEST(Latency, SlowWritesShowAtTheTailNotAtTheMedian) {
  dgen::test::ScratchDir s("latency");
  const std::string faultfs = DGEN_FAULTFS;
  if (faultfs.empty()) GTEST_FAIL() << "faultfs was not built (libfuse3-dev)";
  const std::string back = s.dir + "/back", mnt = s.dir + "/mnt", rules = s.dir + "/rules";
  fs::create_directories(back);
  fs::create_directories(mnt);
  std::ofstream(rules) << "op=write,fault=slow,ms=50,every=50\n";
  dgen::test::Background daemon(faultfs + " " + back + " " + mnt + " -f --rules-file " + rules);
  ASSERT_TRUE(daemon.wait_for([&] {
    return read_file("/proc/self/mounts").find(" " + mnt + " fuse.") != std::string::npos;
  }));
  const auto r = run_shell(kBinary + " --size 32MiB --transfer 32KiB --threads 1 --fsync off " +
                           "--format json --output " + mnt + "/f");
  run_shell("fusermount3 -u " + mnt);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = parse_json(r);
  const auto& w = j["latency"]["write"];
  ASSERT_FALSE(w.is_null()) << j["latency"];
  EXPECT_EQ(w["count"], 1024);
  const auto& p = w["percentiles_ns"];
  EXPECT_LT(p["50.000000"].get<double>(), 10e6) << p;
  EXPECT_GE(p["99.000000"].get<double>(), 50e6) << p;
  EXPECT_GE(w["max_ns"].get<double>(), 50e6);
  EXPECT_LT(w["min_ns"].get<double>(), 10e6);
}

// Bandwidth over time: bytes per rank per interval, in the JSON and as CSV with --timeline.
TEST(Timeline, BytesPerRankPerIntervalAddUpToWhatWasWritten) {
  dgen::test::ScratchDir s("timeline");
  const std::string csv = s.dir + "/t.csv";
  const auto r =
      run_shell(kMpirun + "-n 2 " + kBinary + " --size 512MiB --threads 1 --fsync off " +
                "--interval 100ms --timeline " + csv + " --format json --output " + s.dir + "/f");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = parse_json(r);
  ASSERT_FALSE(j["timeline"].is_null());
  EXPECT_EQ(j["timeline"]["interval_seconds"], 0.1);
  ASSERT_EQ(j["timeline"]["ranks"].size(), 2u);
  for (const auto& row : j["timeline"]["ranks"]) {
    std::uint64_t sum = 0;
    for (const auto& b : row) sum += b.get<std::uint64_t>();
    EXPECT_EQ(sum, 512ULL << 20);
  }
  const std::string text = read_file(csv);
  EXPECT_EQ(text.rfind("rank,interval_start_seconds,bytes,gbps\n", 0), 0u) << text;
  EXPECT_NE(text.find("\n1,"), std::string::npos) << text;
}

// mdtest's phases: create, stat, read, delete, each timed in files per second; the tree as asked,
// unique per rank with --unique-dir; delete removes what the run created, and nothing else.
TEST(Phases, CreateStatReadDeleteAsMdtest) {
  dgen::test::ScratchDir s("phases");
  const std::string ds = s.dir + "/ds";
  auto r = run_shell(kMpirun + "-n 2 " + kBinary + " --files 300 --file-size 4KiB " +
                     "--files-per-dir 40 --unique-dir --phases create,stat,read --verify " +
                     "--format json --output " + ds);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = parse_json(r);
  ASSERT_EQ(j["phases"].size(), 3u) << j["phases"];
  const char* names[] = {"create", "stat", "read"};
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(j["phases"][k]["name"], names[k]);
    EXPECT_EQ(j["phases"][k]["files"], 300);
    EXPECT_GT(j["phases"][k]["files_per_second"].get<double>(), 0);
  }
  EXPECT_EQ(j["verify"]["bytes"], 300 * 4096);
  EXPECT_EQ(j["verify"]["mismatched_bytes"], 0);
  EXPECT_TRUE(fs::is_directory(ds + "/r00000000/d0"));
  EXPECT_TRUE(fs::is_directory(ds + "/r00000001/d3"));  // 150 files a rank, 40 a directory
  EXPECT_TRUE(concatenated(ds) == stream(300 * 4096)) << "the unique trees hold the stream";
  EXPECT_NE(r.out.find("\"name\": \"stat\""), std::string::npos);
  // A file of someone else's in the tree stays, and so does its directory.
  std::ofstream(ds + "/r00000000/d0/mine.txt") << "keep";
  r = run_shell(kMpirun + "-n 2 " + kBinary + " --files 300 --file-size 4KiB --files-per-dir 40 " +
                "--unique-dir --phases create,delete --format json --output " + ds);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = parse_json(r);
  EXPECT_EQ(j["phases"][1]["name"], "delete");
  EXPECT_EQ(j["phases"][1]["files"], 300);
  EXPECT_EQ(read_file(ds + "/r00000000/d0/mine.txt"), "keep");
  // The first run made the tree: it stood before this run, so it stays, emptied (what a run
  // made itself goes: Safety.TheDeletePhaseRemovesOnlyWhatThisRunCreated).
  EXPECT_TRUE(fs::is_empty(ds + "/r00000001/d3")) << "the files of this run are removed";
  EXPECT_TRUE(fs::is_directory(ds + "/r00000001")) << "a directory that stood before stays";
  // The table has mdtest's lines.
  r = run_shell(kBinary + " --files 20 --file-size 1KiB --phases create,stat,delete --output " +
                s.dir + "/t");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("phase             files"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stat                 20"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(s.dir + "/t")) << "the directory this run made is removed";
}

// --phases in CSV and in the latencies: every phase has its own rows (stat, read and delete were
// lost), and each phase's calls are its own (a create's opens were merged with a read's: "open
// 200" for 100 files); stat and unlink are timed as calls.
TEST(Phases, EachPhaseHasItsOwnCsvRowsAndItsOwnLatencies) {
  dgen::test::ScratchDir s("phases-csv");
  const std::string ds = s.dir + "/ds";
  auto r = run_shell(kMpirun + "-n 2 " + kBinary + " --files 100 --file-size 4KiB --fsync off " +
                     "--iterations 1 --phases create,stat,read,delete --format csv --output " + ds);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Split at the empty lines: the iteration rows, the phases, the latencies.
  std::vector<std::string> sections;
  for (std::size_t a = 0; a <= r.out.size();) {
    const std::size_t b = std::min(r.out.find("\n\n", a), r.out.size());
    sections.push_back(r.out.substr(a, b - a));
    a = b + 2;
  }
  ASSERT_EQ(sections.size(), 3u) << r.out;
  std::istringstream phases(sections[1]);
  std::string line;
  std::getline(phases, line);
  EXPECT_EQ(line, "kind,phase,files,seconds,files_per_second,bytes,aggregate_gbps,complete");
  std::vector<std::string> names;
  while (std::getline(phases, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string c; std::getline(row, c, ',');) cells.push_back(c);
    ASSERT_EQ(cells.size(), 8u) << line;
    EXPECT_EQ(cells[0], "phase");
    names.push_back(cells[1]);
    EXPECT_EQ(cells[2], "100") << line;
    EXPECT_GT(std::stod(cells[4]), 0) << line;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"create", "stat", "read", "delete"}));
  // Each phase's operations, 100 calls each: 100 files, each opened once per phase.
  std::map<std::string, std::uint64_t> counts;
  std::istringstream latency(sections[2]);
  std::getline(latency, line);
  while (std::getline(latency, line)) {
    std::istringstream row(line);
    std::string kind, op, count;
    std::getline(row, kind, ',');
    std::getline(row, op, ',');
    std::getline(row, count, ',');
    counts[op] = std::stoull(count);
  }
  for (const char* op : {"create/open", "create/write", "create/close", "stat/stat", "read/open",
                         "read/read", "read/close", "delete/unlink"})
    EXPECT_EQ(counts[op], 100u) << op << "\n" << sections[2];
  EXPECT_EQ(counts.count("open"), 0u) << sections[2];
  // The JSON names the phase of each operation.
  r = run_shell(kBinary + " --files 10 --file-size 1KiB --fsync off --iterations 1 " +
                "--phases create,stat,delete --format json --output " + s.dir + "/j");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = parse_json(r);
  EXPECT_EQ(j["latency"]["stat/stat"]["phase"], "stat") << j["latency"];
  EXPECT_EQ(j["latency"]["delete/unlink"]["count"], 10) << j["latency"];
  // One phase: the plain names, as before.
  r = run_shell(kBinary + " --size 4MiB --fsync off --iterations 1 --format json --output " +
                s.dir + "/one");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(parse_json(r)["latency"]["open"]["count"], 1) << r.out;
}

// Every run parameter that changes a figure is a field of the report: a random run does not read
// like a sequential one, nor a strided or time-bounded one.
TEST(Report, TheAccessPatternAndItsBoundsAreInEveryFormat) {
  dgen::test::ScratchDir s("report-params");
  auto r =
      run_shell(kMpirun + "-n 2 " + kBinary + " --size 2MiB --transfer 64KiB --pattern " +
                "random --order-seed 12345 --io uring --iodepth 4 --fsync off --iterations 1 " +
                "--duration 20s --wear-out --format json --output " + s.dir + "/r");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = parse_json(r)["storage"];
  EXPECT_EQ(j["pattern"], "random") << j;
  EXPECT_EQ(j["order_seed"], 12345) << j;
  EXPECT_EQ(j["duration"], 20.0) << j;
  EXPECT_EQ(j["wear_out"], true) << j;
  EXPECT_EQ(j["io"], "uring") << j;
  EXPECT_EQ(j["iodepth"], 4) << j;
  EXPECT_TRUE(j["segments"].is_null()) << j;
  r = run_shell(kMpirun + "-n 2 " + kBinary + " --pattern strided --segments 4 --block 256KiB " +
                "--fsync off --iterations 1 --format json --output " + s.dir + "/s");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = parse_json(r)["storage"];
  EXPECT_EQ(j["pattern"], "strided") << j;
  EXPECT_EQ(j["segments"], 4) << j;
  EXPECT_EQ(j["block"], 256 << 10) << j;
  EXPECT_TRUE(j["order_seed"].is_null()) << j;
  r = run_shell(kBinary + " --size 1MiB --transfer 64KiB --pattern random --order-seed 9 " +
                "--fsync off --iterations 1 --output " + s.dir + "/t");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\naccess    random, order seed 9\n"), std::string::npos) << r.out;
  r = run_shell(kBinary + " --size 1MiB --transfer 64KiB --pattern random --order-seed 9 " +
                "--fsync off --iterations 1 --format csv --output " + s.dir + "/c");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string header = r.out.substr(0, r.out.find('\n'));
  EXPECT_NE(header.find(",pattern,order_seed,segments,block,duration_seconds,wear_out,"),
            std::string::npos)
      << header;
  EXPECT_NE(r.out.find(",random,9,,,,false,"), std::string::npos) << r.out;
}

// A time-bounded create (mdtest's stonewalled create): the later phases take exactly the files
// it made, every one of which stands whole, and delete removes them all.
TEST(Phases, ATimeBoundedCreateIsFollowedOverTheFilesItMade) {
  dgen::test::ScratchDir s("phases-duration");
  const std::string ds = s.dir + "/ds";
  const auto r = run_shell(kMpirun + "-n 2 " + kBinary + " --files 2000000 --file-size 4KiB " +
                           "--fsync off --duration 1s --phases create,stat,read --verify " +
                           "--format json --output " + ds);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = parse_json(r);
  ASSERT_EQ(j["phases"].size(), 3u) << j["phases"];
  const std::uint64_t made = j["phases"][0]["files"].get<std::uint64_t>();
  EXPECT_GT(made, 0u);
  EXPECT_LT(made, 2000000u);
  EXPECT_EQ(j["phases"][1]["files"], made) << "stat: the files made";
  EXPECT_EQ(j["phases"][2]["files"], made) << "read: the files made";
  EXPECT_EQ(j["verify"]["bytes"], made * 4096);
  EXPECT_EQ(j["verify"]["mismatched_bytes"], 0);
  std::uint64_t on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(ds)) {
    if (!e.is_regular_file()) continue;
    ++on_disk;
    EXPECT_EQ(e.file_size(), 4096u) << e.path();
  }
  EXPECT_EQ(on_disk, made);
}

}  // namespace
