// The user's data is never destroyed and no output looks complete unless it is: the report never
// replaces data, existing files are replaced only when their bytes are this seed's stream (or
// with --overwrite), devices only with --in-place and within their size, kernel interface files
// never; an interrupted write keeps what a complete iteration wrote and names every end state
// as it is; one in-place writer at a time; --verify names the data options that fit; inputs
// that would block are refused. Every signal is sent on an event (a progress line, a file that
// grew), never after a fixed delay.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dgen/generator.hpp"
#include "run_binary.hpp"
#include "support.hpp"

namespace {

namespace fs = std::filesystem;
using dgen::test::Background;
using dgen::test::kBinary;
using dgen::test::kMpirun;
using dgen::test::parse_json;
using dgen::test::read_file;
using dgen::test::run_shell;
using dgen::test::size_of;

std::string md5(const std::string& path) {
  const auto r = run_shell("md5sum < '" + path + "'");
  return r.out.substr(0, 32);
}

// Runs a command that must succeed; its stderr is in the failure message.
#define RUN_OK(command)                                         \
  do {                                                          \
    const auto run_ok_result = run_shell(command);              \
    ASSERT_EQ(run_ok_result.exit_code, 0) << run_ok_result.err; \
  } while (0)

std::string stream(const dgen::DataSpec& spec, std::uint64_t n) {
  return dgen::test::stream_text(spec, n);
}

// Files in `dir` whose name holds `part`.
std::vector<std::string> named(const std::string& dir, const std::string& part) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(part) != std::string::npos) out.push_back(e.path());
  return out;
}

// A loop device over an image file, detached and removed at the end.
struct LoopDevice {
  explicit LoopDevice(const std::string& image, std::uint64_t bytes) : image_(image) {
    std::ofstream(image, std::ios::binary) << std::string(bytes, '\x5a');
    const auto r = run_shell("losetup -f --show " + image);
    if (r.exit_code == 0) device = r.out.substr(0, r.out.find('\n'));
  }
  ~LoopDevice() {
    if (!device.empty()) run_shell("losetup -d " + device);
    fs::remove(image_);
  }
  std::string device;

 private:
  std::string image_;
};

// A tmpfs mounted for the test (read-only when asked), unmounted at the end.
struct Tmpfs {
  Tmpfs(const std::string& where, const std::string& options) : dir(where) {
    fs::create_directories(dir);
    ok = run_shell("mount -t tmpfs -o " + options + " dgen-test " + dir).exit_code == 0;
  }
  ~Tmpfs() {
    if (ok) run_shell("umount " + dir);
    fs::remove_all(dir);
  }
  std::string dir;
  bool ok = false;
};

TEST(Safety, TheReportNeverReplacesTheData) {
  dgen::test::ScratchDir s("report-on-data");
  const std::string data = s.dir + "/data.bin";
  RUN_OK(kBinary + " --size 16MiB --output " + data);
  const std::string before = md5(data);
  fs::create_symlink(data, s.dir + "/link-to-data");
  const std::vector<std::string> runs = {
      " --size 16MiB --input " + data + " --verify --report " + data,
      " --size 16MiB --input " + data + " --report " + s.dir + "/link-to-data",
      " --analyze " + data + " --sample 0 --report " + data,
      " --analyze " + s.dir + " --sample 0 --report " + s.dir + "/analysis.json",
      " --size 16MiB --output " + data + " --report " + data,
      " --size 1MiB --output " + s.dir + "/pr --file-per-rank --report " + s.dir + "/pr.00000000",
      " --files 4 --file-size 4KiB --output " + s.dir + "/ds --report " + s.dir + "/ds/r.json",
  };
  for (const auto& args : runs) {
    const auto r = run_shell(kBinary + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("the report would replace the data"), std::string::npos) << args << "\n"
                                                                                  << r.err;
    EXPECT_EQ(md5(data), before) << args;
  }
  // The bandwidth-over-time CSV neither (and not onto the report).
  for (const std::string& args : {" --size 16MiB --input " + data + " --timeline " + data,
                                  " --size 16MiB --output " + data + " --timeline " + data,
                                  " --size 16MiB --input " + data + " --report " + s.dir +
                                      "/r.json --timeline " + s.dir + "/r.json"}) {
    const auto r = run_shell(kBinary + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("--timeline "), std::string::npos) << args << "\n" << r.err;
    EXPECT_EQ(md5(data), before) << args;
  }
  EXPECT_FALSE(fs::exists(s.dir + "/r.json"));
  EXPECT_FALSE(fs::exists(s.dir + "/analysis.json"));
  EXPECT_FALSE(fs::exists(s.dir + "/pr.00000000"));
  EXPECT_FALSE(fs::exists(s.dir + "/ds"));
  EXPECT_TRUE(fs::is_symlink(s.dir + "/link-to-data"));
  // A report beside the data is fine, and a link to a report file is followed, not replaced.
  std::ofstream(s.dir + "/old.json") << "{}";
  fs::create_symlink(s.dir + "/old.json", s.dir + "/report-link");
  const auto ok = run_shell(kBinary + " --size 16MiB --input " + data + " --format json --report " +
                            s.dir + "/report-link");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(fs::is_symlink(s.dir + "/report-link"));
  EXPECT_TRUE(parse_json(read_file(s.dir + "/old.json"))["complete"].get<bool>());
}

TEST(Safety, AReportThatCannotBeWrittenFailsTheRunBeforeItStarts) {
  dgen::test::ScratchDir s("report-unwritable");
  Tmpfs ro(s.dir + "/ro", "ro,size=1m");
  ASSERT_TRUE(ro.ok);
  const std::string out = s.dir + "/out.bin";
  for (const std::string& report : {s.dir + "/missing/r.json", ro.dir + "/r.json", s.dir}) {
    const auto r = run_shell(kBinary + " --size 1MiB --output " + out + " --report " + report);
    EXPECT_EQ(r.exit_code, 2) << report << "\n" << r.err;
    EXPECT_NE(r.err.find("--report " + report + ": "), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out)) << report << ": the run started";
  }
  // stdout that takes nothing (/dev/full) is a failed run, not exit 0.
  const auto full = run_shell(kBinary + " --size 1MiB --format json > /dev/full");
  EXPECT_EQ(full.exit_code, 4) << full.err;
  EXPECT_NE(full.err.find("cannot write the report to stdout: No space left on device"),
            std::string::npos)
      << full.err;
}

TEST(Safety, AnExistingFileIsReplacedOnlyWhenItHoldsThisSeedsStream) {
  dgen::test::ScratchDir s("replace");
  const std::string precious = s.dir + "/precious.txt";
  std::ofstream(precious) << "the user's own words\n";
  const std::string readonly = s.dir + "/readonly.txt";
  std::ofstream(readonly) << "read-only, still the user's\n";
  fs::permissions(readonly, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  for (const std::string& target : {precious, readonly}) {
    for (const std::string& extra : {std::string(), std::string(" --in-place")}) {
      const auto r = run_shell(kBinary + " --size 1MiB --output " + target + extra);
      EXPECT_EQ(r.exit_code, 2) << target << extra << "\n" << r.err;
      EXPECT_NE(r.err.find("--output " + target + ": exists"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
    }
  }
  EXPECT_EQ(read_file(precious), "the user's own words\n");
  EXPECT_EQ(read_file(readonly), "read-only, still the user's\n");
  EXPECT_TRUE(named(s.dir, "dgen-partial").empty());
  // A dataset's existing file that is not this seed's stream stops the run before any write.
  fs::create_directories(s.dir + "/ds/d0");
  std::ofstream(s.dir + "/ds/d0/f1") << "mine";
  auto r = run_shell(kBinary + " --files 2 --file-size 4KiB --output " + s.dir + "/ds");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--output " + s.dir + "/ds/d0/f1: exists"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(s.dir + "/ds/d0/f0")) << "no byte is written before the check";
  EXPECT_EQ(read_file(s.dir + "/ds/d0/f1"), "mine");
  // This program's output for the seed is replaced, whatever its data options were: reruns.
  const std::string out = s.dir + "/out.bin";
  RUN_OK(kBinary + " --size 1MiB --output " + out + " --dedup-ratio 3");
  r = run_shell(kBinary + " --size 2MiB --output " + out + " --compress-ratio 2 --dedup-unit 8KiB");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  dgen::DataSpec second;
  second.compress_ratio = 2;
  second.dedup_unit = 8192;
  EXPECT_TRUE(read_file(out) == stream(second, 2 << 20));
  // Another seed's output is not this run's to replace.
  r = run_shell(kBinary + " --size 1MiB --output " + out + " --seed 5");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("does not hold dgen_mpi's stream of seed 0x5"), std::string::npos) << r.err;
  // --overwrite replaces anything; an empty file is replaced without it.
  r = run_shell(kBinary + " --size 1MiB --output " + precious + " --overwrite");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(size_of(precious), 1u << 20);
  std::ofstream(s.dir + "/empty");
  EXPECT_EQ(run_shell(kBinary + " --size 4KiB --output " + s.dir + "/empty").exit_code, 0);
  // A file of the seed that starts with a hole (a partial file, a thread that had not started)
  // is recognised at its first data.
  const std::string holed = s.dir + "/holed.bin";
  ASSERT_EQ(run_shell("truncate -s 1M " + holed + " && " + kBinary + " --size 1MiB --output - " +
                      "2>/dev/null | dd of=" + holed + " bs=64K seek=8 skip=8 conv=notrunc " +
                      "status=none iflag=fullblock")
                .exit_code,
            0);
  r = run_shell(kBinary + " --size 1MiB --output " + holed);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Safety, DevicesNeedInPlaceAndMustHoldTheStream) {
  dgen::test::ScratchDir s("devices");
  LoopDevice loop(s.dir + "/disk.img", 8 << 20);
  ASSERT_FALSE(loop.device.empty()) << "losetup failed";
  const std::string before = md5(loop.device);
  auto r = run_shell(kBinary + " --size 1MiB --output " + loop.device);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is a block device; writing it destroys what it holds: add --in-place"),
            std::string::npos)
      << r.err;
  r = run_shell(kBinary + " --size 16MiB --output " + loop.device + " --in-place");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("16777216 bytes (16 MiB) to write but the device holds 8388608 (8 MiB)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(md5(loop.device), before) << "a refused run wrote the device";
  r = run_shell(kBinary + " --size 4MiB --output " + loop.device + " --in-place --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(read_file(loop.device).substr(0, 4 << 20) == stream({}, 4 << 20));
  // Character devices too; the null device destroys nothing and needs nothing.
  r = run_shell(kBinary + " --size 1MiB --output /dev/full");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is a character device"), std::string::npos) << r.err;
  EXPECT_EQ(run_shell(kBinary + " --size 1MiB --output /dev/null").exit_code, 0);
}

TEST(Safety, KernelInterfaceFilesAreNeverWritten) {
  for (const std::string& target :
       {std::string("/proc/sys/vm/drop_caches"), std::string("/proc/sys/kernel/hostname"),
        std::string("/sys/kernel/mm/transparent_hugepage/enabled")}) {
    if (!fs::exists(target)) continue;
    const std::string before = read_file(target);
    for (const std::string& extra : {std::string(), std::string(" --in-place --overwrite")}) {
      const auto r = run_shell(kBinary + " --size 4KiB --output " + target + extra);
      EXPECT_EQ(r.exit_code, 2) << target << extra << "\n" << r.err;
      EXPECT_NE(r.err.find("a kernel interface, not storage"), std::string::npos) << r.err;
    }
    EXPECT_EQ(read_file(target), before) << target;
  }
  const auto r = run_shell(kBinary + " --files 2 --file-size 4KiB --output /sys/kernel/dgen-ds");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is on sysfs"), std::string::npos) << r.err;
}

// How many bytes from offset 0 a file holds before its first hole (SEEK_HOLE; written pages in
// the page cache count): the stream's first bytes. A file's size says less: with 2 threads the
// second thread's first write, half way into the file, sets the size before the first thread
// wrote anything.
std::uint64_t written_from_start(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return 0;
  const off_t hole = ::lseek(fd, 0, SEEK_HOLE);
  ::close(fd);
  return hole < 0 ? 0 : static_cast<std::uint64_t>(hole);
}

// Starts a write, waits until its temporary file holds its first `bytes`, and stops it with
// SIGTERM.
dgen::test::ProcessResult stop_when_written(const std::string& command, const std::string& dir,
                                            std::uint64_t bytes) {
  Background run(command);
  EXPECT_TRUE(run.wait_for([&] {
    for (const auto& f : named(dir, "dgen-partial"))
      if (written_from_start(f) >= bytes) return true;
    return false;
  })) << "the write never reached "
      << bytes << " bytes:\n"
      << run.err();
  run.signal(SIGTERM);
  return run.wait();
}

TEST(Safety, KeepPartialKeepsThePartialUnderItsNameAndLeavesTheOriginal) {
  dgen::test::ScratchDir s("keep-original");
  const std::string orig = s.dir + "/orig.bin";
  RUN_OK(kBinary + " --size 64MiB --output " + orig);
  const std::string before = md5(orig);
  const auto r = stop_when_written(kBinary + " --size 8GiB --threads 2 --fsync off --output " +
                                       orig + " --keep-partial " + "--format json",
                                   s.dir, 64 << 20);
  EXPECT_EQ(r.exit_code, 143) << r.err;
  EXPECT_EQ(md5(orig), before) << "the original was replaced";
  const auto partials = named(s.dir, ".dgen-partial-");
  ASSERT_EQ(partials.size(), 1u);
  const auto j = parse_json(r.out);
  EXPECT_EQ(j["output_state"]["state"], "partial");
  EXPECT_EQ(j["output_state"]["path"], partials[0]);
  const std::uint64_t kept = j["bytes_kept"].get<std::uint64_t>();
  EXPECT_EQ(size_of(partials[0]), kept);
  EXPECT_GT(kept, 0u);
  EXPECT_TRUE(read_file(partials[0]) == stream({}, kept)) << "the prefix is the stream's";
  EXPECT_NE(r.err.find("the partial output is kept as " + partials[0]), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(orig + " is untouched"), std::string::npos) << r.err;
}

TEST(Safety, AStopAfterACompleteIterationKeepsThatIterationsFile) {
  dgen::test::ScratchDir s("iterations");
  for (const std::string& extra : {std::string(), std::string(" --in-place")}) {
    const std::string out = s.dir + "/f" + (extra.empty() ? "" : "-in-place");
    const std::uint64_t size = 256ULL << 20;
    Background run(kBinary + " --size " + std::to_string(size) + " --iterations 100000 " +
                   "--threads 2 --fsync off --progress --format json --output " + out + extra);
    // Past the first iteration's bytes: it completed (iteration 2 starts after a sync).
    ASSERT_TRUE(run.wait_for([&] { return dgen::test::progress_bytes(run.err()) > 1.5 * size; }))
        << run.err();
    run.signal(SIGTERM);
    const auto r = run.wait();
    EXPECT_EQ(r.exit_code, 143) << r.err;
    ASSERT_TRUE(fs::exists(out)) << extra << ": the complete iteration's file was removed";
    EXPECT_TRUE(read_file(out) == stream({}, size)) << extra;
    const auto j = parse_json(r.out);
    EXPECT_EQ(j["output_state"]["state"], "complete") << j["output_state"];
    EXPECT_GE(j["output_state"]["iteration"].get<int>(), 1);
    EXPECT_NE(r.err.find("from iteration "), std::string::npos) << r.err;
    EXPECT_TRUE(named(s.dir, "dgen-partial").empty());
  }
}

TEST(Safety, EveryEndStateIsNamedAsItIs) {
  dgen::test::ScratchDir s("end-states");
  // A first iteration stopped: nothing was there before, so nothing is left.
  const std::string fresh = s.dir + "/fresh.bin";
  auto r = stop_when_written(kBinary + " --size 8GiB --threads 2 --fsync off --output " + fresh,
                             s.dir, 64 << 20);
  EXPECT_EQ(r.exit_code, 143);
  EXPECT_FALSE(fs::exists(fresh));
  EXPECT_NE(r.err.find("the temporary file was removed; nothing was created at " + fresh),
            std::string::npos)
      << r.err;
  // In place over an existing file of the seed: cut to 0 bytes, and said so.
  const std::string existing = s.dir + "/existing.bin";
  RUN_OK(kBinary + " --size 1MiB --output " + existing);
  {
    Background run(kBinary + " --size 8GiB --threads 2 --fsync off --in-place --output " +
                   existing);
    ASSERT_TRUE(run.wait_for([&] { return size_of(existing) >= (64 << 20); })) << run.err();
    run.signal(SIGTERM);
    r = run.wait();
  }
  EXPECT_EQ(r.exit_code, 143);
  EXPECT_EQ(size_of(existing), 0u);
  EXPECT_NE(r.err.find(existing + " (written in place) was cut to 0 bytes"), std::string::npos)
      << r.err;
  // A dataset: the whole files it kept, counted.
  const std::string ds = s.dir + "/ds";
  {
    Background run(kBinary + " --files 4000 --file-size 1MiB --fsync off --progress --format " +
                   "json --output " + ds);
    ASSERT_TRUE(run.wait_for([&] { return dgen::test::progress_bytes(run.err()) > (64 << 20); }))
        << run.err();
    run.signal(SIGTERM);
    r = run.wait();
  }
  EXPECT_EQ(r.exit_code, 143);
  const auto j = parse_json(r.out);
  const std::uint64_t files = j["output_state"]["files"].get<std::uint64_t>();
  std::uint64_t on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(ds)) {
    if (!e.is_regular_file()) continue;
    ++on_disk;
    EXPECT_EQ(e.file_size(), 1u << 20) << e.path();
  }
  EXPECT_EQ(on_disk, files);
  EXPECT_NE(r.err.find(ds + " keeps " + std::to_string(files) + " of 4000 files"),
            std::string::npos)
      << r.err;
  // The read-back of --output --verify stopped: Faults.AStopDuringTheReadBackKeepsTheOutput
  // (reads slowed on a FUSE path, so that the stop comes during the read-back).
}

TEST(Safety, ASecondInPlaceWriterIsRefusedWithThePidOfTheFirst) {
  dgen::test::ScratchDir s("two-writers");
  const std::string target = s.dir + "/shared.bin";
  Background first(kBinary + " --size 8GiB --threads 1 --fsync off --in-place --output " + target);
  ASSERT_TRUE(first.wait_for([&] { return size_of(target) >= (16 << 20); })) << first.err();
  const auto second =
      run_shell(kBinary + " --size 1MiB --seed 9 --in-place --overwrite --output " + target);
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_NE(second.err.find("another process (pid " + std::to_string(first.pid()) +
                            ") is writing it in place"),
            std::string::npos)
      << second.err;
  first.signal(SIGTERM);
  EXPECT_EQ(first.wait().exit_code, 143);
  // The lock went with the first writer.
  EXPECT_EQ(run_shell(kBinary + " --size 1MiB --in-place --output " + target).exit_code, 0);
}

TEST(Safety, VerifyNamesTheDataOptionsThatFitAndBytesBeyondTheStream) {
  dgen::test::ScratchDir s("verify-options");
  const std::string f = s.dir + "/f.bin";
  RUN_OK(kBinary + " --size 32MiB --dedup-ratio 2 --output " + f);
  auto r = run_shell(kBinary + " --size 32MiB --dedup-ratio 3 --verify --format json --input " + f);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = parse_json(r.out);
  EXPECT_EQ(j["verify"]["other_options"], "--dedup-ratio 2") << j["verify"];
  const std::string u = s.dir + "/u.bin";
  ASSERT_EQ(run_shell(kBinary + " --size 32MiB --dedup-unit 64KiB --dedup-ratio 3.7 " +
                      "--compress-ratio 4 --compress-fill zero --output " + u)
                .exit_code,
            0);
  r = run_shell(kBinary + " --size 32MiB --verify --input " + u);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("the file's bytes are the stream of --dedup-ratio 3.7 --dedup-unit 64KiB "
                       "--compress-ratio 4 --compress-fill zero"),
            std::string::npos)
      << r.out;
  // Foreign bytes are not explained by options.
  run_shell("dd if=/dev/urandom of=" + u + " bs=1M count=1 conv=notrunc status=none");
  r = run_shell(kBinary + " --size 32MiB --dedup-unit 64KiB --dedup-ratio 3.7 --compress-ratio 4 " +
                "--compress-fill zero --verify --format json --input " + u);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(parse_json(r.out)["verify"]["other_options"].is_null()) << r.out;
  // A file longer than the stream: its extra bytes are a mismatch.
  const std::string longer = s.dir + "/longer.bin";
  ASSERT_EQ(run_shell(kBinary + " --size 1MiB --output " + longer + " && head -c 5000 " +
                      "/dev/urandom >> " + longer)
                .exit_code,
            0);
  r = run_shell(kBinary + " --size 1MiB --verify --format json --input " + longer);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  j = parse_json(r.out);
  EXPECT_EQ(j["verify"]["mismatched_bytes"], 5000);
  ASSERT_EQ(j["verify"]["mismatches"].size(), 1u);
  EXPECT_EQ(j["verify"]["mismatches"][0]["holds"], "beyond the stream");
  EXPECT_EQ(j["verify"]["mismatches"][0]["file_offset"], 1 << 20);
  EXPECT_EQ(j["verify"]["mismatches"][0]["length"], 5000);
  const std::string ds = s.dir + "/ds";
  RUN_OK(kBinary + " --files 3 --file-size 10000 --output " + ds);
  run_shell("head -c 100 /dev/zero >> " + ds + "/d0/f1");
  r = run_shell(kMpirun + "-n 2 " + kBinary +
                " --files 3 --file-size 10000 --verify --format json --input " + ds);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  j = parse_json(r.out);
  EXPECT_EQ(j["verify"]["mismatched_bytes"], 100);
  EXPECT_EQ(j["verify"]["mismatches"][0]["file"], ds + "/d0/f1");
  EXPECT_EQ(j["verify"]["mismatches"][0]["offset"], 20000);
}

TEST(Safety, InputsThatWouldBlockAreRefusedAtOnce) {
  dgen::test::ScratchDir s("fifo-input");
  const std::string fifo = s.dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  // With nobody writing the FIFO, an open would wait forever.
  const auto r = run_shell("timeout 20 " + kBinary + " --size 1MiB --input " + fifo);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--input " + fifo +
                       ": is a FIFO; --input reads regular files "
                       "and block devices"),
            std::string::npos)
      << r.err;
  const auto dev = run_shell("timeout 20 " + kBinary + " --size 1MiB --input /dev/zero");
  EXPECT_EQ(dev.exit_code, 2) << dev.err;
  EXPECT_NE(dev.err.find("is a character device"), std::string::npos) << dev.err;
}

TEST(Safety, OneCauseGivesOneExitCodeInEveryLayout) {
  dgen::test::ScratchDir s("exit-codes");
  Tmpfs ro(s.dir + "/ro", "ro,size=1m");
  ASSERT_TRUE(ro.ok);
  for (const std::string& layout : {std::string(" --size 1MiB --output " + ro.dir + "/f"),
                                    " --size 1MiB --file-per-rank --output " + ro.dir + "/f",
                                    " --files 2 --file-size 4KiB --output " + ro.dir + "/ds",
                                    " --size 1MiB --in-place --output " + ro.dir + "/f"}) {
    const auto r = run_shell(kBinary + layout);
    EXPECT_EQ(r.exit_code, 2) << layout << "\n" << r.err;
    EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << layout << "\n" << r.err;
  }
}

TEST(Safety, ALongFileNameKeepsItsTemporaryNameWithinNameMax) {
  dgen::test::ScratchDir s("long-name");
  const std::string name = s.dir + "/" + std::string(240, 'n');
  const auto r = run_shell("strace -f -e trace=rename -o " + s.dir + "/trace " + kBinary +
                           " --size 1MiB --output " + name);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(read_file(name) == stream({}, 1 << 20));
  const std::string trace = read_file(s.dir + "/trace");
  EXPECT_NE(trace.find("rename(\"" + s.dir + "/.dgen-partial-"), std::string::npos) << trace;
}

// The mode bits of a path (links followed).
unsigned mode_of(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

// --phases ...,delete removes exactly what this run created: its files and the directories it
// made; a directory that stood before (the --output directory, a d0 the user made) stays, with
// its mode, in every layout. A directory this run made goes, the top one included.
TEST(Safety, TheDeletePhaseRemovesOnlyWhatThisRunCreated) {
  dgen::test::ScratchDir s("delete-own");
  const std::string phases = " --phases create,stat,read,delete --file-size 4KiB";
  for (const std::string& layout :
       {std::string(" --files 8 --files-per-dir 2"), std::string(" --files 8 --unique-dir"),
        std::string(" --files 9 --files-per-dir 2 --unique-dir")}) {
    SCOPED_TRACE(layout);
    // Made by the run: all of it goes.
    const std::string fresh = s.dir + "/fresh";
    auto r = run_shell(kMpirun + "-n 2 " + kBinary + layout + phases + " --output " + fresh);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(fresh)) << "the directory this run made stays";
    // Standing before: the directory (0700) and the user's empty d0 (0750) and r00000000
    // (0710) stay with their modes; only what the run made goes.
    const std::string mine = s.dir + "/mine";
    fs::create_directories(mine + "/d0");
    fs::create_directories(mine + "/r00000000");
    ASSERT_EQ(chmod(mine.c_str(), 0700), 0);
    ASSERT_EQ(chmod((mine + "/d0").c_str(), 0750), 0);
    ASSERT_EQ(chmod((mine + "/r00000000").c_str(), 0710), 0);
    r = run_shell(kMpirun + "-n 2 " + kBinary + layout + phases + " --format json --output " +
                  mine);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> left;
    for (const auto& e : fs::recursive_directory_iterator(mine))
      left.push_back(e.path().string().substr(mine.size()));
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{"/d0", "/r00000000"}));
    EXPECT_EQ(mode_of(mine), 0700u);
    EXPECT_EQ(mode_of(mine + "/d0"), 0750u);
    EXPECT_EQ(mode_of(mine + "/r00000000"), 0710u);
    const auto j = parse_json(r.out);
    EXPECT_NE(j["output_state"]["text"].get<std::string>().find("stood before the run and stays"),
              std::string::npos)
        << j["output_state"];
    fs::remove_all(mine);
  }
}

// A shared file or a rank's file is a file's path: --output dir/ (which made the hidden
// dir/.00000000 with --file-per-rank) is refused with one line, nothing created.
TEST(Safety, AFilePathEndingInASlashIsRefused) {
  dgen::test::ScratchDir s("trailing-slash");
  fs::create_directories(s.dir + "/dir");
  for (const std::string& args :
       {" --size 1MiB --file-per-rank --output " + s.dir + "/dir/",
        " --size 1MiB --output " + s.dir + "/dir/", " --size 1MiB --output " + s.dir + "/new/",
        " --size 1MiB --file-per-rank --input " + s.dir + "/dir/"}) {
    const auto r = run_shell(kBinary + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("/: ends in '/', a directory: "), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_TRUE(fs::is_empty(s.dir + "/dir"));
  EXPECT_FALSE(fs::exists(s.dir + "/new"));
}

// A symbolic link is followed as IOR, fio and dd follow it: the bytes go to the file it names
// (beside which the temporary file is made and renamed), and the link stays a link; the same
// for a link that names no file yet, a rank's file, --input, --report, --timeline and a
// dataset's directory; with each engine.
TEST(Safety, WritesGoThroughASymbolicLinkToTheFileItNames) {
  dgen::test::ScratchDir s("symlinks");
  fs::create_directories(s.dir + "/real");
  fs::create_directories(s.dir + "/links");
  const std::string want = run_shell(kBinary + " --size 1MiB --output -").out;
  ASSERT_EQ(want.size(), 1u << 20);
  for (const std::string& extra :
       {std::string(), std::string(" --in-place"), std::string(" --io mpiio"),
        std::string(" --io uring"), std::string(" --file-per-rank")}) {
    SCOPED_TRACE(extra);
    const bool per_rank = extra == " --file-per-rank";
    const std::string suffix = per_rank ? ".00000000" : "";
    const std::string target = s.dir + "/real/data.bin" + suffix;
    const std::string link = s.dir + "/links/out";
    fs::remove(target);
    fs::create_symlink("../real/data.bin" + suffix, link + suffix);  // names no file yet
    for (int run = 0; run < 2; ++run) {  // created, then replaced (the seed's own file)
      const auto r = run_shell(kBinary + " --size 1MiB --output " + link + extra + " --report " +
                               s.dir + "/links/report --timeline " + s.dir + "/links/timeline");
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_TRUE(fs::is_symlink(link + suffix)) << "run " << run;
      EXPECT_TRUE(read_file(target) == want) << "run " << run;
      if (run == 0) {
        // The report and timeline through links too, from here on.
        fs::rename(s.dir + "/links/report", s.dir + "/real/report");
        fs::rename(s.dir + "/links/timeline", s.dir + "/real/timeline");
        fs::create_symlink(s.dir + "/real/report", s.dir + "/links/report");
        fs::create_symlink("../real/timeline", s.dir + "/links/timeline");
      }
    }
    EXPECT_TRUE(fs::is_symlink(s.dir + "/links/report"));
    EXPECT_TRUE(fs::is_symlink(s.dir + "/links/timeline"));
    EXPECT_NE(read_file(s.dir + "/real/report").find("dgen_mpi"), std::string::npos);
    EXPECT_FALSE(read_file(s.dir + "/real/timeline").empty());
    EXPECT_TRUE(named(s.dir + "/links", "dgen-partial").empty());
    EXPECT_TRUE(named(s.dir + "/real", "dgen-partial").empty());
    // Read back through the link.
    const std::string reading = extra == " --in-place" ? std::string() : extra;
    const auto v = run_shell(kBinary + " --size 1MiB --verify --input " + link + reading);
    EXPECT_EQ(v.exit_code, 0) << v.err;
    for (const std::string& f : {link + suffix, s.dir + "/links/report", s.dir + "/links/timeline"})
      fs::remove(f);
    fs::remove(target);
    fs::remove(s.dir + "/real/report");
    fs::remove(s.dir + "/real/timeline");
  }
  // A user's file behind a link is still the user's: refused, and the link stays.
  std::ofstream(s.dir + "/real/notes.txt") << "mine";
  fs::create_symlink(s.dir + "/real/notes.txt", s.dir + "/links/notes");
  const auto r = run_shell(kBinary + " --size 1MiB --output " + s.dir + "/links/notes");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(read_file(s.dir + "/real/notes.txt"), "mine");
  EXPECT_TRUE(fs::is_symlink(s.dir + "/links/notes"));
  // A dataset whose directory is a link to a directory: the files go there, and delete
  // leaves the link and the directory (both stood before).
  fs::create_directories(s.dir + "/real/ds");
  fs::create_symlink(s.dir + "/real/ds", s.dir + "/links/ds");
  const auto d = run_shell(kBinary + " --files 4 --file-size 4KiB --output " + s.dir + "/links/ds");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(fs::is_symlink(s.dir + "/links/ds"));
  EXPECT_TRUE(read_file(s.dir + "/real/ds/d0/f3") ==
              run_shell(kBinary + " --size 16KiB --output -").out.substr(3 * 4096));
  // A link at a dataset file's name (to a copy of that very file): its rename would replace
  // the link, so it is refused and left as it is.
  fs::copy_file(s.dir + "/real/ds/d0/f1", s.dir + "/real/f1-copy");
  fs::remove(s.dir + "/real/ds/d0/f1");
  fs::create_symlink(s.dir + "/real/f1-copy", s.dir + "/real/ds/d0/f1");
  const auto again =
      run_shell(kBinary + " --files 4 --file-size 4KiB --output " + s.dir + "/links/ds");
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_NE(again.err.find("/d0/f1: is a symbolic link where the dataset's file goes"),
            std::string::npos)
      << again.err;
  EXPECT_TRUE(fs::is_symlink(s.dir + "/real/ds/d0/f1"));
  fs::remove(s.dir + "/real/ds/d0/f1");
  const auto del = run_shell(kBinary +
                             " --files 4 --file-size 4KiB --overwrite --phases "
                             "create,delete --output " +
                             s.dir + "/links/ds");
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_TRUE(fs::is_symlink(s.dir + "/links/ds"));
  EXPECT_TRUE(fs::is_directory(s.dir + "/real/ds"));
}

// --output onto a FIFO nobody reads would wait in open() forever: refused at once (exit 2,
// one line); with a reader the bytes go through. A socket is refused as --input refuses it.
TEST(Safety, AnOutputThatWouldBlockIsRefusedAtOnce) {
  dgen::test::ScratchDir s("fifo-output");
  const std::string fifo = s.dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  auto r = run_shell("timeout 20 " + kBinary + " --size 1MiB --output " + fifo);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--output " + fifo + ": is a FIFO that no process reads"), std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = run_shell("cat " + fifo + " > " + s.dir + "/got & timeout 20 " + kBinary +
                " --size 1MiB --output " + fifo + "; wait");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(read_file(s.dir + "/got") == stream({}, 1 << 20));
  // A UNIX socket: open() fails on it.
  const std::string sock = s.dir + "/sock";
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << sock;
  for (const std::string& option : {"--output", "--input"}) {
    r = run_shell("timeout 20 " + kBinary + " --size 1MiB " + option + " " + sock);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(option + " " + sock + ": is a socket"), std::string::npos) << r.err;
  }
  // The report and the timeline the same way.
  for (const std::string& option : {"--report", "--timeline"}) {
    for (const auto& [path, why] : {std::pair<std::string, std::string>{sock, ": is a socket"},
                                    {fifo, ": is a FIFO that no process reads"}}) {
      r = run_shell("timeout 20 " + kBinary + " --size 1MiB --output /dev/null " + option + " " +
                    path);
      EXPECT_EQ(r.exit_code, 2) << r.err;
      EXPECT_NE(r.err.find(option + " " + path + why), std::string::npos) << r.err;
    }
  }
  close(fd);
}

}  // namespace
