// The storage benchmark's shapes: access patterns (IOR -z, -s/-b), queue depth (fio iodepth),
// time-bounded runs with stonewalling and wear-out (IOR -D, -O stoneWallingWearOut), latency
// percentiles and bandwidth over time (fio clat, elbencho), metadata phases (mdtest). Every
// pattern and engine must write the same file as a sequential write: the bytes are a function of
// the offset, and these tests hold them to the library's stream byte for byte.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "dgen/generator.hpp"
#include "run_process.hpp"
#include "support.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::read_file;
using dgen::test::run_shell;

const std::string kBinary = dgen::test::binary_under_test(DGEN_MPI_BINARY);
const std::string kMpirun = "timeout 120 mpirun --oversubscribe ";

nlohmann::json parse(const dgen::test::ProcessResult& r) {
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not JSON:\n" << r.out << r.err;
    return {};
  }
}

std::string stream(std::uint64_t n) { return dgen::test::stream_text(dgen::DataSpec{}, n); }

// The files under `dir` in name order, concatenated.
std::string concatenated(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::string all;
  for (const auto& f : files) all += read_file(f);
  return all;
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
    const auto j = parse(r);
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
    const auto r = run_shell(kMpirun + "-n 2 " + kBinary +
                             " --size 8GiB --threads 1 --fsync off --duration 1s --verify " +
                             "--format json --output " + target + extra);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = parse(r);
    const auto& it = j["iterations"][0];
    ASSERT_FALSE(it["stonewall"].is_null()) << it;
    const auto& w = it["stonewall"];
    EXPECT_EQ(w["seconds"], 1.0);
    EXPECT_GE(it["seconds"].get<double>(), 1.0) << "the wall is 1 s from the start";
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
      EXPECT_GE(k["notice_seconds"].get<double>(), 0);
    }
    EXPECT_EQ(w["moved_min"], least);
    EXPECT_EQ(w["moved_max"], most);
    EXPECT_EQ(w["bytes_min"], least << 20);
    if (least != most) EXPECT_EQ(w["slowest_rank"], slowest);
    EXPECT_NEAR(w["gbps"].get<double>(), 2.0 * static_cast<double>(least << 20) / 1e9, 1e-9);
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
  const auto j = parse(r);
  ASSERT_EQ(j["iterations"].size(), 2u);
  for (const auto& it : j["iterations"]) EXPECT_FALSE(it["stonewall"].is_null());
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
  const auto j = parse(r);
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
  const auto j = parse(r);
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
  auto j = parse(r);
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
  j = parse(r);
  EXPECT_EQ(j["phases"][1]["name"], "delete");
  EXPECT_EQ(j["phases"][1]["files"], 300);
  EXPECT_EQ(read_file(ds + "/r00000000/d0/mine.txt"), "keep");
  EXPECT_FALSE(fs::exists(ds + "/r00000001")) << "the run's own directories are removed";
  // The table has mdtest's lines.
  r = run_shell(kBinary + " --files 20 --file-size 1KiB --phases create,stat,delete --output " +
                s.dir + "/t");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("phase             files"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stat                 20"), std::string::npos) << r.out;
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
  const auto j = parse(r);
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
