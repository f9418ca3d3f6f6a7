// Storage modes under mpirun on this machine's file systems: every layout (shared file, file per
// rank, dataset) through every backend (posix, mpiio collective and independent, OMPIO's and
// ROMIO's two-phase paths) holds the stream the library generates; read back; --in-place; the
// faults (missing directory, no permission, a file where a directory must be, O_DIRECT refused,
// inodes running out) end the job clearly and leave no file that looks complete but is not.
// Real file systems on loop devices are in test_filesystems.cpp.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dgen/generator.hpp"
#include "run_binary.hpp"
#include "support.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::kBinary;
using dgen::test::kMpirun;
using dgen::test::parse_json;
using dgen::test::read_file;
using dgen::test::run_shell;

dgen::DataSpec spec() {
  dgen::DataSpec s;
  s.seed = 77;
  s.dedup_ratio = 2;
  s.compress_ratio = 3;
  return s;
}
const std::string kData = " --seed 77 --dedup-ratio 2 --compress-ratio 3 ";

std::string stream(std::uint64_t n) { return dgen::test::stream_text(spec(), n); }

// A fresh directory per test, removed with everything in it at the end.
struct Scratch : dgen::test::ScratchDir {
  using ScratchDir::ScratchDir;
  // Every regular file under the directory, relative paths sorted.
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // The files concatenated in name order: the stream, if the layout holds it.
  std::string concatenated() const {
    std::string all;
    for (const auto& f : files()) all += read_file(dir + "/" + f);
    return all;
  }
};

struct Layout {
  const char* name;
  std::string args;     // after --output/--input PATH
  std::string target;   // PATH, relative to the scratch directory
  std::uint64_t bytes;  // the stream's length with 2 ranks
  std::uint64_t files;
};

// Sizes that are not multiples of the transfer or of the 4 KiB thread granule.
const std::uint64_t kPerRank = (1ULL << 20) + 4097;
std::vector<Layout> layouts(int ranks) {
  const std::uint64_t r = static_cast<std::uint64_t>(ranks);
  return {
      {"shared-file", " --size " + std::to_string(kPerRank), "shared.bin", kPerRank * r, 1},
      {"file-per-rank", " --size " + std::to_string(kPerRank) + " --file-per-rank", "per-rank",
       kPerRank * r, r},
      {"dataset", " --files 7 --file-size 300001 --files-per-dir 3", "dataset", 7 * 300001, 7},
  };
}

const std::vector<std::string> kBackends = {
    "--io posix", "--io mpiio", "--io mpiio --collective off", "--io uring --iodepth 4"};

TEST(Storage, EveryLayoutAndBackendHoldsTheStreamAndReadsBack) {
  for (int ranks : {1, 2}) {
    for (const auto& io : kBackends) {
      for (const auto& l : layouts(ranks)) {
        SCOPED_TRACE(std::to_string(ranks) + " ranks, " + io + ", " + l.name);
        Scratch s("layouts");
        const std::string target = s.dir + "/" + l.target;
        const std::string common = kData + l.args + " " + io + " --transfer 200000 --threads 2 ";
        const auto w = run_shell(kMpirun + "-n " + std::to_string(ranks) + " " + kBinary +
                                 " --output " + target + common + "--format json");
        ASSERT_EQ(w.exit_code, 0) << w.err;
        const std::string got = s.concatenated();
        ASSERT_EQ(got.size(), l.bytes);
        EXPECT_TRUE(got == stream(l.bytes));
        EXPECT_EQ(s.files().size(), l.files);
        const auto j = parse_json(w);
        EXPECT_EQ(j["mode"], "write");
        EXPECT_EQ(j["bytes"], l.bytes);
        EXPECT_EQ(j["storage"]["layout"], l.name);
        EXPECT_EQ(j["storage"]["files"], l.files);
        ASSERT_EQ(j["iterations"].size(), 1u);
        const auto& it = j["iterations"][0];
        EXPECT_EQ(it["bytes"], l.bytes);
        EXPECT_EQ(it["files"], l.files);
        EXPECT_GT(it["files_per_second"].get<double>(), 0);
        EXPECT_GT(it["io_seconds"].get<double>(), 0);
        EXPECT_GT(it["flush_seconds"].get<double>(), 0) << "--fsync is on by default";
        EXPECT_GE(it["unflushed_gbps"].get<double>(), it["aggregate_gbps"].get<double>());
        const std::string component = j["provenance"]["io_component"];
        const char* expected = io.find("mpiio") != std::string::npos   ? "ompio"
                               : io.find("uring") != std::string::npos ? "io_uring"
                                                                       : "pwrite";
        EXPECT_EQ(component.rfind(expected, 0), 0u) << component;
        for (const auto& k : j["per_rank"]) EXPECT_GT(k["generate_seconds"].get<double>(), 0);

        // Read back with the same layout options, twice.
        const auto rd = run_shell(kMpirun + "-n " + std::to_string(ranks) + " " + kBinary +
                                  " --input " + target + common + "--iterations 2 --format json");
        ASSERT_EQ(rd.exit_code, 0) << rd.err;
        const auto jr = parse_json(rd);
        EXPECT_EQ(jr["mode"], "read");
        ASSERT_EQ(jr["iterations"].size(), 2u);
        for (const auto& i : jr["iterations"]) {
          EXPECT_EQ(i["bytes"], l.bytes);
          EXPECT_EQ(i["flush_seconds"], 0);
        }
      }
    }
  }
}

// With one contiguous range per rank OMPIO picks fcoll individual, so --collective on equals
// off unless a two-phase component is forced: OMPIO's vulcan, or ROMIO with collective
// buffering on. Both must write the same bytes, and the report must name what was used.
TEST(Storage, TwoPhaseCollectiveWritesTheSameBytes) {
  Scratch s("two-phase");
  std::ofstream(s.dir + "/hints") << "romio_cb_write enable\nromio_cb_read enable\n";
  const std::string hints = s.dir + "/hints";
  struct Case {
    std::string env, component;
  } cases[] = {{"OMPI_MCA_fcoll=vulcan", "ompio, fcoll vulcan"},
               {"OMPI_MCA_io=romio321 ROMIO_HINTS=" + hints, "romio321, hints from ROMIO_HINTS"},
               {"OMPI_MCA_io=romio321", "romio321"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.env);
    const std::string target = s.dir + "/out.bin";
    const auto w = run_shell(c.env + " " + kMpirun + "-n 2 " + kBinary + " --output " + target +
                             kData + " --size " + std::to_string(kPerRank) +
                             " --io mpiio --transfer 300000 --threads 1 --format json");
    ASSERT_EQ(w.exit_code, 0) << w.err;
    EXPECT_EQ(parse_json(w)["provenance"]["io_component"], c.component);
    EXPECT_TRUE(read_file(target) == stream(2 * kPerRank));
    const auto r =
        run_shell(c.env + " " + kMpirun + "-n 2 " + kBinary + " --input " + target + " --size " +
                  std::to_string(kPerRank) + " --io mpiio --threads 1 --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(parse_json(r)["iterations"][0]["bytes"], 2 * kPerRank);
    fs::remove(target);
  }
}

TEST(Storage, FsyncOffIsNotTimedAndOnIs) {
  Scratch s("fsync");
  for (const char* f : {"on", "off"}) {
    const auto r = run_shell(kBinary + " --size 4MiB --output " + s.dir + "/x.bin --fsync " + f +
                             " --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const double flush = parse_json(r)["iterations"][0]["flush_seconds"];
    if (std::string(f) == "on") {
      EXPECT_GT(flush, 0);
    } else {
      EXPECT_EQ(flush, 0);
    }
    EXPECT_EQ(parse_json(r)["storage"]["fsync"], std::string(f) == "on");
  }
}

TEST(Storage, InPlaceOverwritesAndCutsAnExistingFile) {
  Scratch s("in-place");
  const std::string target = s.dir + "/existing.bin";
  std::ofstream(target, std::ios::binary) << std::string(3 << 20, '\xff');
  // Not this program's bytes: in place too, only --overwrite replaces them.
  const auto refused = run_shell(kMpirun + "-n 2 " + kBinary + " --output " + target + kData +
                                 " --size 1MiB --in-place --threads 1");
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  const auto r = run_shell(kMpirun + "-n 2 " + kBinary + " --output " + target + kData +
                           " --size 1MiB --in-place --overwrite --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(s.files(), std::vector<std::string>{"existing.bin"}) << "no temporary name";
  EXPECT_TRUE(read_file(target) == stream(2 << 20)) << "cut to the stream, old bytes gone";
  // Interrupted in place (its first pass): the existing file is cut to 0 bytes, not left
  // looking complete.
  dgen::test::Background cut(kBinary + " --output " + target + kData +
                             " --size 8GiB --in-place --fsync off --threads 2");
  ASSERT_TRUE(cut.wait_for([&] { return dgen::test::size_of(target) > (64 << 20); })) << cut.err();
  cut.signal(SIGTERM);
  EXPECT_EQ(cut.wait().exit_code, 143);
  EXPECT_EQ(fs::file_size(target), 0u);
  // A dataset in place: the final names from the start.
  const auto d = run_shell(kBinary + " --output " + s.dir + "/ds --files 3 --file-size 10000" +
                           kData + " --in-place");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(read_file(s.dir + "/ds/d0/f0") + read_file(s.dir + "/ds/d0/f1") +
                  read_file(s.dir + "/ds/d0/f2") ==
              stream(30000));
}

TEST(Storage, ShortInputNamesTheExpectedAndTheActualSize) {
  Scratch s("short");
  const std::string target = s.dir + "/short.bin";
  ASSERT_EQ(run_shell(kBinary + " --size 1MiB --output " + target).exit_code, 0);
  const auto r = run_shell(kMpirun + "-n 2 " + kBinary + " --size 1MiB --input " + target);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--input " + target + ": 2097152 bytes expected (2 MiB), 1048576 found"),
            std::string::npos)
      << r.err;
  const auto missing = run_shell(kBinary + " --input " + s.dir + "/none.bin");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("none.bin: cannot open: No such file or directory"), std::string::npos)
      << missing.err;
}

TEST(Storage, ReorderOnOneNodeSaysItReadsItsOwnBytes) {
  Scratch s("reorder");
  ASSERT_EQ(run_shell(kMpirun + "-n 2 " + kBinary + " --size 1MiB --output " + s.dir + "/r.bin")
                .exit_code,
            0);
  const auto r = run_shell(kMpirun + "-n 2 " + kBinary + " --size 1MiB --input " + s.dir +
                           "/r.bin --reorder --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("--reorder on one node"), std::string::npos) << r.out;
}

// Each fault: exit code, one line naming the path and the reason, nothing left in the directory.
TEST(Storage, BadTargetsAreRefusedAndLeaveNothing) {
  Scratch s("bad-targets");
  std::ofstream(s.dir + "/a-file") << "x";
  struct Case {
    std::string args;
    int exit_code;
    std::string message;
  } cases[] = {
      {"--size 1MiB --output " + s.dir + "/missing/x.bin", 2,
       "missing/x.bin: its directory " + s.dir +
           "/missing does not exist (No such file or "
           "directory)"},
      {"--files 2 --file-size 4KiB --output " + s.dir + "/missing/deeper/ds", 2,
       "does not exist (No such file or directory)"},
      {"--files 2 --file-size 4KiB --output " + s.dir + "/a-file", 2,
       "a-file: is not a directory (--files writes a dataset there)"},
      {"--size 1MiB --output " + s.dir + "/a-file/x.bin", 2,
       s.dir + "/a-file is not a directory (Not a directory)"},
      {"--size 1MiB --file-per-rank --output " + s.dir + "/a-file/x", 2, "is not a directory"},
      {"--size 1MiB --output " + s.dir + " ", 2, ": is a directory"},
      {"--size 64KiB --direct --transfer 1000 --output " + s.dir + "/d.bin", 2,
       "--direct: --transfer 1000 is not a multiple of"},
      {"--size 1000 --direct --output " + s.dir + "/d.bin", 2,
       "--direct: --size 1000 is not a multiple of"},
      {"--files 2 --file-size 1000 --direct --output " + s.dir + "/ds", 2,
       "--direct: --file-size 1000 is not a multiple of"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args);
    const auto r = run_shell(kMpirun + "-n 2 " + kBinary + " " + c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(s.files(), std::vector<std::string>{"a-file"});
    EXPECT_FALSE(fs::exists(s.dir + "/ds")) << "no empty dataset directory left";
  }
}

// Root passes permission checks: the job runs as nobody in a directory only root may write.
TEST(Storage, NoPermissionNamesThePathAndTheError) {
  Scratch s("no-permission");
  fs::permissions(dgen::test::temp_dir(), fs::perms::owner_all | fs::perms::others_exec);
  fs::permissions(s.dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  const std::string nobody = "setpriv --reuid=nobody --regid=nogroup --clear-groups ";
  for (const std::string& args : {" --size 1MiB --output " + s.dir + "/x.bin",
                                  " --files 2 --file-size 4KiB --output " + s.dir + "/ds"}) {
    SCOPED_TRACE(args);
    const auto r = run_shell(nobody + kBinary + args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(s.dir), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
    EXPECT_TRUE(s.files().empty());
  }
}

// A file system mounted by the test, unmounted and removed at the end, failed or not.
struct Mount {
  explicit Mount(const std::string& type, const std::string& options)
      : dir(dgen::test::temp_dir() + "/mnt-" + type) {
    fs::create_directories(dir);
    const auto r = run_shell("mount -t " + type + " -o " + options + " " + type + " " + dir);
    ok = r.exit_code == 0;
    log = r.err;
  }
  ~Mount() {
    run_shell("umount " + dir);
    std::error_code ec;
    fs::remove(dir, ec);
  }
  std::string dir, log;
  bool ok = false;
};

TEST(Storage, DirectWhereTheFileSystemRefusesItLeavesNothing) {
  Mount ram("ramfs", "mode=755");  // ramfs creates the file, then fails the open with EINVAL
  ASSERT_TRUE(ram.ok) << ram.log;
  for (const std::string& args : {" --size 64KiB --output " + ram.dir + "/x.bin",
                                  " --size 64KiB --file-per-rank --output " + ram.dir + "/x",
                                  " --files 3 --file-size 64KiB --output " + ram.dir + "/ds"}) {
    SCOPED_TRACE(args);
    const auto r = run_shell(kMpirun + "-n 2 " + kBinary + args + " --direct");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--direct: " + ram.dir + ": the file system refuses O_DIRECT"),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(fs::is_empty(ram.dir)) << "left behind in " << ram.dir;
  }
}

// Too little free space is refused before anything is written, for a file and a dataset.
TEST(Storage, TooLittleFreeSpaceIsRefusedBeforeWriting) {
  Mount tmp("tmpfs", "size=8m");
  ASSERT_TRUE(tmp.ok) << tmp.log;
  for (const std::string& args : {" --size 16MiB --output " + tmp.dir + "/x.bin",
                                  " --files 4 --file-size 4MiB --output " + tmp.dir + "/ds"}) {
    SCOPED_TRACE(args);
    const auto r = run_shell(kBinary + args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("16 MiB to write but "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(" is free on " + tmp.dir), std::string::npos) << r.err;
    EXPECT_TRUE(fs::is_empty(tmp.dir)) << "left behind in " << tmp.dir;
  }
}

// IOR's habit: a --size larger than the storage, with a time limit. The free-space check asks
// only for what a minimal run needs, and a write that fills the file system stops there as at
// the wall (exit 0), the report saying so; a shared file holds the stream where it was written,
// a dataset only whole files.
TEST(Storage, ATimeBoundedWriteStopsAtAFullFileSystemAsAtTheWall) {
  Mount tmp("tmpfs", "size=64m");
  ASSERT_TRUE(tmp.ok) << tmp.log;
  {
    const std::string target = tmp.dir + "/x.bin";
    const auto r = run_shell(kBinary + kData + "--size 1GiB --duration 60s --threads 1 --output " +
                             target + " --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = parse_json(r);
    const auto& it = j["iterations"][0];
    ASSERT_FALSE(it["stonewall"].is_null()) << it;
    EXPECT_EQ(it["stonewall"]["file_system_full"], true) << it;
    EXPECT_LT(it["seconds"].get<double>(), 30.0) << "stopped at the full file system, not the wall";
    const std::uint64_t wrote = it["stonewall"]["bytes"];
    EXPECT_GT(wrote, 32u << 20);
    EXPECT_LE(wrote, 64u << 20);
    std::ifstream f(target, std::ios::binary);
    std::string head(wrote, '\0');
    f.read(head.data(), static_cast<std::streamsize>(head.size()));
    EXPECT_TRUE(head == stream(wrote));
    fs::remove(target);
  }
  {
    const auto r =
        run_shell(kBinary + kData + "--files 200 --file-size 1MiB --duration 60s --threads 2 " +
                  "--files-per-dir 1000 --output " + tmp.dir + "/ds --format table");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("stopped: file system full (ENOSPC) before the wall"), std::string::npos)
        << r.out;
    const std::string all = stream(200ULL << 20);
    int whole = 0;
    for (const auto& e : fs::recursive_directory_iterator(tmp.dir)) {
      if (!e.is_regular_file()) continue;
      const std::string name = e.path().filename().string();
      ASSERT_EQ(name.find(".dgen-partial"), std::string::npos) << name;
      const int k = std::stoi(name.substr(1));
      EXPECT_TRUE(read_file(e.path().string()) ==
                  all.substr(static_cast<std::size_t>(k) << 20, 1 << 20))
          << name;
      ++whole;
    }
    EXPECT_GT(whole, 30);
    EXPECT_LE(whole, 64) << "64 MiB hold at most 64 files of 1 MiB";
  }
  fs::remove_all(tmp.dir + "/ds");
}

// A file's name and place are functions of its index: a billion-file dataset (within the range
// --files takes) starts at once in bounded memory, under an address-space limit of 4 GiB, and a
// time-bounded write creates files within its window (it held 10.7 GB and created nothing in
// 30 s). Each file holds its byte of the stream.
// The address-space limit that turns memory growing with the file count into a failure; not
// under ASan, which reserves terabytes of address space for its shadow memory.
const std::string kAddressSpaceLimit = DGEN_SANITIZED ? "" : "prlimit --as=4294967296 ";

TEST(Storage, ABillionFileDatasetStartsAtOnceInBoundedMemory) {
  Mount tmp("tmpfs", "size=256m");
  ASSERT_TRUE(tmp.ok) << tmp.log;
  const auto start = std::chrono::steady_clock::now();
  const auto r =
      run_shell(kAddressSpaceLimit + kBinary + kData +
                "--files 1000000000 --file-size 1 --files-per-dir 1000000 " +
                "--duration 500ms --threads 2 --format json --output " + tmp.dir + "/ds");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(seconds, 20.0);
  const auto j = parse_json(r);
  const std::uint64_t files = j["iterations"][0]["files"];
  EXPECT_GT(files, 0u);
  std::uint64_t on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(tmp.dir)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    ASSERT_EQ(name.find(".dgen-partial"), std::string::npos) << name;
    if (on_disk++ < 50) {
      const std::uint64_t k = std::stoull(name.substr(1));
      std::string want(1, '\0');
      dgen::Generator(spec()).generate(k, {reinterpret_cast<std::byte*>(want.data()), 1});
      EXPECT_EQ(read_file(e.path().string()), want) << name;
    }
  }
  EXPECT_EQ(on_disk, files);
  fs::remove_all(tmp.dir + "/ds");
}

// A stop during a large dataset's setup (here its million directories being made) is acted on
// at once: the job ends with the stop's code, its report, and the directories it made removed.
TEST(Storage, AStopDuringADatasetsSetupEndsItAtOnce) {
  Mount tmp("tmpfs", "size=256m");
  ASSERT_TRUE(tmp.ok) << tmp.log;
  dgen::test::Background job(kAddressSpaceLimit + kBinary +
                             " --files 1000000000 --file-size 1 --duration 500ms --threads 2 " +
                             "--output " + tmp.dir + "/ds");
  ASSERT_TRUE(job.wait_for([&] { return fs::exists(tmp.dir + "/ds/d000100"); })) << job.err();
  const auto signalled = std::chrono::steady_clock::now();
  job.signal(SIGTERM);
  const auto r = job.wait(60);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_LT(seconds, 10.0) << "from SIGTERM to the end";
  EXPECT_NE(r.out.find("INCOMPLETE: stopped by signal 15"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(tmp.dir + "/ds")) << "the directories this run made are removed";
}

// Inodes run out where no byte count sees it coming: the error names the file and the OS
// error, every rank stops, and the dataset keeps only whole files (each the stream's bytes).
TEST(Storage, DatasetOutOfInodesKeepsOnlyWholeFiles) {
  Mount tmp("tmpfs", "size=64m,nr_inodes=16");
  ASSERT_TRUE(tmp.ok) << tmp.log;
  const std::uint64_t size = 65536 + 512;
  const auto r =
      run_shell(kMpirun + "-n 2 " + kBinary + " --files 40 --file-size " + std::to_string(size) +
                " --files-per-dir 100 --output " + tmp.dir + "/ds --threads 2" + kData);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("cannot create " + tmp.dir + "/ds/d0/f"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  const std::string all = stream(40 * size);
  int whole = 0;
  for (const auto& e : fs::recursive_directory_iterator(tmp.dir)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    ASSERT_EQ(name.find(".dgen-partial"), std::string::npos) << name;
    const int k = std::stoi(name.substr(1));
    EXPECT_TRUE(read_file(e.path().string()) == all.substr(k * size, size)) << name;
    ++whole;
  }
  EXPECT_GT(whole, 0);
  EXPECT_LT(whole, 40);
}

// SIGTERM in the middle of a dataset (a batch system's time limit): the partial report says how
// many bytes of whole files stayed; none is short and no temporary name is left.
TEST(Storage, InterruptedDatasetKeepsOnlyWholeFiles) {
  Scratch s("interrupted-dataset");
  const std::uint64_t size = 64 * 1024;
  const auto r = run_shell("timeout --preserve-status -s TERM 3 " + kBinary + " --files 400 " +
                           "--file-size " + std::to_string(size) + " --iterations 100000 " +
                           "--output " + s.dir + "/ds --threads 2 --format json" + kData);
  ASSERT_EQ(r.exit_code, 143) << r.err;
  const auto j = parse_json(r);
  EXPECT_FALSE(j["complete"].get<bool>());
  const std::string all = stream(400 * size);
  std::uint64_t kept = 0;
  for (const auto& f : s.files()) {
    ASSERT_EQ(f.find(".dgen-partial"), std::string::npos) << f;
    const std::string bytes = read_file(s.dir + "/" + f);
    const auto k = std::stoull(f.substr(f.rfind("/f") + 2));
    ASSERT_EQ(bytes.size(), size) << f;
    EXPECT_TRUE(bytes == all.substr(k * size, size)) << f;
    kept += size;
  }
  EXPECT_GT(kept, 0u);
  EXPECT_LE(j["bytes_kept"].get<std::uint64_t>(), kept);
}

}  // namespace

namespace {

// --verify end to end: the test writes a stream with dgen_mpi, corrupts the file itself, and
// reads it back with --verify. Every case is a real corruption that must be found and named.
class VerifyFile : public ::testing::Test {
 protected:
  void SetUp() override { path_ = scratch_.dir + "/v.bin"; }
  void write(const std::string& data_options, std::uint64_t size) {
    const auto r = run_shell(kBinary + " --size " + std::to_string(size) + " --output " + path_ +
                             " " + data_options);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string bytes(std::uint64_t at, std::uint64_t n) const {
    return read_file(path_).substr(at, n);
  }
  void put(std::uint64_t at, const std::string& b) const {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at));
    f.write(b.data(), static_cast<std::streamsize>(b.size()));
  }
  nlohmann::json verify(const std::string& args, int expect_exit) {
    const auto r = run_shell(args + " --verify --format json");
    EXPECT_EQ(r.exit_code, expect_exit) << args << "\n" << r.err;
    if (r.out.empty()) return {};
    return nlohmann::json::parse(r.out)["verify"];
  }
  Scratch scratch_{"verify"};
  std::string path_;
};

constexpr std::uint64_t kSize = 8 << 20;

TEST_F(VerifyFile, AnIntactFileMatchesWithAnyRankCount) {
  // Written by 3 ranks, verified by 1, 2 and 4: the stream is the contract.
  const auto w = run_shell(kMpirun + "-n 3 " + kBinary + " --size 4MiB --output " + path_ + kData);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  for (int ranks : {1, 2, 4}) {
    SCOPED_TRACE(ranks);
    const auto v = verify(kMpirun + "-n " + std::to_string(ranks) + " " + kBinary + " --size " +
                              std::to_string((12 << 20) / ranks) + " --input " + path_ + kData,
                          0);
    EXPECT_EQ(v["bytes"], 12 << 20);
    EXPECT_EQ(v["mismatched_bytes"], 0);
    EXPECT_TRUE(v["mismatches"].empty());
  }
}

TEST_F(VerifyFile, FlippedBytesAreEachNamedAtTheirOffset) {
  write(kData, kSize);
  const std::uint64_t spots[] = {0, kSize / 2 + 5, kSize - 1};
  for (std::uint64_t at : spots) put(at, std::string(1, static_cast<char>(bytes(at, 1)[0] ^ 1)));
  const auto v =
      verify(kBinary + " --size " + std::to_string(kSize) + " --input " + path_ + kData, 1);
  ASSERT_EQ(v["mismatches"].size(), 3u) << v;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(v["mismatches"][i]["offset"], spots[i]);
    EXPECT_EQ(v["mismatches"][i]["length"], 1);
    EXPECT_EQ(v["mismatches"][i]["holds"], "foreign");
    EXPECT_EQ(v["mismatches"][i]["file_offset"], spots[i]);
  }
  EXPECT_EQ(v["mismatched_bytes"], 3);
  EXPECT_EQ(v["mismatched_blocks"], 3);
}

TEST_F(VerifyFile, AMisdirectedBlockIsNamedWithItsTrueOffset) {
  for (const std::string d : {"1", "2"}) {
    SCOPED_TRACE("dedup " + d);
    const std::string data = " --dedup-ratio " + d + " --compress-ratio 2 ";
    write(data, kSize);
    put(5 << 20, bytes(3 << 20, 4096));
    const auto v =
        verify(kBinary + " --size " + std::to_string(kSize) + " --input " + path_ + data, 1);
    ASSERT_EQ(v["mismatches"].size(), 1u) << v;
    const auto& m = v["mismatches"][0];
    EXPECT_EQ(m["holds"], "stream");
    const std::uint64_t into = m["offset"].get<std::uint64_t>() - (5 << 20);
    EXPECT_LT(into, 64u);
    // With D = 2 the block may be a duplicate: then it is named by the first unit carrying it,
    // whose bytes are the same.
    const std::uint64_t named = m["stream_offset"].get<std::uint64_t>() - into;
    EXPECT_TRUE(bytes(named, 4096) == bytes(3 << 20, 4096)) << named;
    if (d == "1") EXPECT_EQ(named, 3u << 20);
  }
}

TEST_F(VerifyFile, AShiftedBlockAndAZeroedRangeAndAForeignBlock) {
  write(kData, kSize);
  put(1 << 20, bytes((1 << 20) + 512, 4096));  // shifted by 512 bytes
  put(3 << 20, std::string(65536, '\0'));      // a hole
  Scratch other("verify-other");
  ASSERT_EQ(run_shell(kBinary + " --size 1MiB --seed 5 --output " + other.dir + "/o.bin").exit_code,
            0);
  put(6 << 20, read_file(other.dir + "/o.bin").substr(0, 4096));  // another seed's block
  const auto v =
      verify(kBinary + " --size " + std::to_string(kSize) + " --input " + path_ + kData, 1);
  ASSERT_EQ(v["mismatches"].size(), 3u) << v;
  EXPECT_EQ(v["mismatches"][0]["holds"], "stream");
  EXPECT_EQ(v["mismatches"][0]["stream_offset"].get<std::uint64_t>() -
                v["mismatches"][0]["offset"].get<std::uint64_t>(),
            512u);
  EXPECT_EQ(v["mismatches"][1]["holds"], "zeros");
  EXPECT_GE(v["mismatches"][1]["offset"], 3u << 20);
  EXPECT_LE(v["mismatches"][1]["offset"].get<std::uint64_t>() +
                v["mismatches"][1]["length"].get<std::uint64_t>(),
            (3u << 20) + 65536);
  EXPECT_GT(v["mismatches"][1]["length"], 60000);
  EXPECT_EQ(v["mismatches"][2]["holds"], "foreign");
  EXPECT_EQ(v["mismatches"][2]["offset"], 6u << 20);
}

// Missing and short data is what verify exists to find: a finding (exit 1) naming the file,
// the stream range it should hold and the bytes missing; the present prefix is still compared.
TEST_F(VerifyFile, ATruncatedFileIsAFindingAndItsPrefixIsCompared) {
  write(kData, kSize);
  put(1000, std::string(1, static_cast<char>(bytes(1000, 1)[0] ^ 1)));
  fs::resize_file(path_, kSize - 5000);
  for (int ranks : {1, 2}) {
    SCOPED_TRACE(ranks);
    const std::string launch = ranks == 1 ? "" : kMpirun + "-n 2 ";
    const std::string args =
        launch + kBinary + " --size " + std::to_string(kSize / ranks) + " --input " + path_ + kData;
    const auto r = run_shell(args + " --verify --format json");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("5001 bytes differ from the stream, in 3 blocks of 4 KiB, 5000 of them "
                         "missing (files missing or short)"),
              std::string::npos)
        << r.err;
    const auto v = nlohmann::json::parse(r.out)["verify"];
    ASSERT_EQ(v["mismatches"].size(), 2u) << v;
    EXPECT_EQ(v["mismatches"][0]["offset"], 1000);
    EXPECT_EQ(v["mismatches"][0]["holds"], "foreign");
    const auto& m = v["mismatches"][1];
    EXPECT_EQ(m["holds"], "truncated");
    EXPECT_EQ(m["file"], path_);
    EXPECT_EQ(m["offset"], kSize - 5000);
    EXPECT_EQ(m["file_offset"], kSize - 5000);
    EXPECT_EQ(m["length"], 5000);
    EXPECT_EQ(v["missing_bytes"], 5000);
    EXPECT_EQ(v["mismatched_bytes"], 5001);
    EXPECT_EQ(v["bytes"], kSize - 5000) << "every byte that is there is compared";
  }
  const auto table = run_shell(kBinary + " --size " + std::to_string(kSize) + " --input " + path_ +
                               kData + " --verify");
  EXPECT_EQ(table.exit_code, 1);
  EXPECT_NE(table.out.find("offset " + std::to_string(kSize - 5000) + " (+5000 bytes), " + path_ +
                           " at " + std::to_string(kSize - 5000) + ": missing: the file ends at " +
                           std::to_string(kSize - 5000) + ", 5000 bytes short"),
            std::string::npos)
      << table.out;
  // Without --verify a short input is still bad input: a read needs its bytes.
  const auto read =
      run_shell(kBinary + " --size " + std::to_string(kSize) + " --input " + path_ + kData);
  EXPECT_EQ(read.exit_code, 2) << read.err;
  EXPECT_NE(read.err.find(std::to_string(kSize) + " bytes expected (8 MiB), " +
                          std::to_string(kSize - 5000) + " found"),
            std::string::npos)
      << read.err;
}

TEST_F(VerifyFile, FilePerRankOneMissingOneShortAndTheOtherCompared) {
  const std::string layout = " --size 1MiB --file-per-rank" + kData;
  ASSERT_EQ(run_shell(kMpirun + "-n 3 " + kBinary + " --output " + path_ + layout).exit_code, 0);
  const std::string f0 = path_ + ".00000000", f1 = path_ + ".00000001", f2 = path_ + ".00000002";
  {
    std::fstream f(f0, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(5);
    f.write(std::string(4096, '\x7f').data(), 4096);
  }
  fs::remove(f1);
  fs::resize_file(f2, 600000);
  const auto v = verify(kMpirun + "-n 3 " + kBinary + " --input " + path_ + layout, 1);
  ASSERT_EQ(v["mismatches"].size(), 3u) << v;
  EXPECT_EQ(v["mismatches"][0]["file"], f0);
  EXPECT_EQ(v["mismatches"][0]["offset"], 5);
  EXPECT_EQ(v["mismatches"][0]["holds"], "constant");
  EXPECT_EQ(v["mismatches"][1]["file"], f1);
  EXPECT_EQ(v["mismatches"][1]["holds"], "missing");
  EXPECT_EQ(v["mismatches"][1]["offset"], 1 << 20);
  EXPECT_EQ(v["mismatches"][1]["file_offset"], 0);
  EXPECT_EQ(v["mismatches"][1]["length"], 1 << 20);
  EXPECT_EQ(v["mismatches"][2]["file"], f2);
  EXPECT_EQ(v["mismatches"][2]["holds"], "truncated");
  EXPECT_EQ(v["mismatches"][2]["offset"], (2 << 20) + 600000);
  EXPECT_EQ(v["mismatches"][2]["file_offset"], 600000);
  EXPECT_EQ(v["mismatches"][2]["length"], (1 << 20) - 600000);
  EXPECT_EQ(v["missing_bytes"], (1 << 20) + (1 << 20) - 600000);
  EXPECT_EQ(v["bytes"], (1 << 20) + 600000);
}

TEST_F(VerifyFile, DatasetTwoFilesMissingAndAByteFlippedInAThirdAreAllNamed) {
  const std::string ds = scratch_.dir + "/ds";
  const std::string layout = " --files 6 --file-size 300000" + kData;
  ASSERT_EQ(run_shell(kMpirun + "-n 2 " + kBinary + " --output " + ds + layout).exit_code, 0);
  fs::remove(ds + "/d0/f1");
  fs::remove(ds + "/d0/f2");
  {
    std::fstream f(ds + "/d0/f4", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(1234);
    char c = 0;
    f.get(c);
    f.seekp(1234);
    f.put(static_cast<char>(c ^ 1));
  }
  for (int ranks : {1, 3}) {
    SCOPED_TRACE(ranks);
    const std::string launch = ranks == 1 ? "" : kMpirun + "-n 3 ";
    const auto v = verify(launch + kBinary + " --input " + ds + layout, 1);
    ASSERT_EQ(v["mismatches"].size(), 3u) << v;
    EXPECT_EQ(v["mismatches"][0]["file"], ds + "/d0/f1");
    EXPECT_EQ(v["mismatches"][0]["holds"], "missing");
    EXPECT_EQ(v["mismatches"][0]["offset"], 300000);
    EXPECT_EQ(v["mismatches"][0]["length"], 300000);
    EXPECT_EQ(v["mismatches"][1]["file"], ds + "/d0/f2");
    EXPECT_EQ(v["mismatches"][1]["holds"], "missing");
    EXPECT_EQ(v["mismatches"][1]["offset"], 600000);
    EXPECT_EQ(v["mismatches"][2]["file"], ds + "/d0/f4");
    EXPECT_EQ(v["mismatches"][2]["offset"], 4 * 300000 + 1234);
    EXPECT_EQ(v["mismatches"][2]["file_offset"], 1234);
    EXPECT_EQ(v["mismatches"][2]["length"], 1);
    EXPECT_EQ(v["missing_bytes"], 600000);
    EXPECT_EQ(v["mismatched_bytes"], 600001);
    EXPECT_EQ(v["bytes"], 4 * 300000);
  }
  // Bad input stays bad input (exit 2): a directory where a file goes, and a path with no file
  // of the layout at all (most likely a wrong path).
  fs::create_directory(ds + "/d0/f1");
  const auto dir = run_shell(kBinary + " --input " + ds + layout + " --verify");
  EXPECT_EQ(dir.exit_code, 2) << dir.err;
  EXPECT_NE(dir.err.find("--input " + ds + "/d0/f1: is a directory"), std::string::npos) << dir.err;
  const auto none = run_shell(kBinary + " --size 1MiB --input " + scratch_.dir + "/none.bin" +
                              kData + " --verify");
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_NE(none.err.find(scratch_.dir + "/none.bin: cannot open: No such file or directory"),
            std::string::npos)
      << none.err;
}

// --unique-dir names a file by the rank count that wrote it: any other rank count reads and
// verifies it (the writers counted from the rank directories).
TEST_F(VerifyFile, UniqueDirDatasetIsVerifiedByAnyRankCount) {
  const std::string ds = scratch_.dir + "/u";
  const std::string layout = " --files 7 --file-size 100000 --unique-dir" + kData;
  ASSERT_EQ(run_shell(kMpirun + "-n 2 " + kBinary + " --output " + ds + layout).exit_code, 0);
  for (int ranks : {1, 2, 3}) {
    SCOPED_TRACE(ranks);
    const auto v = verify(
        kMpirun + "-n " + std::to_string(ranks) + " " + kBinary + " --input " + ds + layout, 0);
    EXPECT_EQ(v["bytes"], 700000);
    EXPECT_EQ(v["mismatched_bytes"], 0);
  }
  const std::string victim = ds + "/r00000001/d0/f5";  // 2 writers: rank 1 wrote f3 to f6
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(777);
    char c = 0;
    f.get(c);
    f.seekp(777);
    f.put(static_cast<char>(c ^ 1));
  }
  for (int ranks : {1, 3}) {
    SCOPED_TRACE(ranks);
    const auto v = verify(
        kMpirun + "-n " + std::to_string(ranks) + " " + kBinary + " --input " + ds + layout, 1);
    ASSERT_EQ(v["mismatches"].size(), 1u) << v;
    EXPECT_EQ(v["mismatches"][0]["file"], victim);
    EXPECT_EQ(v["mismatches"][0]["offset"], 5 * 100000 + 777);
    EXPECT_EQ(v["mismatches"][0]["file_offset"], 777);
  }
  // A dataset written without --unique-dir, read with it: refused, saying so.
  const std::string plain = scratch_.dir + "/p";
  ASSERT_EQ(
      run_shell(kBinary + " --output " + plain + " --files 3 --file-size 1000" + kData).exit_code,
      0);
  const auto r =
      run_shell(kBinary + " --input " + plain + " --files 3 --file-size 1000 --unique-dir" + kData);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--input " + plain +
                       ": --unique-dir: it holds no rank directory (r00000000, ...): it was "
                       "written without --unique-dir"),
            std::string::npos)
      << r.err;
}

TEST_F(VerifyFile, ADatasetFilesCorruptTailIsNamedByFileAndOffset) {
  const std::string ds = scratch_.dir + "/ds";
  const std::string layout = " --files 20 --file-size 300000 --files-per-dir 8" + kData;
  ASSERT_EQ(run_shell(kMpirun + "-n 2 " + kBinary + " --output " + ds + layout).exit_code, 0);
  const std::string victim = ds + "/d1/f13";
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(299000);
    f.write(std::string(1000, '\x7f').data(), 1000);
  }
  const auto v = verify(kMpirun + "-n 3 " + kBinary + " --input " + ds + layout, 1);
  ASSERT_EQ(v["mismatches"].size(), 1u) << v;
  const auto& m = v["mismatches"][0];
  EXPECT_EQ(m["file"], victim);
  EXPECT_EQ(m["file_offset"], 299000);
  EXPECT_EQ(m["offset"], 13 * 300000 + 299000);
  EXPECT_EQ(m["length"], 1000);
  EXPECT_EQ(m["holds"], "constant");
  EXPECT_EQ(m["constant"], 0x7f);
}

// IOR -w -W: write, read back and compare in one job, every layout and both I/O paths.
TEST_F(VerifyFile, WriteThenVerifyInOneJob) {
  for (const std::string args :
       {" --size 3MiB --output " + path_, " --size 3MiB --file-per-rank --output " + path_,
        " --files 5 --file-size 1MiB --output " + scratch_.dir + "/ds",
        " --size 3MiB --io mpiio --output " + path_,
        " --size 3MiB --output " + path_ + " --reorder"}) {
    SCOPED_TRACE(args);
    const auto v = verify(kMpirun + "-n 2 " + kBinary + args + kData, 0);
    EXPECT_GT(v["bytes"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(v["mismatched_bytes"], 0);
  }
}

}  // namespace
